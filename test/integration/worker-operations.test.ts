import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import { verifyStore } from '../../evidence/verify';
import { startDevServer } from '../../worker/temporal-server';
import type { SweepResult } from '../../workflows';
import { activityResults, hubIn, signingKey } from '../support/hub-fixture';
import { freePort } from '../support/ports';
import { runCli, spawnCli, waitFor, type CliProcess } from '../support/processes';
import { promtoolBinary, promtoolCheckMetrics, samples } from '../support/promtool';
import { tempDir } from '../support/tmp';

let env: TestWorkflowEnvironment;
const workers: CliProcess[] = [];

beforeAll(async () => {
  promtoolBinary(); // build (or find) it before any test's own timeout runs
  env = await startDevServer();
});

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await env?.teardown();
});

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe('a worker process: /metrics mid-sweep, readiness, SIGTERM', () => {
  it('serves an exposition promtool accepts mid-sweep; SIGTERM exits 0 and hands over; the gauges match status --json', async () => {
    const dir = await tempDir();
    const fileCount = 4000;
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < fileCount; i++)
      files[`org/batch-${i % 10}/doc-${String(i).padStart(5, '0')}.txt`] = randomBytes(2048);
    const { hub, configFile } = await hubIn(
      dir,
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: ops-${randomBytes(4).toString('hex')} }\nsources:\n  - { id: docs, type: folder, path: ./org }\n`,
      files,
    );
    await signingKey(hub);
    const workerEnv = { TEMPORAL_ADDRESS: env.address, LOG_LEVEL: 'info' };
    const firstAddress = `127.0.0.1:${await freePort()}`;
    // A short grace, so the running collection cannot finish in it and must hand over at its checkpoint.
    const first = spawnCli(
      ['worker', '--config', configFile, '--metrics-address', firstAddress, '--shutdown-grace', '300ms'],
      workerEnv,
    );
    workers.push(first);
    await waitFor('the first worker to be ready', async () => {
      const r = await get(`http://${firstAddress}/readyz`).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    });
    expect((await get(`http://${firstAddress}/healthz`)).status).toBe(200);
    const ready = await get(`http://${firstAddress}/readyz`);
    expect(ready.body).toBe('ready\ntemporal: ok\nstore: ok\nsigning-key: ok\n');

    const handle = await startSweep(env.client, hub.config, { trigger: 'manual' });
    const stagingDir = path.join(hub.store.location, 'staging');
    await waitFor(
      'collection to be under way',
      async () => {
        const bundles = await readdir(stagingDir).catch(() => []);
        if (bundles.length === 0) return undefined;
        const text = await readFile(path.join(stagingDir, bundles[0]!, 'docs.jsonl'), 'utf8').catch(() => '');
        return text.split('\n').length - 1 >= 300 ? true : undefined;
      },
      120_000,
    );

    // Mid-sweep: the exposition is valid by Prometheus's own linter, and holds ours and the SDK's metrics.
    const midSweep = await get(`http://${firstAddress}/metrics`);
    expect(midSweep.status).toBe(200);
    const checked = promtoolCheckMetrics(midSweep.body);
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);
    expect(midSweep.body).toMatch(/^# TYPE evidence_hub_controls gauge$/m);
    expect(midSweep.body).toMatch(/^# TYPE evidence_hub_collection_duration_seconds histogram$/m);
    expect(midSweep.body).toMatch(/^temporal_\w+/m); // the SDK's runtime metrics, merged in
    expect(samples(midSweep.body, 'evidence_hub_controls_evaluation_up').get('')).toBe(1);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('stopping: no new tasks');
    // The grace ran out mid-collection: the activity checkpointed what it had staged and handed over.
    expect(first.output()).toMatch(
      /the worker is shutting down: source docs handed over at its checkpoint after \d+ artifacts/,
    );

    const secondAddress = `127.0.0.1:${await freePort()}`;
    const second = spawnCli(['worker', '--config', configFile, '--metrics-address', secondAddress], workerEnv);
    workers.push(second);
    const result = (await handle.result()) as SweepResult;

    // Nothing lost, nothing twice: one bundle with every file once, one blob per content.
    expect(await hub.store.sequences()).toEqual([1]);
    const manifest = (await readManifest(hub.store, 1))!;
    expect(manifest.bundleId).toBe(result.bundle.bundleId);
    const ids = manifest.artifacts.map((a) => a.externalId);
    expect(new Set(ids).size).toBe(fileCount);
    expect(await hub.store.listBlobs()).toHaveLength(fileCount);
    expect((await verifyStore(hub.store)).ok).toBe(true);
    // The first worker handed over at a checkpoint; the second resumed there instead of starting over.
    const [collect] = await activityResults(handle, 'collectSource');
    expect(collect!.attempt).toBeGreaterThanOrEqual(2);
    expect(collect!.result).toMatchObject({ artifactCount: fileCount, resumedAfter: expect.any(String) });

    // After the sweep: the control gauges are the counts `status --json` prints.
    const status = await runCli(['status', '--config', configFile, '--json']);
    expect(status.code).toBe(0);
    const expected = new Map<string, number>();
    for (const c of JSON.parse(status.stdout).controls as { status: string }[])
      expected.set(c.status, (expected.get(c.status) ?? 0) + 1);
    const after = (await get(`http://${secondAddress}/metrics`)).body;
    expect(promtoolCheckMetrics(after)).toEqual({ code: 0, output: '' });
    const gauges = samples(after, 'evidence_hub_controls');
    const nonZero = new Map([...gauges].filter(([, v]) => v > 0).map(([k, v]) => [/status="([^"]+)"/.exec(k)![1]!, v]));
    expect(nonZero).toEqual(expected);
    expect(samples(after, 'evidence_hub_artifacts_collected_total').get('{source="docs",source_type="folder"}')).toBe(
      fileCount,
    );
    expect(samples(after, 'evidence_hub_seal_duration_seconds_count').get('')).toBe(1);
    expect(samples(after, 'evidence_hub_sweep_duration_seconds_count').get('')).toBe(1);
    expect(
      samples(after, 'evidence_hub_last_successful_collection_timestamp_seconds').get('{source="docs"}'),
    ).toBeGreaterThan(0);

    // The signing key removed under a running worker: not ready, and /readyz says which check and why.
    await rm(path.join(dir, 'k.pem'));
    const unready = await get(`http://${secondAddress}/readyz`);
    expect(unready.status).toBe(503);
    expect(unready.body).toMatch(/^signing-key: FAILED: signing key file .*k\.pem .*does not exist/m);
    expect(unready.body).toContain('temporal: ok');
    expect((await get(`http://${secondAddress}/healthz`)).status).toBe(200);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
