import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FilesystemStore } from '../../evidence/fs-store';
import { forgeBundle, newKey } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const key = newKey();
/** Commits a real signed manifest (no artifacts) for `bundleId`, or returns the one committed before. */
const commit = (store: FilesystemStore, bundleId: string) => forgeBundle(store, key, bundleId);

async function chainOf(length: number): Promise<FilesystemStore> {
  const store = await FilesystemStore.open(await tempDir());
  for (let i = 1; i <= length; i++) await commit(store, `b${i}`);
  return store;
}

/** Counts manifest reads on the real store: the chain logic reads manifests through this method. */
function countReads(store: FilesystemStore): number[] {
  const read: number[] = [];
  const original = store.readManifest.bind(store);
  vi.spyOn(store, 'readManifest').mockImplementation((seq: number) => {
    read.push(seq);
    return original(seq);
  });
  return read;
}

describe('seal intents (a first seal does not scan the chain)', () => {
  it('a new bundle on a long chain reads only the head manifest it chains on', async () => {
    const store = await chainOf(40);
    const reads = countReads(store);
    const committed = await commit(store, 'new');
    expect(committed.sequence).toBe(41);
    // Only chainHead's read of the head (for its digest); the old lookup read up to 256 manifests here.
    expect(reads).toEqual([40]);
  });

  it('a retry after a crash between manifest and pointer finds its bundle and does not seal twice', async () => {
    const store = await chainOf(10);
    await rm(path.join(store.root, 'bundles', 'b4.json')); // the crash came before the pointer
    const reads = countReads(store);
    const again = await store.commitBundle('b4', async () => {
      throw new Error('must not build a second manifest');
    });
    expect(again).toMatchObject({ bundleId: 'b4', sequence: 4 });
    expect(await store.sequences()).toHaveLength(10);
    // The intent bounds the scan to the manifests from its sequence on, however old the bundle is.
    expect(Math.min(...reads)).toBe(4);
  });

  it('a retry after a crash between intent and manifest seals once', async () => {
    const store = await chainOf(3);
    // The crashed attempt left only its intent (manifests after it are other bundles).
    await store
      .commitBundle('crashed', async () => {
        throw new Error('killed before the manifest');
      })
      .catch(() => undefined);
    await commit(store, 'other');
    const committed = await commit(store, 'crashed');
    expect(committed.sequence).toBe(5);
    const again = await commit(store, 'crashed');
    expect(again.sequence).toBe(5);
    expect(await store.sequences()).toEqual([1, 2, 3, 4, 5]);
  });

  it('a store written before intents still finds a bundle whose pointer is missing', async () => {
    const store = await chainOf(5);
    // As a store sealed by an older version: no intents, no marker.
    await rm(path.join(store.root, 'seal-intents'), { recursive: true });
    await rm(path.join(store.root, 'seal-intents.json'));
    await rm(path.join(store.root, 'bundles', 'b3.json'));
    expect((await commit(store, 'b3')).sequence).toBe(3);
    // The first new seal marks the store; older bundles stay findable below the marker.
    expect((await commit(store, 'b6')).sequence).toBe(6);
    await rm(path.join(store.root, 'bundles', 'b2.json'));
    expect((await commit(store, 'b2')).sequence).toBe(2);
    expect(await store.sequences()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
