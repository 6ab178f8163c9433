import { createHash, randomBytes } from 'node:crypto';
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import { verifyStore } from '../../evidence/verify';
import { startDevServer } from '../../worker/temporal-server';
import type { SweepResult } from '../../workflows';
import { hubIn, initKeys } from '../support/hub-fixture';
import { waitFor } from '../support/processes';
import {
  killHard,
  runningActivities,
  spawnWorker,
  startRestartableMinio,
  type RestartableMinio,
  type WorkerProcess,
} from '../support/resilience';
import { suiteDir, writeTree } from '../support/tmp';

/**
 * Issue 18 item 4: three worker processes (`evidence-hub worker`), each with its own host directory (its
 * config file and its copy of the signing key), on one task queue, sharing one S3 store in MinIO. Sweeps
 * started together spread over the workers and seal at nearly the same moment: the conditional write on
 * the next manifest (`If-None-Match: *`, evidence/chain.ts) lets one win and the other rebuild on the new
 * head, so the chain never forks. A worker killed in the middle of a seal leaves nothing half-written:
 * the seal is retried on another worker and finds or finishes its own bundle.
 */

const sourceCount = 30;
const filesPerSource = 10;
let env: TestWorkflowEnvironment;
let minio: RestartableMinio;
let dir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  dir = await suiteDir('eh-workers-');
  [env, minio] = await Promise.all([startDevServer(), startRestartableMinio(path.join(dir, 'minio'))]);
});

afterAll(async () => {
  for (const w of workers) await killHard(w);
  await minio?.stop();
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every object under a prefix, with the sha256 of its bytes. */
async function objects(bucket: string, prefix: string): Promise<{ key: string; sha256: string }[]> {
  const out: { key: string; sha256: string }[] = [];
  let token: string | undefined;
  do {
    const res = await minio.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of res.Contents ?? []) {
      const body = await minio.client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      out.push({ key: o.Key!, sha256: sha256(Buffer.from(await body.Body!.transformToByteArray())) });
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Who ran which activities of a workflow (and of its children): worker identities from the history. */
async function identities(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.activityTaskStartedEventAttributes?.identity)
    .filter((i): i is string => typeof i === 'string');
}

describe('three workers sharing an S3 store', () => {
  it('sweeps spread over them, concurrent seals never fork the chain, a worker killed mid-seal leaves nothing half-written', async () => {
    const bucket = `workers-${randomBytes(4).toString('hex')}`;
    await minio.createBucket(bucket);
    const shared = path.join(dir, 'documents');
    const files: Record<string, Buffer> = {};
    for (let s = 0; s < sourceCount; s++)
      for (let i = 0; i < filesPerSource; i++)
        // Every 5th document is the same in every source: content addressing stores it once.
        files[`s${s}/doc-${i}.txt`] = i % 5 === 0 ? Buffer.from(`shared ${i}\n`) : randomBytes(512);
    await writeTree(shared, files);
    const queue = `workers-${randomBytes(4).toString('hex')}`;
    const yaml = [
      'version: 1',
      `store: { s3: { bucket: ${bucket}, prefix: ev, endpoint: "${minio.endpoint}", forcePathStyle: true, credentials: { accessKeyId: { env: EH_MW_AK }, secretAccessKey: { env: EH_MW_SK } } } }`,
      'signing: { key: { file: ./signing.pem } }',
      `temporal: { taskQueue: ${queue}, concurrency: 6 }`,
      'integrity: { enabled: false }',
      'sources:',
      ...Array.from({ length: sourceCount }, (_, s) => `  - { id: s${s}, type: folder, path: "${shared}/s${s}" }`),
      '',
    ].join('\n');
    const creds = { EH_MW_AK: minio.accessKeyId, EH_MW_SK: minio.secretAccessKey };
    Object.assign(process.env, creds);
    // Three hosts: each its own directory and config; `keys init` on the first, the key copied to the others.
    const hosts = await Promise.all([0, 1, 2].map((h) => hubIn(path.join(dir, `host-${h}`), yaml)));
    await initKeys(hosts[0]!.configFile);
    for (const h of hosts.slice(1))
      await copyFile(path.join(hosts[0]!.dir, 'signing.pem'), path.join(h.dir, 'signing.pem'));
    const workerEnv = { TEMPORAL_ADDRESS: env.address, ...creds };
    for (const h of hosts) workers.push(spawnWorker(h.configFile, workerEnv));
    await Promise.all(workers.map((w) => w.ready));
    const hub = hosts[0]!.hub;

    // 1. Three sweeps at once: they spread over the workers and seal at nearly the same moment.
    const handles = await Promise.all([0, 1, 2].map(() => startSweep(env.client, hub.config, { trigger: 'manual' })));
    const results = (await Promise.all(handles.map((h) => h.result()))) as SweepResult[];
    for (const r of results)
      expect(r.sources.filter((s) => s.status !== 'ok' || s.artifactCount !== filesPerSource)).toEqual([]);
    expect(results.map((r) => r.bundle.sequence).sort()).toEqual([1, 2, 3]);
    const ran = new Set((await Promise.all(handles.map(identities))).flat());
    const pids = workers.map((w) => w.identity);
    console.log(`activities ran on ${[...ran].filter((i) => pids.includes(i)).length} of 3 workers`);
    expect([...ran].filter((i) => pids.includes(i)).length).toBeGreaterThanOrEqual(2);

    // 2. A worker killed while it seals: the seal is retried elsewhere after the heartbeat timeout.
    let killedMidSeal: string | undefined;
    for (let attempt = 0; attempt < 5 && !killedMidSeal; attempt++) {
      const handle = await startSweep(env.client, hub.config, { trigger: 'manual' });
      const sealer = await waitFor(
        'the seal or the end of the sweep',
        async () => {
          const d = await handle.describe();
          if (d.status.name !== 'RUNNING') return { identity: undefined };
          const seal = (await runningActivities(handle)).find((a) => a.type === 'sealBundle');
          return seal ? { identity: seal.identity } : undefined;
        },
        120_000,
        10,
      );
      const victim = workers.find((w) => w.identity === sealer.identity);
      if (victim && victim.child.exitCode === null) {
        await killHard(victim);
        killedMidSeal = victim.identity;
      }
      const r = (await handle.result()) as SweepResult;
      expect(r.sources.every((s) => s.status === 'ok')).toBe(true);
    }
    console.log(killedMidSeal ? `killed ${killedMidSeal} while it sealed` : 'no seal was caught running in 5 sweeps');
    expect(killedMidSeal).toBeDefined();

    // One chain, no fork, every bundle whole; every blob stored once under its own hash; nothing lost.
    const sequences = await hub.store.sequences();
    expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
    const report = await verifyStore(hub.store);
    expect(report.problems).toEqual([]);
    const expected = Object.keys(files).sort();
    for (const seq of sequences) {
      const m = (await readManifest(hub.store, seq))!;
      expect(m.artifacts.map((a) => `${a.source}/${a.externalId}`).sort()).toEqual(expected);
    }
    const blobs = (await objects(bucket, 'ev/blobs/')).map((o) => ({
      name: o.key.split('/').at(-1)!,
      sha256: o.sha256,
    }));
    expect(blobs.filter((b) => b.name !== b.sha256)).toEqual([]);
    expect(blobs.map((b) => b.name).sort()).toEqual([...new Set(Object.values(files).map(sha256))].sort());
    const manifests = await objects(bucket, 'ev/manifests/');
    expect(manifests).toHaveLength(sequences.length);
    expect((await objects(bucket, 'ev/staging/')).length).toBe(0);
  });
});
