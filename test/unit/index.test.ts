import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evidenceForControl, loadIndex, newestPerControl, rebuildIndex, serializeIndex } from '../../evidence/index';
import { FilesystemStore } from '../../evidence/fs-store';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

async function populated() {
  const store = await FilesystemStore.open(await tempDir());
  const key = newKey();
  const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
  const days = ['2026-01-05', '2026-02-05', '2026-03-05', '2026-04-05'];
  // Load the index after every sweep, as `status` does, so the cache is built incrementally.
  for (const [i, d] of days.entries()) {
    await writeBundle(
      store,
      key,
      mappings,
      `b${i}`,
      {
        'policies/ai-policy.md': `policy v${Math.floor(i / 2)}`,
        [`monitoring/m${i}.md`]: `drift ${i}`,
        'raci.csv': 'same',
      },
      new Date(`${d}T10:00:00Z`),
    );
    await loadIndex(store);
  }
  return store;
}

describe('evidence index', () => {
  it('index rebuild from the manifests alone reproduces the incrementally built index exactly', async () => {
    const store = await populated();
    const incremental = await loadIndex(store);
    const incrementalBytes = serializeIndex(incremental);
    const rebuilt = await rebuildIndex(store);
    expect(serializeIndex(rebuilt).equals(incrementalBytes)).toBe(true);
    for (const asOf of [undefined, new Date('2026-02-10T00:00:00Z'), new Date('2026-01-01T00:00:00Z')]) {
      expect(newestPerControl(rebuilt, asOf)).toEqual(newestPerControl(incremental, asOf));
    }
    const window = [new Date('2026-01-01T00:00:00Z'), new Date('2026-12-31T00:00:00Z')] as const;
    expect(evidenceForControl(rebuilt, 'A.6.2.6', ...window)).toEqual(
      evidenceForControl(incremental, 'A.6.2.6', ...window),
    );
  });

  it('answers newest evidence per control, evidence in a window, and what was known as of a date', async () => {
    const index = await loadIndex(await populated());
    expect(index.bundles.map((b) => b.sequence)).toEqual([1, 2, 3, 4]);
    // The unchanged raci.csv is one fact, first collected by bundle 1.
    const raci = index.artifacts.filter((a) => a.id === 'docs:raci.csv');
    expect(raci).toHaveLength(4); // observedAt differs per sweep in this fixture (collected as new observations)
    const newest = newestPerControl(index);
    expect(newest['A.6.2.6']).toMatchObject({
      id: 'docs:monitoring/m3.md',
      observedAt: '2026-04-05T10:00:00.000Z',
      bundle: 4,
    });
    expect(newest['A.2.2']).toMatchObject({ id: 'docs:policies/ai-policy.md', bundle: 4 });
    const asOfFeb = newestPerControl(index, new Date('2026-02-28T00:00:00Z'));
    expect(asOfFeb['A.6.2.6']).toMatchObject({ id: 'docs:monitoring/m1.md', bundle: 2 });
    expect(newestPerControl(index, new Date('2025-12-31T00:00:00Z'))).toEqual({});
    const q1 = evidenceForControl(index, 'A.6.2.6', new Date('2026-01-01T00:00:00Z'), new Date('2026-03-31T23:59:59Z'));
    expect(q1.map((r) => r.id)).toEqual(['docs:monitoring/m2.md', 'docs:monitoring/m1.md', 'docs:monitoring/m0.md']);
  });

  it('a cache that no longer matches the chain is rebuilt; an unreadable one too', async () => {
    const store = await populated();
    const good = serializeIndex(await loadIndex(store));
    await writeFile(path.join(store.root, 'index', 'evidence-index.v1.ndjson'), 'garbage\n');
    expect(serializeIndex(await loadIndex(store)).equals(good)).toBe(true);
    // A cache claiming a different head digest (e.g. copied from another store) is not trusted.
    const forged = good.toString('utf8').replace(/"digest":"[0-9a-f]{64}"/g, `"digest":"${'0'.repeat(64)}"`);
    await writeFile(path.join(store.root, 'index', 'evidence-index.v1.ndjson'), forged);
    expect(serializeIndex(await loadIndex(store)).equals(good)).toBe(true);
  });
});
