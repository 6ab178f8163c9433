import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config';
import { InputError } from '../../core/yaml-source';
import type { ControlResult } from '../../mappings/evaluate';
import { openStore } from '../../worker/hub';
import { HubMetrics, secondsUntilNextStale } from '../../worker/metrics';
import { startOperations } from '../../worker/operations';
import { durationMs, gracefulShutdownOptions } from '../../worker/shutdown';
import { hubIn, quietLog } from '../support/hub-fixture';
import { freePort } from '../support/ports';
import { promtoolCheckMetrics, samples } from '../support/promtool';
import { tempDir, writeTree } from '../support/tmp';

const sources = 'sources:\n  - { id: docs, type: folder, path: ./org }\n';

describe('the hub metrics', () => {
  it('records what the activities report, with the labels documented in docs/metrics.md, and promtool accepts it', async () => {
    const dir = await tempDir();
    const { hub } = await hubIn(dir, `version: 1\nstore: { path: ./store }\n${sources}`, { 'org/a.txt': 'a' });
    const metrics = new HubMetrics(hub, quietLog, () => new Date('2026-06-01T00:00:00Z'));
    metrics.sourceCollected({
      source: 'docs',
      sourceType: 'folder',
      artifacts: 12,
      bytes: 3000,
      requests: 4,
      seconds: 0.7,
      at: new Date('2026-06-01T00:00:00Z'),
    });
    metrics.sourceCollected({
      source: 'docs',
      sourceType: 'folder',
      artifacts: 3,
      bytes: 0,
      seconds: 0.2,
      at: new Date(),
    });
    metrics.sourceFailed({ source: 'docs', sourceType: 'folder', errorClass: 'CredentialsError', seconds: 0.1 });
    metrics.bundleSealed({ sealSeconds: 0.3, sweepSeconds: 42 });
    const text = await metrics.registry.metrics();
    expect(promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
    const labels = '{source="docs",source_type="folder"}';
    expect(samples(text, 'evidence_hub_artifacts_collected_total').get(labels)).toBe(15);
    expect(samples(text, 'evidence_hub_collected_bytes_total').get(labels)).toBe(3000);
    expect(samples(text, 'evidence_hub_source_requests_total').get(labels)).toBe(4);
    expect(samples(text, 'evidence_hub_collection_duration_seconds_count').get('{source_type="folder"}')).toBe(3);
    expect(
      samples(text, 'evidence_hub_collection_failures_total').get('{source="docs",error_class="CredentialsError"}'),
    ).toBe(1);
    expect(samples(text, 'evidence_hub_sweep_duration_seconds_sum').get('')).toBe(42);
    expect(samples(text, 'evidence_hub_seal_duration_seconds_count').get('')).toBe(1);
    // An empty store: every control is counted under some status, and none has a due date yet.
    const controls = [...samples(text, 'evidence_hub_controls').values()].reduce((a, b) => a + b, 0);
    expect(controls).toBeGreaterThan(0);
    expect(samples(text, 'evidence_hub_next_stale_seconds').get('')).toBe(Infinity);
    expect(samples(text, 'evidence_hub_controls_evaluation_up').get('')).toBe(1);
  });

  it('still answers when the store cannot be read: evaluation_up 0, no control samples, next-stale NaN', async () => {
    const dir = await tempDir();
    const { hub } = await hubIn(dir, `version: 1\nstore: { path: ./store }\n${sources}`, { 'org/a.txt': 'a' });
    process.env['EH_TEST_S3_KEY'] = 'test-key';
    process.env['EH_TEST_S3_SECRET'] = 'test-secret';
    const unreachable = await openStore(
      {
        s3: {
          bucket: 'evidence',
          prefix: '',
          region: 'us-east-1',
          forcePathStyle: true,
          endpoint: `http://127.0.0.1:${await freePort()}`,
          credentials: { accessKeyId: { env: 'EH_TEST_S3_KEY' }, secretAccessKey: { env: 'EH_TEST_S3_SECRET' } },
        },
      },
      dir,
    );
    const text = await new HubMetrics({ ...hub, store: unreachable }, quietLog).registry.metrics();
    expect(samples(text, 'evidence_hub_controls_evaluation_up').get('')).toBe(0);
    expect(samples(text, 'evidence_hub_controls').size).toBe(0);
    expect(samples(text, 'evidence_hub_next_stale_seconds').get('')).toBeNaN();
    expect(promtoolCheckMetrics(text).code).toBe(0);
  });

  it('takes the nearest future due date as the next control to go stale', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const r = (dueAt?: string) => ({ dueAt }) as ControlResult;
    expect(
      secondsUntilNextStale(
        [r('2026-05-01T00:00:00Z'), r('2026-06-03T00:00:00Z'), r('2026-06-02T00:00:00Z'), r()],
        now,
      ),
    ).toBe(86400);
    expect(secondsUntilNextStale([r('2026-05-01T00:00:00Z'), r()], now)).toBe(Infinity);
  });
});

describe('worker settings', () => {
  it('reads worker.metricsAddress and worker.shutdownGrace, with defaults, and names a bad value', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'a.yaml': `version: 1\n${sources}`,
      'b.yaml': `version: 1\nworker: { metricsAddress: "0.0.0.0:9100", shutdownGrace: 2m }\n${sources}`,
      'c.yaml': `version: 1\nworker:\n  metricsAddress: "9464"\n${sources}`,
      'd.yaml': `version: 1\nworker:\n  shutdownGrace: 30\n${sources}`,
    });
    expect((await loadConfig(path.join(dir, 'a.yaml'))).worker).toEqual({
      metricsAddress: '127.0.0.1:9464',
      shutdownGrace: '30s',
    });
    expect((await loadConfig(path.join(dir, 'b.yaml'))).worker).toEqual({
      metricsAddress: '0.0.0.0:9100',
      shutdownGrace: '2m',
    });
    const c = await loadConfig(path.join(dir, 'c.yaml')).catch((e: unknown) => e);
    expect(c).toBeInstanceOf(InputError);
    expect((c as Error).message).toMatch(/c\.yaml:3:\d+: worker\.metricsAddress: expected host:port/);
    const d = await loadConfig(path.join(dir, 'd.yaml')).catch((e: unknown) => e);
    expect((d as Error).message).toMatch(/d\.yaml:3:\d+: worker\.shutdownGrace/);
  });

  it('turns the grace into the SDK options: grace to drain, then a bounded forced stop', () => {
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('2m')).toBe(120_000);
    expect(gracefulShutdownOptions('30s')).toEqual({ shutdownGraceTime: 30_000, shutdownForceTime: 45_000 });
    expect(() => durationMs('30')).toThrow(/not a duration/);
  });
});

describe('the metrics address', () => {
  it('an address set and taken fails the start naming it; the default, taken, gives way to a free port', async () => {
    const dir = await tempDir();
    const { hub } = await hubIn(dir, `version: 1\nstore: { path: ./store }\n${sources}`, { 'org/a.txt': 'a' });
    const busy = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    // Whoever holds the default port (this test, or a worker another test started), it is taken.
    const holder = createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(9464, '127.0.0.1', resolve);
    });
    try {
      await expect(startOperations(hub, quietLog, `127.0.0.1:${port}`)).rejects.toThrow(
        `cannot serve metrics on 127.0.0.1:${port}: the address is in use`,
      );
      const ops = await startOperations(hub, quietLog, '127.0.0.1:9464');
      try {
        expect(ops.server.address).not.toBe('127.0.0.1:9464');
        expect((await fetch(`http://${ops.server.address}/healthz`)).status).toBe(200);
      } finally {
        await ops.close();
      }
    } finally {
      busy.close();
      holder.close();
    }
  });
});
