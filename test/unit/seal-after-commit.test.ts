import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sealBundle } from '../../evidence/bundle';
import { FilesystemStore } from '../../evidence/fs-store';
import { artifactId } from '../../evidence/manifest';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { mappingVocabulary } from '../../connectors';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const defaults = () => loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
const at = '2026-06-02T00:00:00.000Z';
const key = newKey();

/** Stages one document (blob and record) and the source's new state for `bundleId`, as a collect does. */
async function stage(store: FilesystemStore, bundleId: string): Promise<void> {
  const blob = await store.putBlob(Readable.from([Buffer.from(`# ${bundleId}\n`)]));
  const staging = await store.openStaging(bundleId, 'docs', 0);
  await staging.append({
    id: artifactId('docs', `${bundleId}.md`),
    source: 'docs',
    sourceType: 'folder',
    kind: 'document',
    externalId: `${bundleId}.md`,
    observedAt: at,
    collectedAt: at,
    sha256: blob.sha256,
    size: blob.size,
    mediaType: 'text/markdown',
    attributes: { path: `${bundleId}.md` },
    provenance: { endpoint: `file:///${bundleId}.md`, collector: 'folder@1.0.0' },
  });
  await staging.close();
  await store.stageSourceState(bundleId, 'docs', { etag: bundleId });
}

/** Seals `bundleId`, recording which bookkeeping steps were left for later. */
async function seal(store: FilesystemStore, bundleId: string, deferred: string[]) {
  return sealBundle(
    store,
    key,
    await defaults(),
    {
      bundleId,
      startedAt: at,
      trigger: { type: 'manual', workflowId: bundleId, runId: 'r' },
      outcomes: [{ source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: 1 }],
    },
    () => new Date(at),
    (step) => deferred.push(step),
  );
}

/** A real fault: a plain file where the store expects folder `name`, so every write below it fails. */
async function blockFolder(store: FilesystemStore, name: string): Promise<() => Promise<void>> {
  const dir = path.join(store.root, name);
  const away = `${dir}.away`;
  await mkdir(dir, { recursive: true });
  await rename(dir, away);
  await writeFile(dir, 'not a folder');
  return async () => {
    await rm(dir);
    await rename(away, dir);
  };
}

describe('a seal is all or nothing for its caller', () => {
  it('bookkeeping that fails after the commit point leaves a sealed bundle, reported as sealed and repaired later', async () => {
    const store = await FilesystemStore.open(await tempDir());
    await writeBundle(store, key, await defaults(), 'b1', { 'a.md': '# a\n' });
    await stage(store, 'b2');
    const unblock = [await blockFolder(store, 'bundles'), await blockFolder(store, 'checkpoints')];

    const deferred: string[] = [];
    const sealed = await seal(store, 'b2', deferred);
    expect(sealed).toMatchObject({ bundleId: 'b2', sequence: 2, artifactCount: 1 });
    // Neither the pointer (a cache) nor the checkpoint could be written; the rest of the bookkeeping ran.
    expect(deferred).toEqual(['checkpoint']);
    expect(await store.readSourceState('docs')).toEqual({ etag: 'b2' });
    expect(await readdir(path.join(store.root, 'staging'))).toEqual([]);

    for (const undo of unblock) await undo();
    expect(await store.sequences()).toEqual([1, 2]);
    expect(await readdir(path.join(store.root, 'bundles'))).toEqual(['b1.json']);
    expect(await store.listCheckpoints()).toEqual([1]);
    // A head without its checkpoint verifies: verify checks the checkpoints that exist.
    expect(await verifyStore(store)).toMatchObject({ ok: true, bundlesChecked: 2 });

    // A retry of the same seal finds the bundle without its pointer (through its intent), seals nothing
    // new, and writes the missing checkpoint.
    const retried: string[] = [];
    expect(await seal(store, 'b2', retried)).toMatchObject({ sequence: 2, digest: sealed.digest });
    expect(retried).toEqual([]);
    expect(await store.sequences()).toEqual([1, 2]);
    expect(await store.listCheckpoints()).toEqual([1, 2]);
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('a seal that fails before the commit point commits nothing, and the next attempt seals once', async () => {
    const store = await FilesystemStore.open(await tempDir());
    await writeBundle(store, key, await defaults(), 'b1', { 'a.md': '# a\n' });
    await stage(store, 'b2');
    const unblock = await blockFolder(store, 'seal-intents'); // the intent is written before the manifest

    const deferred: string[] = [];
    await expect(seal(store, 'b2', deferred)).rejects.toThrow();
    expect(deferred).toEqual([]);
    expect(await store.sequences()).toEqual([1]);
    expect(await store.readSourceState('docs')).toBeUndefined();

    await unblock();
    expect(await seal(store, 'b2', deferred)).toMatchObject({ sequence: 2 });
    expect(deferred).toEqual([]);
    expect(await store.sequences()).toEqual([1, 2]);
    expect((await verifyStore(store)).problems).toEqual([]);
  });
});
