import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm, statfs, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { sealBundle } from '../../evidence/bundle';
import { readManifest } from '../../evidence/index';
import { artifactId } from '../../evidence/manifest';
import { S3Store } from '../../evidence/s3-store';
import { verifyStore } from '../../evidence/verify';
import type { Hub } from '../../worker/hub';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import type { SweepInput, SweepResult } from '../../workflows';
import { hubIn, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { mappingsFrom } from '../support/mapping-fixture';
import { waitFor } from '../support/processes';
import {
  activityOutcomes,
  auditFsBlobs,
  sleep,
  startRestartableMinio,
  type RestartableMinio,
} from '../support/resilience';
import { newKey } from '../support/store-fixture';
import { suiteDir, tempDir } from '../support/tmp';

/**
 * Issue 9, resilience: the store's backend fails under a sweep. MinIO stops in the middle of a
 * multipart upload and in the middle of a sweep, then comes back; the disk under a filesystem store
 * fills up. Nothing may be half-written: every blob matches its name, temp objects never count as
 * blobs, verify passes on whatever was committed, and a full disk fails fast with StoreFullError.
 */

let env: TestWorkflowEnvironment;
let minio: RestartableMinio;
let minioDir: string;

beforeAll(async () => {
  minioDir = await suiteDir('eh-minio-faults-');
  [env, minio] = await Promise.all([startDevServer(), startRestartableMinio(minioDir)]);
});

afterAll(async () => {
  await minio?.stop();
  await env?.teardown();
  await rm(minioDir, { recursive: true, force: true });
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every object under `prefix/` of a bucket, with its bytes hashed. */
async function bucketObjects(bucket: string, prefix: string): Promise<{ key: string; sha256: string }[]> {
  const out: { key: string; sha256: string }[] = [];
  let token: string | undefined;
  do {
    const res = await minio.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    for (const o of res.Contents ?? []) {
      const body = await minio.client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      out.push({
        key: o.Key!.slice(prefix.length + 1),
        sha256: sha256(Buffer.from(await body.Body!.transformToByteArray())),
      });
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Blob objects whose bytes do not hash to their name (must be none). */
function misnamedBlobs(objects: { key: string; sha256: string }[]): string[] {
  return objects
    .filter((o) => o.key.startsWith('blobs/') && o.key.slice(o.key.lastIndexOf('/') + 1) !== o.sha256)
    .map((o) => o.key);
}

async function sweepOutcome(hub: Hub, input: Omit<SweepInput, 'trigger'> = {}) {
  const worker = await createHubWorker(hub, await signingKey(hub), quietLog, {
    connection: env.nativeConnection,
    workflowBundle: await workflowBundle(),
  });
  return worker.runUntil(async () => {
    const startedAt = Date.now();
    const handle: WorkflowHandle = await startSweep(env.client, hub.config, { trigger: 'manual', ...input });
    try {
      return { handle, result: (await handle.result()) as SweepResult, ms: Date.now() - startedAt };
    } catch (error) {
      return { handle, error, ms: Date.now() - startedAt };
    }
  });
}

describe('MinIO stopped mid-upload', () => {
  it('a multipart putBlob cut off by the outage fails, its retry completes, nothing half-written, verify ok', async () => {
    const bucket = `faults-${randomBytes(4).toString('hex')}`;
    await minio.createBucket(bucket);
    // Anything over 1 MiB goes through the multipart path (8 MiB parts to a tmp/ key, then a copy).
    const store = new S3Store({ client: minio.client, bucket, prefix: 'evidence', singlePutMaxBytes: 1 << 20 });
    const data = randomBytes(40 << 20);
    let fed = 0;
    const slowly = Readable.from(
      (async function* () {
        for (let i = 0; i < data.length; i += 256 << 10) {
          await sleep(20);
          fed = Math.min(data.length, i + (256 << 10));
          yield data.subarray(i, i + (256 << 10));
        }
      })(),
    );
    const first = store.putBlob(slowly);
    first.catch(() => undefined);
    // Stop once the multipart upload is in progress with parts sent, well before the end.
    await waitFor(
      'a multipart upload in progress',
      async () =>
        (await minio.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length &&
        fed >= 12 << 20
          ? true
          : undefined,
      60_000,
      50,
    );
    expect(fed).toBeLessThan(data.length);
    const stoppedAt = Date.now();
    await minio.stop();
    const err = await first.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    console.log(
      `putBlob failed ${Date.now() - stoppedAt} ms after MinIO stopped, ${fed >> 20} MiB fed: ${err?.name}: ${err?.message}`,
    );
    expect(err).toBeInstanceOf(Error);
    await minio.start();

    const retried = await store.putBlob(Readable.from([data]));
    expect(retried).toEqual({ sha256: sha256(data), size: data.length, created: true });

    const objects = await bucketObjects(bucket, 'evidence');
    expect(misnamedBlobs(objects)).toEqual([]);
    expect(objects.filter((o) => o.key.startsWith('blobs/')).map((o) => o.key)).toEqual([
      `blobs/sha256/${retried.sha256.slice(0, 2)}/${retried.sha256}`,
    ]);
    // The failed attempt never completed an object; the retry removed its own temp object.
    expect(objects.filter((o) => o.key.startsWith('tmp/'))).toEqual([]);
    expect(await store.listBlobs()).toEqual([retried.sha256]);
    const dangling = (await minio.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
    console.log(`incomplete multipart uploads left by the failed attempt (invisible, not objects): ${dangling.length}`);

    // A bundle referencing the blob seals and verifies.
    const staging = await store.openStaging('faults-b1', 'docs', 0);
    const at = new Date().toISOString();
    await staging.append({
      id: artifactId('docs', 'model.bin'),
      source: 'docs',
      sourceType: 'folder',
      kind: 'document',
      externalId: 'model.bin',
      observedAt: at,
      collectedAt: at,
      sha256: retried.sha256,
      size: retried.size,
      mediaType: 'application/octet-stream',
      attributes: { path: 'model.bin' },
      provenance: { endpoint: 'file:///model.bin', collector: 'folder@1.0.0' },
    });
    await staging.close();
    const mappings = await mappingsFrom(
      'rules:\n  - id: docs\n    controls: [A.2.2]\n    select: { source: folder }\n    freshness: 365d\n',
    );
    const key = newKey();
    await store.registerKey(key, new Date(at)); // `keys init`: sealing never registers a key
    await sealBundle(store, key, mappings, {
      bundleId: 'faults-b1',
      startedAt: at,
      trigger: { type: 'manual', workflowId: 'faults', runId: 'r1' },
      outcomes: [{ source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: 1 }],
    });
    expect(await verifyStore(store)).toMatchObject({ ok: true, bundlesChecked: 1, blobsChecked: 1 });
  });

  it('a sweep into S3 survives MinIO going away mid-collection: retried, complete, verify ok', async () => {
    const bucket = `sweep-${randomBytes(4).toString('hex')}`;
    await minio.createBucket(bucket);
    process.env['EH_RES_S3_AK'] = minio.accessKeyId;
    process.env['EH_RES_S3_SK'] = minio.secretAccessKey;
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 3; i++) files[`big/model-${i}.bin`] = randomBytes(24 << 20);
    for (let i = 0; i < 300; i++) files[`docs/doc-${String(i).padStart(3, '0')}.txt`] = randomBytes(1024);
    const { hub } = await hubIn(
      await tempDir(),
      [
        'version: 1',
        `store: { s3: { bucket: ${bucket}, prefix: ev, endpoint: "${minio.endpoint}", forcePathStyle: true, credentials: { accessKeyId: { env: EH_RES_S3_AK }, secretAccessKey: { env: EH_RES_S3_SK } } } }`,
        'signing: { key: { file: ./k.pem } }',
        `temporal: { taskQueue: s3-fault-${randomBytes(4).toString('hex')}, concurrency: 2, collectRetry: { maximumAttempts: 30, initialInterval: 500ms } }`,
        'sources:',
        '  - { id: big, type: folder, path: ./big }',
        '  - { id: docs, type: folder, path: ./docs }',
        '',
      ].join('\n'),
      files,
    );
    // Stop MinIO as soon as a multipart upload is in progress, or a first batch of blobs is in.
    const stopper = waitFor(
      'collection into S3 under way',
      async () => {
        const mpu = (await minio.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
        const blobs =
          (await minio.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'ev/blobs/' }))).KeyCount ?? 0;
        return mpu > 0 || blobs >= 40 ? { mpu, blobs } : undefined;
      },
      120_000,
      25,
    ).then(async (at) => {
      await minio.stop();
      await sleep(3_000);
      await minio.start();
      return at;
    });
    const run = await sweepOutcome(hub);
    const at = await stopper;
    console.log(
      `MinIO stopped with ${at.mpu} multipart upload(s) in progress and ${at.blobs} blobs; sweep done in ${run.ms} ms`,
    );
    expect(run.error).toBeUndefined();
    expect(run.result!.sources.map((s) => [s.source, s.status, s.artifactCount])).toEqual([
      ['big', 'ok', 3],
      ['docs', 'ok', 300],
    ]);
    const outcomes = await activityOutcomes(run.handle);
    const collectAttempts = outcomes.filter((o) => o.type === 'collectSource').map((o) => o.attempt);
    console.log(`collect attempts: ${collectAttempts.join(', ')}`);
    expect(Math.max(...collectAttempts)).toBeGreaterThan(1);

    const manifest = (await readManifest(hub.store, 1))!;
    expect(manifest.artifacts.map((a) => `${a.source}/${a.externalId}`).sort()).toEqual(Object.keys(files).sort());
    const expectedBlobs = [...new Set(Object.values(files).map(sha256))].sort();
    expect(await hub.store.listBlobs()).toEqual(expectedBlobs);
    const objects = await bucketObjects(bucket, 'ev');
    expect(misnamedBlobs(objects)).toEqual([]);
    const tmpLeft = objects.filter((o) => o.key.startsWith('tmp/'));
    // Temp objects (none expected, but an outage between upload and copy could leave one) never count as blobs.
    console.log(`tmp/ objects left behind (not blobs): ${tmpLeft.length}`);
    expect(objects.filter((o) => o.key.startsWith('staging/'))).toEqual([]);
    expect(await verifyStore(hub.store)).toMatchObject({
      ok: true,
      bundlesChecked: 1,
      blobsChecked: expectedBlobs.length,
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// A full disk

/**
 * A small filesystem for the store, in one of two modes, each its own test so neither can stand in for the
 * other unnoticed: a real tmpfs (the kernel says ENOSPC; needs root and mount rights), or ENOSPC injected at
 * the file layer of this process (the in-process worker's writes; runs anywhere).
 */
type DiskMode = 'tmpfs' | 'injected';
interface SmallDisk {
  mode: DiskMode;
  kind: string;
  dir: string;
  /** Fills what is left of the disk. */
  fill(): Promise<void>;
  /** Frees what fill() took. */
  free(): Promise<void>;
  /** Injected mode: how many writes were refused with a made-up ENOSPC. */
  injections?: () => number;
  close(): Promise<void>;
}

/** Mounting a tmpfs needs root; RESILIENCE_NO_MOUNT=1 opts out (the tmpfs test then skips, and CI's skip gate says so). */
const canMount = process.getuid?.() === 0 && !process.env['RESILIENCE_NO_MOUNT'];

/** The Linux statfs magic number of a tmpfs (TMPFS_MAGIC). */
const tmpfsMagic = 0x01021994;

async function tmpfsDisk(sizeBytes: number): Promise<SmallDisk> {
  const dir = await suiteDir('eh-tmpfs-');
  // A mount that fails fails the test: it never falls back to the injected mode.
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  const filler = path.join(dir, 'filler');
  return {
    mode: 'tmpfs',
    kind: `tmpfs of ${sizeBytes} bytes`,
    dir,
    async fill() {
      const fh = await open(filler, 'w');
      const chunk = Buffer.alloc(64 << 10, 1);
      try {
        for (;;) await fh.write(chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        await fh.close();
      }
    },
    // Freeing space as an operator would: the filler goes, and the volume grows (the bulk blobs that filled it
    // in step 2 are evidence and stay; the few KiB they left are not enough for a seal and its checkpoint).
    async free() {
      await unlink(filler);
      execFileSync('mount', ['-o', `remount,size=${2 * sizeBytes}`, dir], { stdio: 'pipe' });
    },
    async close() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Without mount rights: every FileHandle write in this process (the in-process worker's store writes)
 * counts against a budget, and fails with ENOSPC past it, as a full disk would.
 */
async function injectedDisk(sizeBytes: number): Promise<SmallDisk> {
  const dir = await suiteDir('eh-smalldisk-');
  const fh = await open(os.devNull, 'r');
  const proto = Object.getPrototypeOf(fh) as Record<'write' | 'writeFile', (...a: unknown[]) => Promise<unknown>>;
  await fh.close();
  const original = { write: proto.write, writeFile: proto.writeFile };
  let used = 0;
  let full = false;
  let injected = 0;
  const enospc = () =>
    Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
  const charge = (data: unknown) => {
    const n = typeof data === 'string' ? Buffer.byteLength(data) : ArrayBuffer.isView(data) ? data.byteLength : 0;
    if (full || used + n > sizeBytes) {
      injected++;
      throw enospc();
    }
    used += n;
  };
  proto.write = async function (this: unknown, data: unknown, ...rest: unknown[]) {
    charge(data);
    return original.write.call(this, data, ...rest);
  };
  proto.writeFile = async function (this: unknown, data: unknown, ...rest: unknown[]) {
    charge(data);
    return original.writeFile.call(this, data, ...rest);
  };
  return {
    mode: 'injected',
    kind: `ENOSPC injected past ${sizeBytes} bytes`,
    dir,
    fill: async () => {
      full = true;
    },
    free: async () => {
      full = false;
      used = 0;
    },
    injections: () => injected,
    async close() {
      Object.assign(proto, original);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The StoreFullError at the root of a failed sweep or a failed source. */
function storeFullCause(error: unknown): { type?: string; message: string } | undefined {
  let e = error as { cause?: unknown; type?: string; message?: string; name?: string } | undefined;
  while (e) {
    if (e.type === 'StoreFullError' || e.name === 'StoreFullError')
      return { type: 'StoreFullError', message: e.message ?? '' };
    e = e.cause as typeof e;
  }
  return undefined;
}

const diskSize = 4 << 20;

describe('filesystem store on a full disk', () => {
  it.skipIf(!canMount)(
    'mode tmpfs (a real 4 MiB tmpfs): a sweep fails fast with StoreFullError (no retries), leaves no corrupt bundle, and the next sweep after freeing space works',
    async () => {
      const disk = await tmpfsDisk(diskSize);
      try {
        // The mode that ran, asserted: the store really sits on a tmpfs of that size.
        expect(disk.mode).toBe('tmpfs');
        const fs = await statfs(disk.dir);
        expect(fs.type).toBe(tmpfsMagic);
        expect(fs.blocks * fs.bsize).toBe(diskSize);
        await fullDiskScenario(disk);
      } finally {
        await disk.close();
      }
    },
  );

  it('mode injected (ENOSPC from the file layer past 4 MiB): the same sweep fails fast and recovers', async () => {
    const disk = await injectedDisk(diskSize);
    try {
      expect(disk.mode).toBe('injected');
      await fullDiskScenario(disk);
      // The mode that ran, asserted: the full disk was the injected one.
      expect(disk.injections!()).toBeGreaterThan(0);
    } finally {
      await disk.close();
    }
  });
});

/** One store on `disk`: room enough, then more evidence than fits, then a full disk, then space freed. */
async function fullDiskScenario(disk: SmallDisk): Promise<void> {
  console.log(`full-disk test on: ${disk.kind}`);
  const dir = await tempDir();
  const storeDir = path.join(disk.dir, 'store');
  await mkdir(storeDir);
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 5; i++)
    files[`docs/policy-${i}.md`] = Buffer.from(`# Policy ${i}\n${randomBytes(512).toString('hex')}\n`);
  const { hub } = await hubIn(
    dir,
    [
      'version: 1',
      `store: { path: "${storeDir}" }`,
      'signing: { key: { file: ./k.pem } }',
      `temporal: { taskQueue: full-${randomBytes(4).toString('hex')}, concurrency: 2, collectRetry: { maximumAttempts: 10, initialInterval: 500ms } }`,
      'sources:',
      '  - { id: docs, type: folder, path: ./docs }',
      '  - { id: bulk, type: folder, path: ./bulk }',
      '',
    ].join('\n'),
    { ...files, 'bulk/.keep': '' },
  );

  // 1. Room enough: a normal bundle.
  const first = await sweepOutcome(hub);
  expect(first.error).toBeUndefined();
  expect(first.result!.bundle.sequence).toBe(1);

  // 2. More evidence than the disk holds: the bulk source fails at once with StoreFullError.
  for (let i = 0; i < 12; i++) await writeFile(path.join(dir, 'bulk', `export-${i}.bin`), randomBytes(400 << 10));
  const second = await sweepOutcome(hub);
  const outcomes2 = await activityOutcomes(second.handle);
  const bulk = outcomes2.filter((o) => o.type === 'collectSource' && o.outcome === 'failed');
  expect(bulk).toHaveLength(1);
  expect(bulk[0]).toMatchObject({
    attempt: 1,
    failureType: 'StoreFullError',
    failureMessage: expect.stringContaining('no space left on device'),
  });
  if (second.error) {
    // Sealing could not write either: the sweep fails with StoreFullError, nothing committed.
    expect(second.error).toBeInstanceOf(WorkflowFailedError);
    expect(storeFullCause(second.error)).toBeDefined();
  } else {
    // The bundle records the failure (the healthy source's evidence is sealed).
    const failed = second.result!.sources.find((s) => s.source === 'bulk')!;
    expect(failed).toMatchObject({
      status: 'failed',
      error: { type: 'StoreFullError', message: expect.stringContaining('free space or move the store') },
    });
  }
  expect(second.ms).toBeLessThan(60_000);

  // 3. The disk completely full: the sweep fails with StoreFullError, each activity tried once.
  await disk.fill();
  const third = await sweepOutcome(hub, { sources: ['docs'] });
  expect(third.error).toBeInstanceOf(WorkflowFailedError);
  expect(storeFullCause(third.error)?.message).toContain('no space left on device');
  const outcomes3 = await activityOutcomes(third.handle);
  expect(outcomes3.filter((o) => o.outcome !== 'completed').map((o) => [o.type, o.attempt, o.failureType])).toEqual([
    ['collectSource', 1, 'StoreFullError'],
    ['sealBundle', 1, 'StoreFullError'],
  ]);
  expect(third.ms).toBeLessThan(60_000);
  console.log(`sweep into a full store failed in ${third.ms} ms: ${storeFullCause(third.error)?.message}`);

  // What exists verifies; nothing half-written lies around.
  const committed = await hub.store.sequences();
  expect(committed).toEqual(second.error ? [1] : [1, 2]);
  expect((await verifyStore(hub.store)).problems).toEqual([]);
  expect((await auditFsBlobs(storeDir)).problems).toEqual([]);
  expect(await readdir(path.join(storeDir, 'tmp'))).toEqual([]);
  // The failed sweeps' staged records were cleared: their bundle ids are never used again.
  expect(await readdir(path.join(storeDir, 'staging')).catch(() => [])).toEqual([]);

  // 4. Space freed: the next sweep works and chains on.
  await disk.free();
  await rm(path.join(dir, 'bulk'), { recursive: true });
  await mkdir(path.join(dir, 'bulk'));
  const fourth = await sweepOutcome(hub);
  expect(fourth.error).toBeUndefined();
  expect(fourth.result!.sources.map((s) => s.status)).toEqual(['ok', 'ok']);
  expect(await hub.store.sequences()).toEqual([...committed, committed.length + 1]);
  const report = await verifyStore(hub.store);
  expect(report.problems).toEqual([]);
  expect(report.bundlesChecked).toBe(committed.length + 1);
  expect(await readdir(path.join(storeDir, 'tmp'))).toEqual([]);
}
