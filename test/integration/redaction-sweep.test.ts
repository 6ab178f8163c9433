import { randomBytes } from 'node:crypto';
import { cp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import { verifyStore } from '../../evidence/verify';
import { createLogger } from '../../worker/logger';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import type { SweepResult } from '../../workflows';
import { historyText, hubIn, signingKey, workflowBundle } from '../support/hub-fixture';
import { tempDir } from '../support/tmp';

let env: TestWorkflowEnvironment;
const corpusDir = path.join(__dirname, '..', 'fixtures', 'redaction');

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  await env?.teardown();
});

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

describe('redaction in a real sweep', () => {
  it('no secret of the corpus reaches the store, the logs or the Temporal history', async () => {
    const corpus = JSON.parse(await readFile(path.join(corpusDir, 'corpus.json'), 'utf8')) as {
      files: { file: string; secrets: string[] }[];
    };
    const secrets = corpus.files.flatMap((f) => f.secrets);
    expect(secrets.length).toBeGreaterThan(20);
    const dir = await tempDir();
    const { hub } = await hubIn(
      dir,
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: redact-${randomBytes(4).toString('hex')} }\nsources:\n  - { id: configs, type: folder, path: ./org }\n`,
    );
    await cp(corpusDir, path.join(dir, 'org'), {
      recursive: true,
      filter: (src) => !src.endsWith('corpus.json') && !src.endsWith('README.md'),
    });

    // Capture every log line the worker writes, at debug level.
    let logs = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const log = createLogger({ level: 'debug' }, sink);
    const worker = await createHubWorker(hub, await signingKey(hub), log, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const { handle, result } = await worker.runUntil(async () => {
      const h = await startSweep(env.client, hub.config, { trigger: 'manual' });
      return { handle: h, result: (await h.result()) as SweepResult };
    });
    const outcome = result.sources[0]!;
    expect(outcome).toMatchObject({ status: 'ok', artifactCount: corpus.files.length });
    expect(outcome.status === 'ok' ? outcome.stats?.['redactions'] : 0).toBeGreaterThanOrEqual(secrets.length / 2);

    const storeText = (await Promise.all((await allFiles(hub.store.location)).map((f) => readFile(f, 'latin1')))).join(
      '\n',
    );
    const history = await historyText(handle);
    for (const secret of secrets) {
      expect(storeText.includes(secret), `store contains ${secret.slice(0, 6)}…`).toBe(false);
      expect(logs.includes(secret), `logs contain ${secret.slice(0, 6)}…`).toBe(false);
      expect(history.includes(secret), `history contains ${secret.slice(0, 6)}…`).toBe(false);
    }
    expect(logs).toContain('redacted secrets before storing');
    // Each record says what was redacted, and where; the hash is that of the stored (redacted) bytes.
    const manifest = (await readManifest(hub.store, 1))!;
    const cfg = manifest.artifacts.find((a) => a.externalId === 'service-config.json')!;
    expect(cfg.redaction).toMatchObject({ scanned: true, total: expect.any(Number) });
    expect(cfg.redaction!.total).toBeGreaterThan(0);
    expect(cfg.redaction!.byRule.map((r) => r.rule)).toContain('github-token');
    expect((await verifyStore(hub.store)).ok).toBe(true);
  });
});
