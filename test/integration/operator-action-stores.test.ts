import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { FilesystemStore } from '../../evidence/fs-store';
import { readManifest } from '../../evidence/index';
import { logOperatorAction, pendingOperatorActions, type OperatorAction } from '../../evidence/operator-actions';
import type { EvidenceStore } from '../../evidence/store';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { useObjectStores } from '../support/object-stores';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

/*
 * The operator-action log (evidence/operator-actions.ts) on every store kind, on the real servers: the same
 * behaviour test/unit/operator-actions.test.ts shows on the filesystem, plus what object storage adds.
 */
const objects = useObjectStores('opactions');
const stores: [string, () => Promise<EvidenceStore>][] = [
  ['filesystem', async () => FilesystemStore.open(await tempDir())],
  ['s3 (MinIO)', () => objects.s3()],
  ['s3 (MinIO, Object Lock COMPLIANCE)', () => objects.s3({ objectLock: true })],
  ['azure blob (Azurite)', () => objects.azure()],
  ['gcs (fake-gcs-server, object retention)', () => objects.gcs({ retentionDays: 2 })],
];

const defaults = () => loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
const at = (hour: number, minute = 0) => new Date(Date.UTC(2026, 5, 1, hour, minute));

function started(workflowId: string) {
  return { action: 'sweep-started' as const, by: 'olivia', role: 'operator' as const, workflowId, controls: 'A.6.*' };
}

/** What a crash between the commit and the clearing of the log leaves: recorded actions still pending. */
async function leavePending(store: EvidenceStore, actions: OperatorAction[]): Promise<void> {
  for (const a of actions) expect(await store.putOperatorAction(a.id, Buffer.from(JSON.stringify(a)))).toBe(true);
}

describe.each(stores)('operator actions on the %s store', (_name, makeStore) => {
  it('the next seal records the pending actions in time order, the log empties, and the chain verifies', async () => {
    const store = await makeStore();
    const key = newKey();
    const mappings = await defaults();
    await writeBundle(store, key, mappings, 'b1', { 'a.md': 'a' }, at(0));
    // Logged out of time order and twice in one minute: the log lists (and the seal records) by id.
    const late = await logOperatorAction(store, started('sweep-3'), at(2));
    const early = await logOperatorAction(store, started('sweep-1'), at(1));
    const sameMinute = await logOperatorAction(store, started('sweep-2'), at(1));
    const order = [early, sameMinute].sort((a, b) => (a.id < b.id ? -1 : 1)).concat(late);
    expect(await pendingOperatorActions(store)).toEqual(order);
    expect((await store.listOperatorActions()).map((e) => e.id)).toEqual(order.map((a) => a.id));
    expect(await pendingOperatorActions(store)).toEqual(order); // listing again: the same order

    await writeBundle(store, key, mappings, 'b2', { 'b.md': 'b' }, at(3));
    expect((await readManifest(store, 2))?.operatorActions).toEqual(order);
    expect(await store.listOperatorActions()).toEqual([]);
    await writeBundle(store, key, mappings, 'b3', { 'c.md': 'c' }, at(4));
    expect((await readManifest(store, 3))?.operatorActions).toBeUndefined();
    expect(await verifyStore(store)).toMatchObject({ ok: true, bundlesChecked: 3 });
  });

  it('an action is never overwritten: the same id again is refused and the first one stays', async () => {
    const store = await makeStore();
    const first = await logOperatorAction(store, started('sweep-1'), at(1));
    const forged = { ...first, by: 'mallory' };
    expect(await store.putOperatorAction(first.id, Buffer.from(JSON.stringify(forged)))).toBe(false);
    expect(await pendingOperatorActions(store)).toEqual([first]);
  });

  it('after a crash between the commit and clearing the log, the next seals do not record an action again', async () => {
    const store = await makeStore();
    const key = newKey();
    const mappings = await defaults();
    const a = await logOperatorAction(store, started('sweep-a'), at(1));
    await writeBundle(store, key, mappings, 'b1', { 'a.md': 'a' }, at(2));
    await leavePending(store, [a]); // bundle b1 is never retried: the next sweep seals a new bundle
    const b = await logOperatorAction(store, started('sweep-b'), at(3));

    await writeBundle(store, key, mappings, 'b2', { 'b.md': 'b' }, at(4));
    expect((await readManifest(store, 1))?.operatorActions).toEqual([a]);
    expect((await readManifest(store, 2))?.operatorActions).toEqual([b]);
    expect(await store.listOperatorActions()).toEqual([]);

    // A second crash after b2, with the first one's leftover back as well: both are older than b2.
    await leavePending(store, [a, b]);
    await writeBundle(store, key, mappings, 'b3', { 'c.md': 'c' }, at(5));
    expect((await readManifest(store, 3))?.operatorActions).toBeUndefined();
    expect(await store.listOperatorActions()).toEqual([]);
    expect(await verifyStore(store)).toMatchObject({ ok: true, bundlesChecked: 3 });
  });

  it('two seals racing for the head record a pending action in one bundle only', async () => {
    const store = await makeStore();
    const key = newKey();
    const mappings = await defaults();
    await writeBundle(store, key, mappings, 'b0', { 'a.md': 'a' }, at(0));
    const a = await logOperatorAction(store, started('sweep-a'), at(1));
    await Promise.all([
      writeBundle(store, key, mappings, 'b1', { 'b.md': 'b' }, at(2)),
      writeBundle(store, key, mappings, 'b2', { 'c.md': 'c' }, at(2)),
    ]);
    const recordedIn = [];
    for (const seq of [2, 3]) if ((await readManifest(store, seq))?.operatorActions) recordedIn.push(seq);
    expect(recordedIn).toHaveLength(1);
    expect((await readManifest(store, recordedIn[0]!))?.operatorActions).toEqual([a]);
    expect(await store.listOperatorActions()).toEqual([]);
    expect(await verifyStore(store)).toMatchObject({ ok: true, bundlesChecked: 3 });
  });
});

describe('operator actions on S3 with Object Lock', () => {
  it('pending actions are written without retention, so sealing can remove them; the manifest is locked', async () => {
    const store = await objects.s3({ objectLock: true });
    const bucket = store.location.slice('s3://'.length).split('/')[0]!;
    const client = objects.minio().client;
    const action = await logOperatorAction(store, started('sweep-1'), at(1));
    const pendingKey = `evidence/operator-actions/pending/${action.id}.json`;
    const pending = await client.send(new GetObjectCommand({ Bucket: bucket, Key: pendingKey }));
    expect(pending.ObjectLockMode).toBeUndefined();
    await pending.Body?.transformToByteArray();

    await writeBundle(store, newKey(), await defaults(), 'b1', { 'a.md': 'a' }, at(2));
    const manifest = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'evidence/manifests/000000000001.json' }),
    );
    expect(manifest.ObjectLockMode).toBe('COMPLIANCE');
    await manifest.Body?.transformToByteArray();
    // Removed from the log: on a versioned bucket the delete leaves a marker over the unlocked version.
    expect(await store.listOperatorActions()).toEqual([]);
    const versions = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: pendingKey }));
    expect(versions.DeleteMarkers?.map((m) => m.Key)).toEqual([pendingKey]);
  });
});

describe('operator actions beyond one listing page', () => {
  it('a log longer than one S3 listing page (1,000 keys) is read whole, in order, and emptied', async () => {
    const store = await objects.s3();
    const logged: OperatorAction[] = [];
    for (let i = 0; i < 1001; i += 50) {
      const batch = Array.from({ length: Math.min(50, 1001 - i) }, (_, j) => at(1, 0 + ((i + j) % 60)));
      logged.push(...(await Promise.all(batch.map((t) => logOperatorAction(store, started('sweep-p'), t)))));
    }
    const ids = logged.map((a) => a.id).sort();
    expect((await pendingOperatorActions(store)).map((a) => a.id)).toEqual(ids);
    await writeBundle(store, newKey(), await defaults(), 'b1', { 'a.md': 'a' }, at(2));
    expect((await readManifest(store, 1))?.operatorActions?.map((a) => a.id)).toEqual(ids);
    expect(await store.listOperatorActions()).toEqual([]);
    expect((await verifyStore(store)).ok).toBe(true);
  });
});
