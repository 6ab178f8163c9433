import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import { verifyStore } from '../../evidence/verify';
import { listSchedules, scheduleIdFor, syncSchedules } from '../../worker/schedules';
import type { SweepResult } from '../../workflows';
import { hubIn, signingKey } from '../support/hub-fixture';
import { waitFor } from '../support/processes';
import {
  auditFsBlobs,
  killHard,
  sleep,
  spawnWorker,
  stagedLines,
  startTemporalProcess,
  type TemporalProcess,
  type WorkerProcess,
} from '../support/resilience';
import { suiteDir } from '../support/tmp';

/**
 * Issue 9, resilience: the Temporal dev server, persisted in SQLite, goes away in the middle of a sweep
 * (SIGKILL, like a crashed or rebooted host) and comes back on the same port with the same database.
 * The worker process keeps running throughout; the sweep must complete, and the schedules synced
 * before the restart must still be there, unchanged.
 */

let dir: string;
let server: TemporalProcess | undefined;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  dir = await suiteDir('eh-restart-');
  server = await startTemporalProcess({ dbFilename: path.join(dir, 'temporal.db') });
});

afterAll(async () => {
  if (worker) await killHard(worker);
  await server?.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function clientFor(address: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection }), close: () => connection.close() };
}

describe('Temporal dev server restarted mid-sweep (SQLite persistence)', () => {
  it('the sweep completes after the restart and the schedules created before survive', async () => {
    const srv = server!;
    const sourceCount = 3;
    const perSource = 400;
    const files: Record<string, Buffer> = {};
    for (let s = 0; s < sourceCount; s++)
      for (let i = 0; i < perSource; i++) files[`org/s${s}/doc-${String(i).padStart(4, '0')}.txt`] = randomBytes(256);
    const queue = `restart-${randomBytes(4).toString('hex')}`;
    const { hub, configFile } = await hubIn(
      path.join(dir, 'hub'),
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./k.pem } }',
        `temporal: { taskQueue: ${queue}, concurrency: 3, collectRetry: { maximumAttempts: 20, initialInterval: 1s } }`,
        'sources:',
        ...Array.from({ length: sourceCount }, (_, s) => `  - { id: s${s}, type: folder, path: ./org/s${s} }`),
        // Neither schedule can fire during the test: one runs on 29 February only, the other is paused.
        'schedules:',
        '  - { id: leap-day, cron: "0 3 29 2 *", timezone: Europe/Berlin, sources: [s0] }',
        '  - { id: hourly, every: 1h, paused: true }',
        // Nor the integrity monitor's daily run (its schedules are tested in test/integration/schedules.test.ts).
        'integrity: { enabled: false }',
        '',
      ].join('\n'),
      files,
    );

    let conn = await clientFor(srv.address);
    expect(await syncSchedules(conn.client, hub.config)).toEqual({
      created: ['leap-day', 'hourly'],
      updated: [],
      deleted: [],
      unchanged: [],
    });
    const before = await Promise.all(
      hub.config.schedules.map((s) => conn.client.schedule.getHandle(scheduleIdFor(hub.config, s.id)).describe()),
    );

    await signingKey(hub); // `keys init`: a worker never creates or registers its key
    worker = spawnWorker(configFile, { TEMPORAL_ADDRESS: srv.address });
    await worker.ready;
    const handle = await startSweep(conn.client, hub.config, { trigger: 'manual' });
    const bundleId = `${handle.workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.${handle.firstExecutionRunId.slice(0, 8)}`;
    const staged = async () => {
      let n = 0;
      for (const s of hub.config.sources) n += await stagedLines(hub.store.location, bundleId, s.id);
      return n;
    };
    // Collection under way, far from done.
    const atStop = await waitFor(
      'collection under way',
      async () => ((await staged()) >= 150 ? staged() : undefined),
      120_000,
      50,
    );
    expect(atStop).toBeLessThan(sourceCount * perSource - 300);
    await conn.close();

    const downAt = Date.now();
    await srv.stop('SIGKILL');
    await sleep(3_000);
    await srv.start();
    const downMs = Date.now() - downAt;
    conn = await clientFor(srv.address);
    try {
      // The same run, found in the restarted server's database, completes.
      const result = (await conn.client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId)
        .result()) as SweepResult;
      console.log(
        `server down ${downMs} ms with ${atStop} artifacts staged; sweep done ${Date.now() - downAt} ms after the stop`,
      );
      // The worker rode out the outage: no restart of the worker was needed.
      expect(worker.child.exitCode).toBeNull();

      expect(result.sources.map((s) => [s.source, s.status, s.artifactCount])).toEqual(
        hub.config.sources.map((s) => [s.id, 'ok', perSource]),
      );
      expect(await hub.store.sequences()).toEqual([1]);
      const manifest = (await readManifest(hub.store, 1))!;
      expect(manifest.bundleId).toBe(result.bundle.bundleId);
      expect(manifest.artifacts.map((a) => `org/${a.source}/${a.externalId}`).sort()).toEqual(
        Object.keys(files).sort(),
      );
      expect(await hub.store.listBlobs()).toHaveLength(Object.keys(files).length);
      expect((await auditFsBlobs(hub.store.location)).problems).toEqual([]);
      expect((await verifyStore(hub.store)).problems).toEqual([]);
      expect(await readdir(path.join(hub.store.location, 'staging'))).toEqual([]);

      // The schedules survived the restart as they were, and sync has nothing to do.
      const after = await Promise.all(
        hub.config.schedules.map((s) => conn.client.schedule.getHandle(scheduleIdFor(hub.config, s.id)).describe()),
      );
      expect(after.map((d) => [d.scheduleId, d.state.paused, d.state.note, d.spec, d.action, d.memo])).toEqual(
        before.map((d) => [d.scheduleId, d.state.paused, d.state.note, d.spec, d.action, d.memo]),
      );
      expect(await syncSchedules(conn.client, hub.config)).toEqual({
        created: [],
        updated: [],
        deleted: [],
        unchanged: ['leap-day', 'hourly'],
      });
      const rows = await listSchedules(conn.client, hub.config);
      expect(rows.map((r) => [r.id, r.paused])).toEqual([
        ['leap-day', false],
        ['hourly', true],
      ]);
      expect(new Date(rows[0]!.nextRuns[0]!).getUTCDate()).toBe(29);
    } finally {
      await conn.close();
    }
  });
});
