import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { sha256Hex } from '../../core/digest';
import { wholeReadLimit } from '../../evidence/blob-reads';
import { exportAuditPack } from '../../evidence/export';
import { FilesystemStore } from '../../evidence/fs-store';
import { artifactId } from '../../evidence/manifest';
import type { Signer } from '../../evidence/signing';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { newKey, writeBundle } from '../support/store-fixture';
import { suiteDir } from '../support/tmp';

// An export is read by auditors who compare packs: the same window of the same store gives the same bytes,
// whichever way each blob is read (small ones whole, large ones streamed: evidence/blob-reads.ts).
const window = { from: new Date('2026-02-01T00:00:00.000Z'), to: new Date('2026-03-31T23:59:59.999Z') };
const now = new Date('2026-04-01T00:00:00.000Z');
/** Over the whole-read limit: this blob takes the streamed path. */
const large = 'x'.repeat(wholeReadLimit + 4096) + '\n';

describe('audit pack export: same inputs, same bytes', () => {
  let dir: string;
  let store: FilesystemStore;
  let key: Signer;
  let hub: Parameters<typeof exportAuditPack>[0];

  beforeAll(async () => {
    dir = await suiteDir('eh-export-determinism-');
    store = await FilesystemStore.open(path.join(dir, 'store'));
    key = newKey();
    const vocabulary = mappingVocabulary();
    const mappings = await loadMappings(
      expandMappingPaths(['default'], '/', vocabulary, new Set(['folder'])),
      vocabulary,
    );
    hub = { store, mappings, notApplicable: [] };
    const files = (i: number) => ({
      'policies/ai-policy.md': `# AI policy v${i}\n`,
      'raci.csv': 'system,owner\nchatbot,alice\n',
      'empty.md': '',
      'logs/large.log': large,
      ...Object.fromEntries(Array.from({ length: 40 }, (_, n) => [`records/r${n}.json`, `{"n":${n},"day":${i}}\n`])),
    });
    await writeBundle(store, key, mappings, 'sweep-feb', files(1), new Date('2026-02-10T10:00:00Z'));
    await writeBundle(store, key, mappings, 'sweep-mar', files(2), new Date('2026-03-10T10:00:00Z'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const ext of ['tar.gz', 'zip'] as const) {
    it(`two ${ext} exports of one window are byte-identical`, async () => {
      // Same name in two folders: the archive's root folder is named after the file.
      const a = path.join(dir, 'first', `pack.${ext}`);
      const b = path.join(dir, 'second', `pack.${ext}`);
      const first = await exportAuditPack(hub, { key, ...window, out: a, now });
      const second = await exportAuditPack(hub, { key, ...window, out: b, now });
      expect(first.problems).toEqual([]);
      expect(first.blobs).toBe(85); // 2 policy versions, 2 × 40 records, raci, empty, large
      expect(second).toMatchObject({ blobs: first.blobs, files: first.files, bundles: first.bundles });
      const [x, y] = [await readFile(a), await readFile(b)];
      expect(x.length).toBeGreaterThan(0);
      expect(sha256Hex(y)).toBe(sha256Hex(x));
    });
  }

  it('a small and a large blob altered in the store are reported by export and verify', async () => {
    const small = sha256Hex('system,owner\nchatbot,alice\n');
    const big = sha256Hex(large);
    for (const [hash, bytes] of [
      [small, 'system,owner\nchatbot,mallory\n'],
      [big, 'y'.repeat(large.length)],
    ] as const) {
      const file = store.blobPath(hash);
      await chmod(file, 0o644);
      await writeFile(file, bytes);
    }
    const pack = await exportAuditPack(hub, { key, ...window, out: path.join(dir, 'altered.tar.gz'), now });
    for (const hash of [small, big])
      expect(pack.problems).toContainEqual(
        expect.stringMatching(new RegExp(`${hash}: the stored bytes hash to [0-9a-f]{12}; the blob was altered`)),
      );
    const report = await verifyStore(store);
    expect(report.ok).toBe(false);
    // Both bundles record both blobs: four problems, each naming its artifact.
    const altered = report.problems.filter((p) => p.code === 'blob-altered').map((p) => `${p.sequence} ${p.artifact}`);
    expect(altered.sort()).toEqual([
      `1 ${artifactId('docs', 'logs/large.log')}`,
      `1 ${artifactId('docs', 'raci.csv')}`,
      `2 ${artifactId('docs', 'logs/large.log')}`,
      `2 ${artifactId('docs', 'raci.csv')}`,
    ]);
  });
});
