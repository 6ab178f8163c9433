import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/digest';
import { parseCheckpoint, signCheckpoint, verifyCheckpoint } from '../../evidence/checkpoint';
import { FilesystemStore } from '../../evidence/fs-store';
import { fingerprintOf } from '../../evidence/trust/fingerprint';
import { readManifest } from '../../evidence/index';
import { readIntegrityState, verifyIntegrity } from '../../evidence/integrity';
import { S3Store } from '../../evidence/s3-store';
import { AzureStore } from '../../evidence/azure-store';
import { GcsStore } from '../../evidence/gcs-store';
import { useAzurite } from '../support/azurite';
import { useFakeGcs } from '../support/fake-gcs';
import { prune, RetentionRefused, threeYearsMs } from '../../evidence/retention';
import type { EvidenceStore } from '../../evidence/store';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import type { MinioServer } from '../support/minio';
import { useMinio } from '../support/minio-suite';
import { newKey, stagedRecord, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

const server = useMinio();
let minio: MinioServer;
let bucketCount = 0;
beforeAll(() => {
  minio = server();
});

async function s3Store(options: { objectLock?: boolean; prefix?: string } = {}): Promise<S3Store> {
  const bucket = `contract-${process.pid}-${++bucketCount}`;
  await minio.createBucket(bucket, { versioned: true, objectLock: options.objectLock ?? false });
  return new S3Store({
    client: minio.client,
    bucket,
    prefix: options.prefix ?? 'evidence/',
    singlePutMaxBytes: 1024 * 1024, // small, so the multipart path is exercised by modest test data
    ...(options.objectLock ? { objectLock: { mode: 'COMPLIANCE' as const, days: 1 } } : {}),
  });
}

// Azure Blob and GCS run the same contract on their emulators; what those cannot prove (WORM) is in the README.
const azurite = useAzurite();
const fakeGcs = useFakeGcs();

async function azureStore(options: { immutabilityDays?: number } = {}): Promise<AzureStore> {
  const container = azurite().service.getContainerClient(`contract-${process.pid}-${++bucketCount}`);
  await container.create();
  return new AzureStore({
    container,
    prefix: 'evidence/',
    singlePutMaxBytes: 1024 * 1024,
    ...(options.immutabilityDays
      ? { immutability: { mode: 'Unlocked' as const, days: options.immutabilityDays } }
      : {}),
  });
}

async function gcsStore(options: { retentionDays?: number } = {}): Promise<GcsStore> {
  const [bucket] = await fakeGcs().storage.createBucket(`contract-${process.pid}-${++bucketCount}`);
  return new GcsStore({
    bucket,
    prefix: 'evidence/',
    singlePutMaxBytes: 1024 * 1024,
    ...(options.retentionDays ? { retention: { mode: 'Unlocked' as const, days: options.retentionDays } } : {}),
  });
}

const stores: [string, () => Promise<EvidenceStore>][] = [
  ['filesystem', async () => FilesystemStore.open(await tempDir())],
  ['s3 (MinIO)', () => s3Store()],
  ['azure blob (Azurite)', () => azureStore()],
  ['gcs (fake-gcs-server)', () => gcsStore()],
];

describe.each(stores)('evidence store contract: %s', (_name, makeStore) => {
  const defaults = () => loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());

  it('stores blobs by content, deduplicated, and reads them back', async () => {
    const store = await makeStore();
    const a = await store.putBlob(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    const b = await store.putBlob(Readable.from([Buffer.from('hello world')]));
    expect(a).toEqual({ sha256: sha256Hex('hello world'), size: 11, created: true });
    expect(b.created).toBe(false);
    expect(await store.listBlobs()).toEqual([a.sha256]);
    expect(await store.blobSize(a.sha256)).toBe(11);
    expect(await store.blobSize('0'.repeat(64))).toBeUndefined();
    const chunks: Buffer[] = [];
    for await (const c of store.openBlob(a.sha256)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello world');
  });

  it('streams a large artifact without holding it whole, and dedups it too', async () => {
    const store = await makeStore();
    const part = randomBytes(1024 * 1024);
    const make = () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < 12; i++) yield part;
        })(),
      );
    const ref = await store.putBlob(make());
    const expected = sha256Hex(Buffer.concat(Array.from({ length: 12 }, () => part)));
    expect(ref).toEqual({ sha256: expected, size: 12 * 1024 * 1024, created: true });
    expect((await store.putBlob(make())).created).toBe(false);
    expect(await store.listBlobs()).toEqual([expected]);
    // No bundle yet: an empty chain is `empty-store` unless allowed (issue #14), the blob alone is no evidence.
    expect((await verifyStore(store)).problems.map((p) => p.code)).toEqual(['empty-store']);
    expect((await verifyStore(store, { allowEmpty: true })).ok).toBe(true);
  });

  it('seals chained, signed bundles that verify', async () => {
    const store = await makeStore();
    const key = newKey();
    const mappings = await defaults();
    const b1 = await writeBundle(store, key, mappings, 'c1', { 'policies/ai-policy.md': 'p1', 'x.md': 'x' });
    const b2 = await writeBundle(store, key, mappings, 'c2', { 'policies/ai-policy.md': 'p2' });
    expect(await store.sequences()).toEqual([1, 2]);
    expect((await readManifest(store, 2))!.previousDigest).toBe(b1.digest);
    expect(await store.head()).toEqual({ sequence: 2, digest: b2.digest });
    expect((await store.findBundle('c1'))!.sequence).toBe(1);
    expect(await store.listKeys()).toEqual([expect.objectContaining({ keyId: key.keyId })]);
    expect(await verifyStore(store)).toMatchObject({ ok: true, bundlesChecked: 2, blobsChecked: 3 });
  });

  it('integrity verification starts after the last verified bundle and keeps its state in the store', async () => {
    const store = await makeStore();
    const key = newKey();
    const mappings = await defaults();
    const now = new Date('2026-06-02T00:00:00Z');
    expect(await readIntegrityState(store)).toBeUndefined();
    await writeBundle(store, key, mappings, 'i1', { 'a.md': 'a' });
    expect(await verifyIntegrity(store, { full: false, now })).toMatchObject({
      ok: true,
      fromSequence: 1,
      toSequence: 1,
      bundlesChecked: 1,
    });
    await writeBundle(store, key, mappings, 'i2', { 'b.md': 'b' });
    expect(await verifyIntegrity(store, { full: false, now })).toMatchObject({
      ok: true,
      fromSequence: 2,
      toSequence: 2,
      bundlesChecked: 1,
    });
    expect(await verifyIntegrity(store, { full: true, now })).toMatchObject({
      ok: true,
      fromSequence: 1,
      bundlesChecked: 2,
    });
    expect(await readIntegrityState(store)).toMatchObject({
      verifiedThrough: 2,
      lastFullAt: now.toISOString(),
      last: { mode: 'full', ok: true },
    });
  });

  it('writes a signed checkpoint after each seal, never overwrites one, and verify holds the chain to them', async () => {
    const store = await makeStore();
    const key = newKey();
    const mappings = await defaults();
    const b1 = await writeBundle(store, key, mappings, 'k1', { 'a.md': 'a' }, new Date('2026-03-01T00:00:00Z'));
    const b2 = await writeBundle(store, key, mappings, 'k2', { 'b.md': 'b' }, new Date('2026-03-02T00:00:00Z'));
    expect(await store.listCheckpoints()).toEqual([1, 2]);
    const stored = (await store.readCheckpoint(2))!;
    expect(verifyCheckpoint(stored.body, stored.signature, key.publicKeyPem)).toBe(true);
    expect(parseCheckpoint(stored.body)).toEqual({
      storeId: b1.digest, // the sha256 of manifest #1
      sequence: 2,
      head: b2.digest,
      time: '2026-03-02T00:00:00.000Z',
      keyId: key.keyId,
      fingerprint: fingerprintOf(key.publicKeyPem),
    });
    // Create-if-absent: a second write for the same sequence is refused and changes nothing.
    const other = await signCheckpoint(key, { ...parseCheckpoint(stored.body), time: '2026-03-03T00:00:00.000Z' });
    expect(await store.putCheckpoint(2, other.body, other.signature)).toBe(false);
    expect((await store.readCheckpoint(2))!.body.equals(stored.body)).toBe(true);
    // A retried seal of a committed bundle leaves the same checkpoint.
    await writeBundle(store, key, mappings, 'k2', { 'b.md': 'b' }, new Date('2026-03-05T00:00:00Z'));
    expect((await store.readCheckpoint(2))!.body.equals(stored.body)).toBe(true);
    expect((await verifyStore(store)).problems).toEqual([]);
    // A checkpoint of a bundle #3 the chain does not have: bundles were cut off.
    const ahead = await signCheckpoint(key, { ...parseCheckpoint(stored.body), sequence: 3, head: 'f'.repeat(64) });
    expect(await store.putCheckpoint(3, ahead.body, ahead.signature)).toBe(true);
    expect((await verifyStore(store)).problems.map((p) => p.code)).toEqual(['truncated']);
  });

  it('concurrent writers leave one unforked chain', async () => {
    const store = await makeStore();
    const key = newKey();
    const mappings = await defaults();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => writeBundle(store, key, mappings, `w${i}`, { [`f${i}.md`]: `content ${i}` })),
    );
    expect(await store.sequences()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('resumes staging at a checkpoint and keeps source state until sealing', async () => {
    const store = await makeStore();
    const w = await store.openStaging('b', 'docs', 0);
    await w.append(stagedRecord('a'));
    const offset = await w.checkpoint();
    await w.append(stagedRecord('b'));
    await w.checkpoint();
    await w.close();
    const resumed = await store.openStaging('b', 'docs', offset);
    await resumed.append(stagedRecord('c'));
    await resumed.close();
    expect((await store.readStaged('b', 'docs')).map((r) => r.externalId)).toEqual(['a', 'c']);
    await store.stageSourceState('b', 'docs', { cursor: 7 });
    expect(await store.readSourceState('docs')).toBeUndefined();
    await store.promoteSourceState('b', 'docs');
    expect(await store.readSourceState('docs')).toEqual({ cursor: 7 });
    await store.removeStaging('b');
  });
});

describe('S3 store specifics', () => {
  it('with Object Lock (compliance mode), deleting a locked version of evidence fails', async () => {
    const store = await s3Store({ objectLock: true });
    const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
    await writeBundle(store, newKey(), mappings, 'locked', { 'a.md': 'locked evidence' });
    const bucket = store.location.slice('s3://'.length).split('/')[0]!;
    const versions = await minio.client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'evidence/manifests/' }),
    );
    const v = versions.Versions![0]!;
    const err = await minio.client
      .send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key!, VersionId: v.VersionId! }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBeGreaterThanOrEqual(400);
    expect((await verifyStore(store)).ok).toBe(true);
  });

  it('prune refuses to delete anything under an active Object Lock', async () => {
    const store = await s3Store({ objectLock: true });
    const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
    const key = newKey();
    await writeBundle(store, key, mappings, 'old', { 'a.md': 'locked and old' }, new Date('2025-01-01T00:00:00Z'));
    const err = await prune(store, key, {
      before: new Date('2026-01-01T00:00:00Z'),
      lookBackMs: threeYearsMs,
      now: new Date('2030-01-01T00:00:00Z'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetentionRefused);
    expect((err as Error).message).toMatch(/1 blob\(s\) are under an active Object Lock.*nothing was deleted/);
    expect(await store.listBlobs()).toHaveLength(1);
    expect(await store.readTombstone(sha256Hex('locked and old'))).toBeUndefined();
  });

  it('prune on S3 without a lock leaves tombstones that verify accepts', async () => {
    const store = await s3Store();
    const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
    const key = newKey();
    await writeBundle(store, key, mappings, 'old', { 'a.md': 'old' }, new Date('2025-01-01T00:00:00Z'));
    await writeBundle(store, key, mappings, 'new', { 'b.md': 'new' }, new Date('2029-06-01T00:00:00Z'));
    const report = await prune(store, key, {
      before: new Date('2026-01-01T00:00:00Z'),
      lookBackMs: threeYearsMs,
      now: new Date('2030-01-01T00:00:00Z'),
    });
    expect(report.blobsDeleted).toEqual([sha256Hex('old')]);
    expect(await verifyStore(store)).toMatchObject({ ok: true, blobsPruned: 1, blobsChecked: 1 });
  });

  it('notices a tampered blob in S3', async () => {
    const store = await s3Store();
    const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
    await writeBundle(store, newKey(), mappings, 't', { 'a.md': 'original' });
    const bucket = store.location.slice('s3://'.length).split('/')[0]!;
    const sha = sha256Hex('original');
    await minio.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `evidence/blobs/sha256/${sha.slice(0, 2)}/${sha}`,
        Body: 'originaL',
      }),
    );
    const report = await verifyStore(store);
    expect(report.problems.map((p) => p.code)).toEqual(['blob-altered']);
  });
});

/*
 * What the emulators can show about WORM. fake-gcs-server keeps an object's retention as written and reports
 * it, but does not enforce it; Azurite accepts the immutability header and neither reports nor enforces it.
 * The README's store section says what only the real services prove.
 */
describe('GCS store specifics', () => {
  it('with retention, every evidence object (the copied large blob too) carries it, and prune refuses to delete', async () => {
    const store = await gcsStore({ retentionDays: 2 });
    const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
    const key = newKey();
    await writeBundle(store, key, mappings, 'old', { 'a.md': 'retained' }, new Date('2025-01-01T00:00:00Z'));
    const small = sha256Hex('retained');
    const until = await store.blobLockedUntil(small);
    expect(until!.getTime()).toBeGreaterThan(Date.now() + 86_400_000);
    const large = await store.putBlob(Readable.from([randomBytes(1024 * 1024), randomBytes(1024 * 1024)]));
    expect(await store.blobLockedUntil(large.sha256)).toBeInstanceOf(Date);
    const bucket = fakeGcs().storage.bucket(store.location.slice('gs://'.length).split('/')[0]!);
    const [manifest] = await bucket.file('evidence/manifests/000000000001.json').getMetadata();
    expect(manifest.retention).toMatchObject({ mode: 'Unlocked' });
    // Mutable state is never retained, so it can be rewritten under a bucket with object retention.
    await store.writeWitnessState(Buffer.from('{}'));
    const [state] = await bucket.file('evidence/witness/state.json').getMetadata();
    expect(state.retention).toBeUndefined();
    const err = await prune(store, key, {
      before: new Date('2026-01-01T00:00:00Z'),
      lookBackMs: threeYearsMs,
      now: new Date('2030-01-01T00:00:00Z'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetentionRefused);
    expect(await store.listBlobs()).toContain(small);
  });
});

describe('Azure Blob store specifics', () => {
  it('with immutability configured, Azurite accepts every write and the chain verifies (it does not report the policy)', async () => {
    const store = await azureStore({ immutabilityDays: 1 });
    const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
    await writeBundle(store, newKey(), mappings, 'imm', { 'a.md': 'immutable evidence' });
    await store.putBlob(Readable.from([randomBytes(1024 * 1024), randomBytes(1024 * 1024)]));
    expect((await verifyStore(store)).ok).toBe(true);
    // Azurite ignores version-level immutability: the real service would answer a date here (README).
    expect(await store.blobLockedUntil(sha256Hex('immutable evidence'))).toBeUndefined();
  });
});
