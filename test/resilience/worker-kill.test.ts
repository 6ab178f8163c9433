import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import type { Manifest } from '../../evidence/manifest';
import { verifyStore } from '../../evidence/verify';
import { loadHub } from '../../worker/hub';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import type { SweepResult } from '../../workflows';
import { activityResults, hubIn, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import {
  auditFsBlobs,
  killHard,
  pendingActivityTypes,
  runningActivities,
  seededRandom,
  sleep,
  spawnWorker,
  stagedLines,
  type WorkerProcess,
} from '../support/resilience';
import { tempDir } from '../support/tmp';

/**
 * Issue 9, resilience: worker processes SIGKILLed at random moments of sweeps, 20 times. Two worker
 * processes (`evidence-hub worker`) serve the task queue. In a loop, at a random moment, one of them is
 * killed: one that is executing a collection if there is one, else any live one, whatever it is doing
 * (polling, a workflow task, starting up). It is started again at once, so several kills land in one
 * sweep. Interrupted attempts are retried after the 10 s heartbeat timeout on whichever worker is
 * alive and resume from their last checkpoint. Sweeps run one after the other until 20 kills have
 * happened; every sweep must complete and match an uninterrupted run of the same sources.
 *
 * Kills are only made while collection is under way and far from finished: a kill while sealing waits out
 * sealing's 30 s heartbeat timeout (workflows/activity-options.ts), and seal-kill.test.ts kills workers at
 * known points of sealing instead of at random.
 */

const kills = 20;
const sourceCount = 10;
const filesPerSource = 200;
const seed = Number(process.env['RESILIENCE_SEED'] ?? Date.now() % 1_000_000);

let env: TestWorkflowEnvironment;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  for (const w of workers) await killHard(w);
  await env?.teardown();
});

function configYaml(store: string, queue: string): string {
  return [
    'version: 1',
    `store: { path: ./${store} }`,
    'signing: { key: { file: ./k.pem } }',
    // Generous attempts: one source may be interrupted several times; quick first retry.
    `temporal: { taskQueue: ${queue}, concurrency: 6, collectRetry: { maximumAttempts: 40, initialInterval: 500ms } }`,
    'sources:',
    ...Array.from(
      { length: sourceCount },
      (_, i) => `  - { id: s${String(i).padStart(2, '0')}, type: folder, path: ./org/s${String(i).padStart(2, '0')} }`,
    ),
    '',
  ].join('\n');
}

/** What an auditor compares: the artifact ids and their content addresses, not collection times. */
function essence(m: Manifest) {
  return m.artifacts
    .map((a) => ({ id: a.id, sha256: a.sha256, size: a.size, kind: a.kind, mediaType: a.mediaType }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe('worker SIGKILLed at random points of a sweep', () => {
  it(`${kills} kills: every sweep completes, verifies, matches an uninterrupted run, no duplicate blobs or bundles`, async () => {
    const dir = await tempDir();
    const files: Record<string, Buffer> = {};
    for (let s = 0; s < sourceCount; s++) {
      for (let i = 0; i < filesPerSource; i++) {
        // Every 10th document is the same in every source: content addressing must store it once.
        const content = i % 10 === 0 ? Buffer.from(`shared document ${i}\n`) : randomBytes(512);
        files[
          `org/s${String(s).padStart(2, '0')}/d${String(Math.floor(i / 50))}/doc-${String(i).padStart(4, '0')}.txt`
        ] = content;
      }
    }
    const distinctContents = new Set(Object.values(files).map((b) => createHash('sha256').update(b).digest('hex')));
    const suffix = randomBytes(4).toString('hex');
    const { hub, configFile } = await hubIn(dir, configYaml('store', `kill-${suffix}`), {
      ...files,
      'reference.yaml': configYaml('ref-store', `ref-${suffix}`),
    });

    // The uninterrupted run of the same sources, in-process, into its own store.
    const ref = await loadHub(path.join(dir, 'reference.yaml'));
    const refWorker = await createHubWorker(ref, await signingKey(ref), quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const refResult = await refWorker.runUntil(
      async () => (await (await startSweep(env.client, ref.config, { trigger: 'manual' })).result()) as SweepResult,
    );
    const reference = essence((await readManifest(ref.store, refResult.bundle.sequence))!);
    expect(reference).toHaveLength(sourceCount * filesPerSource);
    const refBlobs = await ref.store.listBlobs();
    expect(refBlobs).toHaveLength(distinctContents.size);

    await signingKey(hub); // `keys init` for the store the worker processes share (workers never create keys)
    const workerEnv = { TEMPORAL_ADDRESS: env.address };
    const slots: WorkerProcess[] = [spawnWorker(configFile, workerEnv), spawnWorker(configFile, workerEnv)];
    workers.push(...slots);
    await Promise.all(slots.map((w) => w.ready));

    const random = seededRandom(seed);
    const sweeps: WorkflowHandleWithFirstExecutionRunId[] = [];
    const killLog: { sweep: number; slot: number; afterMs: number; hit?: string }[] = [];
    let current: { handle: WorkflowHandleWithFirstExecutionRunId; done: boolean; bundleId: string } | undefined;
    const started = Date.now();

    while (killLog.length < kills) {
      if (!current || current.done) {
        const handle = await startSweep(env.client, hub.config, { trigger: 'manual' });
        sweeps.push(handle);
        // The sweep's bundle id, as workflows/sweep.ts derives it.
        const bundleId = `${handle.workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.${handle.firstExecutionRunId.slice(0, 8)}`;
        const c = { handle, done: false, bundleId };
        current = c;
        handle.result().then(
          () => (c.done = true),
          () => (c.done = true),
        );
      }
      const sweep = current;
      // A random moment; then preferably a worker that is collecting right now (waiting up to 3 s for
      // one), else any live worker, whatever it is doing (polling, a workflow task, starting up). Every
      // other kill waits for a collection past a checkpoint, so retries that resume are not left to
      // chance on a slow machine (a kill before the first checkpoint makes the retry start over).
      await sleep(300 + Math.floor(random() * 2_500));
      const wantCheckpoint = killLog.length % 2 === 0;
      let slot = -1;
      let running: Awaited<ReturnType<typeof runningActivities>> = [];
      for (const until = Date.now() + 3_000; slot < 0 && !sweep.done && Date.now() < until; await sleep(150)) {
        const collecting = (await runningActivities(sweep.handle)).filter(
          (a) => a.type === 'collectSource' && (!wantCheckpoint || (a.details?.count ?? 0) > 0),
        );
        const busy = slots
          .map((_, i) => i)
          .filter((i) => slots[i]!.isReady() && collecting.some((a) => a.identity === slots[i]!.identity));
        if (busy.length > 0) {
          slot = busy[Math.floor(random() * busy.length)]!;
          running = collecting.filter((a) => a.identity === slots[slot]!.identity);
        }
      }
      if (slot < 0) {
        const up = slots.map((_, i) => i).filter((i) => slots[i]!.isReady());
        slot = up.length > 0 ? up[Math.floor(random() * up.length)]! : Math.floor(random() * slots.length);
        await slots[slot]!.ready;
      }
      const victim = slots[slot]!;
      if (sweep.done) continue;
      // Never while planning or sealing (no heartbeat: a lost attempt waits out a 15 minute timeout),
      // so only while collection is under way and far from finished.
      const pending = await pendingActivityTypes(sweep.handle);
      if (!pending.includes('collectSource') || pending.some((t) => t !== 'collectSource')) continue;
      let remaining = 0;
      for (const s of hub.config.sources)
        remaining += filesPerSource - (await stagedLines(hub.store.location, sweep.bundleId, s.id));
      if (remaining < 60) continue;

      await killHard(victim);
      killLog.push({
        sweep: sweeps.length,
        slot,
        afterMs: Date.now() - started,
        ...(running.length
          ? { hit: running.map((a) => `${a.details?.source ?? '?'}@${a.details?.count ?? 0}#${a.attempt}`).join(' ') }
          : {}),
      });
      const replacement = spawnWorker(configFile, workerEnv);
      workers.push(replacement);
      slots[slot] = replacement;
    }

    const results = (await Promise.all(sweeps.map((h) => h.result()))) as SweepResult[];
    const elapsed = Date.now() - started;
    const hits = killLog.filter((k) => k.hit).length;
    console.log(
      `seed ${seed}: ${killLog.length} kills (${hits} while the worker was collecting) over ${sweeps.length} sweep(s); kills took ${Math.round(killLog.at(-1)!.afterMs / 1000)} s, all sweeps done after ${Math.round(elapsed / 1000)} s`,
      JSON.stringify(killLog),
    );

    // Every sweep completed with every source ok, one bundle each, chained 1..n.
    expect(await hub.store.sequences()).toEqual(results.map((_, i) => i + 1));
    expect(new Set(results.map((r) => r.bundle.bundleId)).size).toBe(results.length);
    expect((await readdir(path.join(hub.store.location, 'bundles'))).sort()).toEqual(
      results.map((r) => `${r.bundle.bundleId}.json`).sort(),
    );
    for (const [i, r] of results.entries()) {
      expect(r.sources.map((s) => s.status)).toEqual(hub.config.sources.map(() => 'ok'));
      const manifest = (await readManifest(hub.store, i + 1))!;
      expect(manifest.bundleId).toBe(r.bundle.bundleId);
      // Nothing missing, nothing twice, same bytes as the uninterrupted run.
      expect(essence(manifest)).toEqual(reference);
    }
    // No duplicate or stray blobs: exactly the uninterrupted run's, each matching its name.
    expect(await hub.store.listBlobs()).toEqual(refBlobs);
    expect((await auditFsBlobs(hub.store.location)).problems).toEqual([]);
    const report = await verifyStore(hub.store);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, bundlesChecked: results.length, blobsChecked: distinctContents.size });
    expect(await readdir(path.join(hub.store.location, 'staging'))).toEqual([]);

    // The kills really interrupted collections, and retries resumed from checkpoints.
    const collects = (await Promise.all(sweeps.map((h) => activityResults(h, 'collectSource')))).flat();
    const extraAttempts = collects.reduce((n, c) => n + c.attempt - 1, 0);
    const resumed = collects.filter((c) => (c.result as { resumedAfter?: string }).resumedAfter !== undefined);
    console.log(
      `collections: ${collects.length}, extra attempts after kills: ${extraAttempts}, resumed from a checkpoint: ${resumed.length}, ${os.cpus().length} cpus`,
    );
    expect(hits).toBeGreaterThanOrEqual(5);
    expect(extraAttempts).toBeGreaterThanOrEqual(hits);
    expect(resumed.length).toBeGreaterThan(0);
    // A source interrupted many times backs off up to 2 minutes between attempts (activity-options.ts).
  }, 480_000);
});
