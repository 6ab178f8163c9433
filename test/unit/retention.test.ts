import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemStore } from '../../evidence/fs-store';
import { prune, RetentionRefused, threeYearsMs } from '../../evidence/retention';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

const now = new Date('2030-06-01T00:00:00Z');

async function agedStore() {
  const store = await FilesystemStore.open(await tempDir());
  const key = newKey();
  const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
  await writeBundle(
    store,
    key,
    mappings,
    'old1',
    { 'a.md': 'old only', 'shared.md': 'still used' },
    new Date('2025-01-10T00:00:00Z'),
  );
  await writeBundle(store, key, mappings, 'old2', { 'b.md': 'old too' }, new Date('2026-01-10T00:00:00Z'));
  await writeBundle(
    store,
    key,
    mappings,
    'new1',
    { 'shared.md': 'still used', 'c.md': 'recent' },
    new Date('2027-09-01T00:00:00Z'),
  );
  return { store, key };
}

describe('retention: prune', () => {
  it('refuses a date inside the audit look-back and changes nothing', async () => {
    const { store, key } = await agedStore();
    const before = await store.listBlobs();
    const err = await prune(store, key, {
      before: new Date('2028-01-01T00:00:00Z'),
      lookBackMs: threeYearsMs,
      now,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetentionRefused);
    expect((err as Error).message).toContain('inside the audit look-back of 1095 days');
    expect((err as Error).message).toContain('choose a date on or before 2027-06-02');
    expect(await store.listBlobs()).toEqual(before);
  });

  it('deletes only blobs no newer bundle uses, leaves signed tombstones, and the store still verifies', async () => {
    const { store, key } = await agedStore();
    const dry = await prune(store, key, {
      before: new Date('2027-01-01T00:00:00Z'),
      lookBackMs: threeYearsMs,
      now,
      dryRun: true,
    });
    expect(dry.blobsDeleted).toHaveLength(2);
    expect(await store.listBlobs()).toHaveLength(4);

    const report = await prune(store, key, { before: new Date('2027-01-01T00:00:00Z'), lookBackMs: threeYearsMs, now });
    expect(report).toMatchObject({
      bundles: [1, 2],
      blobsKept: 2,
      bytesFreed: 'old only'.length + 'old too'.length,
      dryRun: false,
    });
    expect(await store.listBlobs()).toHaveLength(2);
    expect(await store.sequences()).toEqual([1, 2, 3]); // manifests stay: the chain is intact
    const verified = await verifyStore(store);
    expect(verified).toMatchObject({ ok: true, bundlesChecked: 3, blobsPruned: 2, blobsChecked: 2 });
    // Pruning again is a no-op.
    expect(
      (await prune(store, key, { before: new Date('2027-01-01T00:00:00Z'), lookBackMs: threeYearsMs, now }))
        .blobsDeleted,
    ).toEqual([]);
  });

  it('verify rejects a deletion hidden behind a forged or unsigned tombstone, and a plain deletion', async () => {
    const { store, key } = await agedStore();
    await prune(store, key, { before: new Date('2027-01-01T00:00:00Z'), lookBackMs: threeYearsMs, now });
    const tombstoneName = (await readdir(path.join(store.root, 'tombstones'))).find((n) => n.endsWith('.json'))!;
    const sha = tombstoneName.slice(0, 64);
    // Forge: rewrite the tombstone's reason without re-signing.
    const file = path.join(store.root, 'tombstones', `${sha}.json`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('retention', 'cover-up'));
    expect((await verifyStore(store)).problems.map((p) => p.code)).toEqual(['tombstone-invalid']);
    // A recent blob deleted without any tombstone is plainly missing.
    const recent = (await store.listBlobs()).find((b) => b !== sha)!;
    await unlink(store.blobPath(recent));
    expect((await verifyStore(store)).problems.map((p) => p.code).sort()).toContain('blob-missing');
  });
});
