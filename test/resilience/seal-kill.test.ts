import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import type { SealPoint } from '../../evidence/seal-test-hook';
import { verifyStore } from '../../evidence/verify';
import { startDevServer } from '../../worker/temporal-server';
import type { SweepResult } from '../../workflows';
import { activityResults, hubIn, signingKey } from '../support/hub-fixture';
import {
  auditFsBlobs,
  killHard,
  pendingActivityTypes,
  sleep,
  spawnWorker,
  type WorkerProcess,
} from '../support/resilience';
import { tempDir } from '../support/tmp';

/**
 * Issue 21: a worker SIGKILLed while SEALING (worker-kill.test.ts kills only while collecting). The test hook
 * evidence/seal-test-hook.ts holds a worker process at a chosen point of sealBundle and says so with a file;
 * the test then kills it with SIGKILL and starts a plain worker. Sealing heartbeats, so the lost attempt is
 * noticed after its 30 s heartbeat timeout and retried on the new worker, which must seal exactly one bundle:
 * the chain grows by one, verify passes, no artifact, blob or manifest appears twice, staging is cleared.
 *   before-commit: nothing of the bundle was written; the retry seals it.
 *   after-commit:  the manifest was committed, its checkpoint not; the retry finds the committed bundle,
 *                  writes the checkpoint and answers with that bundle instead of sealing a second one.
 */

let env: TestWorkflowEnvironment;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  for (const w of workers) await killHard(w);
  await env?.teardown();
});

const sources = ['handbook', 'registers'] as const;
const filesPerSource = 25;

function configYaml(queue: string): string {
  return [
    'version: 1',
    'store: { path: ./store }',
    'signing: { key: { file: ./k.pem } }',
    `temporal: { taskQueue: ${queue}, concurrency: 2 }`,
    'sources:',
    ...sources.map((s) => `  - { id: ${s}, type: folder, path: ./org/${s} }`),
    '',
  ].join('\n');
}

async function waitForFile(dir: string, prefix: string, timeoutMs: number): Promise<string> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(100)) {
    const hit = (await readdir(dir)).find((f) => f.startsWith(`${prefix}.`));
    if (hit) return hit;
  }
  throw new Error(`no ${prefix}.* barrier file in ${dir} after ${timeoutMs} ms: sealing never reached the hook`);
}

describe('worker SIGKILLed while sealing', () => {
  it.each<[SealPoint]>([['before-commit'], ['after-commit']])(
    'killed %s: the sweep resumes on a new worker and seals exactly one bundle',
    async (point) => {
      const dir = await tempDir();
      const files: Record<string, Buffer> = {};
      for (const s of sources)
        for (let i = 0; i < filesPerSource; i++) files[`org/${s}/doc-${i}.txt`] = randomBytes(256);
      const queue = `seal-kill-${point}-${randomBytes(4).toString('hex')}`;
      const { hub, configFile } = await hubIn(dir, configYaml(queue), files);
      await signingKey(hub); // `keys init`: worker processes never create keys
      const workerEnv = { TEMPORAL_ADDRESS: env.address };
      const start = (extra: Record<string, string> = {}) => {
        const w = spawnWorker(configFile, { ...workerEnv, ...extra });
        workers.push(w);
        return w;
      };

      // 1. A first bundle, sealed normally: the chain the killed seal must extend by exactly one.
      const plain = start();
      await plain.ready;
      const first = (await (await startSweep(env.client, hub.config, { trigger: 'manual' })).result()) as SweepResult;
      expect(first.bundle.sequence).toBe(1);
      await killHard(plain);

      // 2. The only worker is held by the test hook at `point` of sealing; it is killed there.
      const barrier = path.join(dir, 'barrier');
      await mkdir(barrier);
      const held = start({ EVIDENCE_HUB_TEST_SEAL_BARRIER: barrier, EVIDENCE_HUB_TEST_SEAL_AT: point });
      await held.ready;
      const handle = await startSweep(env.client, hub.config, { trigger: 'manual' });
      expect(await waitForFile(barrier, point, 120_000)).toBe(`${point}.${held.pid}`);
      expect(await pendingActivityTypes(handle)).toEqual(['sealBundle']);
      // What the hook's point means: before the commit the chain holds bundle 1 only; after it, bundle 2 too,
      // without its signed checkpoint.
      expect(await hub.store.sequences()).toEqual(point === 'before-commit' ? [1] : [1, 2]);
      expect(await hub.store.listCheckpoints()).toEqual([1]);
      await killHard(held);

      // 3. A plain worker takes over; the seal is retried there.
      start();
      const second = (await handle.result()) as SweepResult;
      expect(second.sources.map((s) => s.status)).toEqual(['ok', 'ok']);
      expect(second.bundle.sequence).toBe(2);

      // The seal ran twice: the killed attempt and the retry that completed.
      const seals = await activityResults(handle, 'sealBundle');
      expect(seals.map((s) => s.attempt)).toEqual([2]);

      // Exactly one new bundle, chained on the first; nothing twice; verify passes.
      expect(await hub.store.sequences()).toEqual([1, 2]);
      expect((await readdir(path.join(hub.store.location, 'bundles'))).sort()).toEqual(
        [`${first.bundle.bundleId}.json`, `${second.bundle.bundleId}.json`].sort(),
      );
      const manifest = (await readManifest(hub.store, 2))!;
      expect(manifest.bundleId).toBe(second.bundle.bundleId);
      expect(manifest.previousDigest).toBe(first.bundle.digest);
      const ids = manifest.artifacts.map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(sources.length * filesPerSource);
      // Unchanged files: the same artifacts and blobs as the first bundle, each blob stored once.
      const firstManifest = (await readManifest(hub.store, 1))!;
      expect(manifest.artifacts.map((a) => [a.id, a.sha256]).sort()).toEqual(
        firstManifest.artifacts.map((a) => [a.id, a.sha256]).sort(),
      );
      expect(await hub.store.listBlobs()).toHaveLength(sources.length * filesPerSource);
      expect((await auditFsBlobs(hub.store.location)).problems).toEqual([]);
      const report = await verifyStore(hub.store);
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, bundlesChecked: 2 });
      expect(await readdir(path.join(hub.store.location, 'staging'))).toEqual([]);
      // The retry wrote the checkpoint the killed attempt never reached.
      expect(await hub.store.listCheckpoints()).toEqual([1, 2]);
    },
    // Three worker start-ups and a 30 s heartbeat timeout; on a loaded two-core machine one case took 180 s.
    480_000,
  );
});
