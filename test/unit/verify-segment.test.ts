import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/digest';
import { FilesystemStore } from '../../evidence/fs-store';
import { seqName } from '../../evidence/chain';
import { signMarker } from '../../evidence/export/marker';
import { readManifest } from '../../evidence/index';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

/** A store with four bundles, and a copy that holds only bundles 3 and 4 (as an audit pack does). */
async function segmentCopy() {
  const store = await FilesystemStore.open(await tempDir());
  const key = newKey();
  const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
  for (let i = 1; i <= 4; i++) {
    await writeBundle(
      store,
      key,
      mappings,
      `b${i}`,
      { [`monitoring/m${i}.md`]: `drift ${i}` },
      new Date(`2026-0${i}-05T10:00:00Z`),
    );
  }
  const copy = await tempDir();
  for (const part of ['store.json', 'keys', 'signatures'])
    await cp(path.join(store.root, part), path.join(copy, part), { recursive: true });
  await mkdir(path.join(copy, 'manifests'));
  for (const seq of [3, 4]) {
    await cp(store.manifestPath(seq), path.join(copy, 'manifests', `${seqName(seq)}.json`));
    // Only the blobs of the segment's bundles, as in a pack (a stray blob would be `unreferenced-blob`).
    for (const a of (await readManifest(store, seq))!.artifacts)
      await cp(store.blobPath(a.sha256), path.join(copy, path.relative(store.root, store.blobPath(a.sha256))));
  }
  const anchor = sha256Hex((await store.readManifest(2))!);
  const facts = {
    storeId: sha256Hex((await store.readManifest(1))!),
    toSequence: 4,
    headDigest: sha256Hex((await store.readManifest(4))!),
  };
  /** export.json as an export signs it (evidence/export/marker.ts), with this segment start and anchor. */
  const marker = async (fromSequence: number, previousDigest: string | null) => {
    const { bytes, signature } = await signMarker(
      {
        ...facts,
        fromSequence,
        previousDigest,
        window: { from: '2026-03-01T00:00:00.000Z', to: '2026-04-30T23:59:59.999Z' },
        generatedAt: '2026-05-01T00:00:00.000Z',
      },
      key,
    );
    await writeFile(path.join(copy, 'export.json'), bytes);
    await writeFile(path.join(copy, 'export.json.sig'), signature);
  };
  return { copy, anchor, marker };
}

describe('verify a chain segment (audit pack)', () => {
  it('without a marker, the bundles before the segment are reported missing', async () => {
    const { copy } = await segmentCopy();
    const report = await verifyStore(await FilesystemStore.openExisting(copy));
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => `${p.code}#${p.sequence}`)).toEqual(['bundle-missing#1', 'bundle-missing#2']);
  });

  it('export.json makes the segment verify by itself, anchored on the digest of the bundle before it', async () => {
    const { copy, anchor, marker } = await segmentCopy();
    await marker(3, anchor);
    const report = await verifyStore(await FilesystemStore.openExisting(copy));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      bundlesChecked: 2,
      blobsChecked: 2,
      segment: { fromSequence: 3, previousDigest: anchor },
    });
    // The same, passed as an option instead of a file.
    await rm(path.join(copy, 'export.json'));
    expect(
      (
        await verifyStore(await FilesystemStore.openExisting(copy), {
          segment: { fromSequence: 3, previousDigest: anchor },
        })
      ).ok,
    ).toBe(true);
  });

  it('a wrong anchor breaks the chain; a segment missing its first bundle is reported; a bad marker is a problem', async () => {
    const { copy, anchor, marker } = await segmentCopy();
    await marker(3, 'f'.repeat(64));
    const wrong = await verifyStore(await FilesystemStore.openExisting(copy));
    expect(wrong.problems).toMatchObject([{ code: 'chain-broken', sequence: 3 }]);
    expect(wrong.problems[0]!.message).toContain('the anchor in export.json');

    await marker(2, anchor);
    const gap = await verifyStore(await FilesystemStore.openExisting(copy));
    // The signed export.json says the pack starts at #2: its first manifest being #3 shows too.
    expect(gap.problems.map((p) => `${p.code}#${p.sequence}`)).toEqual([
      'bundle-missing#2',
      'export-altered#undefined',
    ]);

    await writeFile(path.join(copy, 'export.json'), '{"format":"evidence-hub/export@1","fromSequence":"3"}');
    const bad = await verifyStore(await FilesystemStore.openExisting(copy));
    expect(bad.problems.map((p) => p.code)).toEqual([
      'segment-marker-invalid',
      'bundle-missing',
      'bundle-missing',
      'export-altered', // an export.json without the signed fields vouches for nothing
    ]);
    expect(bad.segment).toBeUndefined();
  });
});
