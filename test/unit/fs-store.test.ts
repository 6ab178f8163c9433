import { readdir, readFile, rename, rm, unlink, writeFile, chmod, open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sealBundle } from '../../evidence/bundle';
import { sha256Hex } from '../../core/digest';
import { FilesystemStore } from '../../evidence/fs-store';
import { loadIndex, readManifest } from '../../evidence/index';
import { merkleRoot } from '../../evidence/merkle';
import { verifyBytes } from '../../evidence/signing';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { forgeBundle, newKey, stagedRecord, writeBundle } from '../support/store-fixture';
import { SigningKeyError } from '../../core/errors';
import { fingerprintOf } from '../../evidence/trust/fingerprint';
import { rotateKey } from '../../evidence/trust/rotate';
import { tempDir } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

const defaults = () => loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
const files = {
  'policies/ai-policy.md': '# AI policy\n',
  'monitoring/q4.md': '# drift\n',
  'copy-of-policy.md': '# AI policy\n',
};

describe('filesystem store', () => {
  it('stores blobs content-addressed and deduplicated', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const a = await store.putBlob(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    const b = await store.putBlob(Readable.from([Buffer.from('hello world')]));
    expect(a).toEqual({ sha256: sha256Hex('hello world'), size: 11, created: true });
    expect(b).toEqual({ ...a, created: false });
    expect(await store.listBlobs()).toEqual([a.sha256]);
    expect(await readdir(path.join(store.root, 'tmp'))).toEqual([]);
  });

  it('seals a signed, chained manifest that maps artifacts to controls', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = await defaults();
    const first = await writeBundle(store, key, mappings, 'b1', files);
    const second = await writeBundle(store, key, mappings, 'b2', { 'policies/ai-policy.md': '# AI policy v2\n' });
    expect([first.sequence, second.sequence]).toEqual([1, 2]);
    const m1 = (await readManifest(store, 1))!;
    const m2 = (await readManifest(store, 2))!;
    expect(m1.previousDigest).toBeNull();
    expect(m2.previousDigest).toBe(first.digest);
    expect(m1.artifacts.map((a) => a.id)).toEqual([
      'docs:policies/ai-policy.md',
      'docs:monitoring/q4.md',
      'docs:copy-of-policy.md',
    ]);
    expect(m1.controls['A.2.2']).toEqual(['docs:policies/ai-policy.md']);
    expect(m1.controls['A.6.2.6']).toEqual(['docs:monitoring/q4.md']);
    expect(m1.merkleRoot).toBe(merkleRoot(m1.artifacts.map((a) => a.sha256)));
    expect(m1.signing.keyId).toBe(key.keyId);
    const bytes = await readFile(store.manifestPath(1));
    expect(sha256Hex(bytes)).toBe(first.digest);
    expect(verifyBytes(key.publicKeyPem, bytes, (await store.readSignature(first.digest))!)).toBe(true);
    // Dedup across bundles: identical content is stored once.
    expect(await store.listBlobs()).toHaveLength(3);
    expect(await readdir(path.join(store.root, 'staging'))).toEqual([]);
    expect((await verifyStore(store)).ok).toBe(true);
  });

  it('committing the same bundle id twice returns the first commit (retried activity)', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = await defaults();
    const first = await writeBundle(store, key, mappings, 'same', files);
    await rm(path.join(store.root, 'bundles', 'same.json')); // pointer lost in a crash: found by scanning
    const again = await store.commitBundle('same', async () => {
      throw new Error('must not build a second manifest');
    });
    expect(again).toMatchObject({ bundleId: 'same', sequence: 1, digest: first.digest });
    expect(await store.sequences()).toEqual([1]);
  });

  it('a seal retried after its staging was removed answers from the committed manifest', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = await defaults();
    const first = await writeBundle(store, key, mappings, 'retry', files);
    expect(await readdir(path.join(store.root, 'staging'))).toEqual([]);
    const again = await sealBundle(store, key, mappings, {
      bundleId: 'retry',
      startedAt: '2026-06-01T00:00:00.000Z',
      trigger: { type: 'manual', workflowId: 'retry', runId: 'r' },
      outcomes: [{ source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: 3 }],
    });
    expect(again).toMatchObject({ sequence: 1, digest: first.digest, artifactCount: 3 });
    expect(await store.sequences()).toEqual([1]);
  });

  it('source state takes effect only when its bundle is sealed', async () => {
    const store = await FilesystemStore.open(await tempDir());
    await store.stageSourceState('s1', 'docs', { etag: 'W/"1"' });
    expect(await store.readSourceState('docs')).toBeUndefined();
    await store.stageSourceState('s2', 'docs', { etag: 'W/"2"' });
    await writeBundle(store, newKey(), await defaults(), 's2', { 'a.md': 'A' });
    expect(await store.readSourceState('docs')).toEqual({ etag: 'W/"2"' });
    // The abandoned sweep s1 never sealed: its state is discarded with its staging.
    await store.removeStaging('s1');
    expect(await store.readSourceState('docs')).toEqual({ etag: 'W/"2"' });
  });

  it('concurrent writers leave one unforked chain', async () => {
    const root = await tempDir();
    const key = newKey();
    const mappings = await defaults();
    // Two store instances on one folder stand in for two workers.
    const [s1, s2] = [await FilesystemStore.open(root), await FilesystemStore.open(root)];
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        writeBundle(i % 2 ? s1 : s2, key, mappings, `c${i}`, { [`f${i}.md`]: `content ${i}` }),
      ),
    );
    expect(await s1.sequences()).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const report = await verifyStore(s1);
    expect(report.problems).toEqual([]);
    const ids = new Set<string>();
    for (const seq of await s1.sequences()) ids.add((await readManifest(s1, seq))!.bundleId);
    expect(ids.size).toBe(12);
  });

  it('resumes a staging file at a checkpoint, dropping records after it', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const w = await store.openStaging('b', 'docs', 0);
    await w.append(stagedRecord('a'));
    const offset = await w.checkpoint();
    await w.append(stagedRecord('b'));
    await w.close();
    const resumed = await store.openStaging('b', 'docs', offset);
    await resumed.append(stagedRecord('c'));
    await resumed.close();
    expect((await store.readStaged('b', 'docs')).map((r) => r.externalId)).toEqual(['a', 'c']);
  });

  it('the index dedupes a fact collected by several sweeps and keeps the first collection time', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = await defaults();
    await writeBundle(store, key, mappings, 'i1', { 'a.md': 'A' }, new Date('2026-01-01T00:00:00Z'));
    await writeBundle(store, key, mappings, 'i2', { 'a.md': 'A' }, new Date('2026-01-01T00:00:00Z'));
    const index = await loadIndex(store);
    expect(index.artifacts).toHaveLength(1);
    expect(index.bundles).toHaveLength(2);
    expect(index.sourceRuns).toHaveLength(2);
  });

  it('reports a full disk as a clear, non-retryable store error and leaves no partial blob', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
      },
    });
    const err = await store.putBlob(failing).catch((e: unknown) => e);
    expect((err as Error).name).toBe('StoreFullError');
    expect((err as Error).message).toContain('no space left on device');
    expect(await readdir(path.join(store.root, 'tmp'))).toEqual([]);
    expect(await store.listBlobs()).toEqual([]);
  });

  it('staging, checkpoints and source state on a full disk also fail fast as StoreFullError', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const record = { id: 'docs:a.md' } as never;
    const writer = await store.openStaging('b1', 'docs', 0);
    await writer.append(record);
    // Every FileHandle in this process refuses writes and fsyncs as a full disk would, until restored.
    const probe = await open(os.devNull, 'r');
    const proto = Object.getPrototypeOf(probe) as Record<'write' | 'writeFile' | 'sync', unknown>;
    await probe.close();
    const original = { write: proto.write, writeFile: proto.writeFile, sync: proto.sync };
    const enospc = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    Object.assign(proto, { write: enospc, writeFile: enospc, sync: enospc });
    try {
      const failures = [
        await writer.append(record).catch((e: unknown) => e),
        await writer.checkpoint().catch((e: unknown) => e),
        await store.stageSourceState('b1', 'docs', { cursor: 'x' }).catch((e: unknown) => e),
        await store
          .openStaging('b2', 'docs', 0)
          .then((w) => w.append(record))
          .catch((e: unknown) => e),
      ];
      for (const err of failures) expect((err as Error).name).toBe('StoreFullError');
    } finally {
      Object.assign(proto, original);
    }
    // Nothing half-written is left behind: the staged file still holds exactly the record written before.
    await writer.close();
    expect(
      (await readFile(path.join(store.root, 'staging', 'b1', 'docs.jsonl'), 'utf8')).split('\n').filter(Boolean),
    ).toEqual(['{"id":"docs:a.md"}']);
    expect(await readdir(path.join(store.root, 'tmp'))).toEqual([]);
  });
});

describe('verify: tamper suite', () => {
  async function sealedStore() {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = await defaults();
    for (let i = 1; i <= 3; i++)
      await writeBundle(store, key, mappings, `t${i}`, { [`doc${i}.md`]: `content ${i}`, 'shared.md': 'shared' });
    return { store, key, mappings };
  }
  const codes = async (store: FilesystemStore) =>
    (await verifyStore(store)).problems.map((p) => `${p.code}@${p.sequence}`);

  it('a clean store verifies', async () => {
    const { store } = await sealedStore();
    expect(await verifyStore(store)).toMatchObject({ ok: true, bundlesChecked: 3, blobsChecked: 4, problems: [] });
  });

  it('one flipped byte in a blob is named', async () => {
    const { store } = await sealedStore();
    const m = (await readManifest(store, 2))!;
    const blob = store.blobPath(m.artifacts[0]!.sha256);
    await chmod(blob, 0o644);
    const bytes = await readFile(blob);
    bytes[0] = bytes[0]! ^ 1;
    await writeFile(blob, bytes);
    const report = await verifyStore(store);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'blob-altered', sequence: 2, artifact: 'docs:doc2.md' }),
    ]);
  });

  it('a removed blob is named in every bundle that uses it', async () => {
    const { store } = await sealedStore();
    const shared = (await readManifest(store, 1))!.artifacts.find((a) => a.externalId === 'shared.md')!;
    await unlink(store.blobPath(shared.sha256));
    expect(await codes(store)).toEqual(['blob-missing@1', 'blob-missing@2', 'blob-missing@3']);
  });

  it('an edited manifest fails its signature, breaks the chain after it and contradicts its checkpoint', async () => {
    const { store } = await sealedStore();
    const file = store.manifestPath(2);
    await chmod(file, 0o644);
    await writeFile(file, (await readFile(file, 'utf8')).replace('doc2.md', 'docX.md'));
    // forked: the signed checkpoint written at seal time names the original digest of bundle #2.
    expect(await codes(store)).toEqual(['signature-missing@2', 'chain-broken@3', 'forked@2']);
  });

  it('a removed bundle is a gap in the chain', async () => {
    const { store } = await sealedStore();
    await unlink(store.manifestPath(2));
    expect(await codes(store)).toEqual(['bundle-missing@2']);
  });

  it('reordered bundles are named', async () => {
    const { store } = await sealedStore();
    const tmp = store.manifestPath(99);
    await rename(store.manifestPath(2), tmp);
    await rename(store.manifestPath(3), store.manifestPath(2));
    await rename(tmp, store.manifestPath(3));
    const found = await codes(store);
    expect(found).toContain('sequence-mismatch@2');
    expect(found).toContain('sequence-mismatch@3');
    expect(found).toContain('chain-broken@2');
  });

  it('a manifest re-signed with another key is caught as unknown key', async () => {
    const { store, mappings } = await sealedStore();
    const other = newKey();
    // Our own sealing refuses a key that is not the store's current key...
    const staging = await store.openStaging('evil', 'docs', 0);
    await staging.close();
    await expect(
      sealBundle(store, other, mappings, {
        bundleId: 'evil',
        startedAt: '2026-06-01T00:00:00.000Z',
        trigger: { type: 'manual', workflowId: 'e', runId: 'e' },
        outcomes: [{ source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: 0 }],
      }),
    ).rejects.toThrow(/refusing to seal: this worker's signing key .* is not the store's current key/);
    // ...so an attacker with write access appends a bundle signed by their own key directly.
    await forgeBundle(store, other, 'evil');
    expect(await codes(store)).toEqual(['key-unknown@4']);
  });

  it('a key swapped under the same keyId is a key-id-mismatch, and bundles it should vouch for have no key', async () => {
    const { store, key } = await sealedStore();
    const keyFile = path.join(store.root, 'keys', `${key.keyId}.json`);
    const record = JSON.parse(await readFile(keyFile, 'utf8'));
    record.publicKeyPem = newKey().publicKeyPem;
    await writeFile(keyFile, JSON.stringify(record));
    // keyId must be keyIdOf(the PEM): the record is not a candidate, so no bundle finds its key.
    const found = await codes(store);
    expect(found).toEqual(
      expect.arrayContaining(['key-id-mismatch@undefined', 'key-unknown@1', 'key-unknown@2', 'key-unknown@3']),
    );
    expect(found[0]).toBe('key-id-mismatch@undefined');
  });

  it('key rotation: old bundles verify with the old key; the retired key cannot sign new ones', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const mappings = await defaults();
    const [k1, k2] = [newKey(), newKey()];
    await writeBundle(store, k1, mappings, 'r1', { 'a.md': 'a' }, new Date('2026-01-01T00:00:00Z'));
    // Sealing never rotates: k2 is refused until `keys rotate` hands over from k1.
    await expect(writeBundle(store, k2, mappings, 'r2', { 'b.md': 'b' })).rejects.toThrow(SigningKeyError);
    await rotateKey(store, k1, k2, new Date('2026-02-01T00:00:00Z'));
    await writeBundle(store, k2, mappings, 'r2', { 'b.md': 'b' }, new Date('2026-02-01T00:00:00Z'));
    const keys = await store.listKeys();
    expect(keys).toEqual([
      expect.objectContaining({
        keyId: k1.keyId,
        validFrom: '2026-01-01T00:00:00.000Z',
        validUntil: '2026-02-01T00:00:00.000Z',
      }),
      expect.objectContaining({ keyId: k2.keyId, validFrom: '2026-02-01T00:00:00.000Z' }),
    ]);
    expect(keys[1]!.validUntil).toBeUndefined();
    expect((await verifyStore(store)).ok).toBe(true);
    // The retired key cannot seal any more; a bundle it signs anyway (written directly into the store)
    // is rejected, even though the signature itself is mathematically valid.
    await expect(writeBundle(store, k1, mappings, 'r3', { 'c.md': 'c' })).rejects.toThrow(SigningKeyError);
    await forgeBundle(store, k1, 'r3', new Date('2026-03-01T00:00:00Z'));
    expect((await verifyStore(store)).problems.map((p) => `${p.code}@${p.sequence}`)).toEqual(['key-not-valid@3']);
    // With k1 pinned, k2 is trusted through the transition, and k1 is no longer trusted after handing over.
    const pinned = await verifyStore(store, { trust: [fingerprintOf(k1.publicKeyPem)] });
    expect(pinned.problems.map((p) => `${p.code}@${p.sequence}`)).toEqual(['key-not-valid@3', 'untrusted-key@3']);
  });

  it('verifying a date range checks only the bundles sealed in it', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = await defaults();
    for (const [i, day] of ['2026-01-10', '2026-02-10', '2026-03-10'].entries()) {
      await writeBundle(store, key, mappings, `d${i}`, { [`f${i}.md`]: String(i) }, new Date(`${day}T12:00:00Z`));
    }
    const feb = await verifyStore(store, {
      from: new Date('2026-02-01T00:00:00Z'),
      to: new Date('2026-02-28T23:59:59Z'),
    });
    expect(feb).toMatchObject({ ok: true, bundlesChecked: 1, blobsChecked: 1 });
    // Tampering outside the range is not reported by a range check, but is by a full one.
    const jan = (await readManifest(store, 1))!;
    await unlink(store.blobPath(jan.artifacts[0]!.sha256));
    expect((await verifyStore(store, { from: new Date('2026-02-01T00:00:00Z') })).ok).toBe(true);
    expect((await verifyStore(store)).ok).toBe(false);
  });

  it('verifying one bundle checks only it and its link', async () => {
    const { store } = await sealedStore();
    const report = await verifyStore(store, { sequences: [3] });
    expect(report).toMatchObject({ ok: true, bundlesChecked: 1 });
  });
});
