import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/digest';
import { FilesystemStore } from '../../evidence/fs-store';
import { readManifest } from '../../evidence/index';
import { parseManifest } from '../../evidence/manifest';
import { logOperatorAction, operatorActionProblems, pendingOperatorActions } from '../../evidence/operator-actions';
import { verifyStore } from '../../evidence/verify';
import { mappingVocabulary } from '../../connectors';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const defaults = () => loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
const t0 = new Date('2026-06-01T00:00:00Z');

describe('operator actions in sealed manifests', () => {
  it('the next bundle records pending actions, signed; the log empties; a later bundle records none', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = await defaults();
    await writeBundle(store, key, mappings, 'b1', { 'a.md': 'a' }, t0);
    const started = await logOperatorAction(
      store,
      { action: 'sweep-started', by: 'olivia', role: 'operator', workflowId: 'sweep-1', controls: 'A.6.*' },
      new Date('2026-06-01T01:00:00Z'),
    );
    const exported = await logOperatorAction(
      store,
      {
        action: 'pack-exported',
        by: 'ada',
        role: 'admin',
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-06-01T00:00:00.000Z',
        bundles: [1],
      },
      new Date('2026-06-01T02:00:00Z'),
    );
    expect((await pendingOperatorActions(store)).map((a) => a.id)).toEqual([started.id, exported.id]);

    await writeBundle(store, key, mappings, 'b2', { 'b.md': 'b' }, new Date('2026-06-01T03:00:00Z'));
    const m2 = await readManifest(store, 2);
    expect(m2?.operatorActions).toEqual([started, exported]);
    expect(await pendingOperatorActions(store)).toEqual([]);
    expect((await readManifest(store, 1))?.operatorActions).toBeUndefined();

    await writeBundle(store, key, mappings, 'b3', { 'c.md': 'c' }, new Date('2026-06-01T04:00:00Z'));
    expect((await readManifest(store, 3))?.operatorActions).toBeUndefined();
    expect((await verifyStore(store)).ok).toBe(true);
  });

  it('changing a recorded action (who did it) fails verification', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = await defaults();
    await logOperatorAction(store, {
      action: 'sweep-cancelled',
      by: 'olivia',
      role: 'operator',
      workflowId: 'sweep-9',
    });
    await writeBundle(store, key, mappings, 'b1', { 'a.md': 'a' }, new Date(Date.now() + 60_000));
    expect((await verifyStore(store)).ok).toBe(true);

    const dir = path.join(store.root, 'manifests');
    const [name] = (await readdir(dir)).filter((n) => n.endsWith('.json'));
    const target = path.join(dir, name!);
    const manifest = parseManifest(await readFile(target));
    expect(manifest.operatorActions?.[0]?.by).toBe('olivia');
    manifest.operatorActions![0]!.by = 'mallory';
    await writeFile(target, canonicalJson(manifest));
    const report = await verifyStore(store);
    expect(report.ok).toBe(false);
    // Signatures are kept by the manifest's digest: changed bytes have none.
    expect(report.problems.map((p) => p.code)).toContain('signature-missing');
  });

  it('verify names an action dated after its bundle was sealed, even when the manifest is validly signed', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const key = newKey();
    // Logged "in the future" of the seal: only a forged or re-signed manifest can hold such an action.
    await logOperatorAction(
      store,
      { action: 'sweep-cancelled', by: 'olivia', role: 'operator', workflowId: 'sweep-9' },
      new Date('2026-07-01T00:00:00Z'),
    );
    await writeBundle(store, key, await defaults(), 'b1', { 'a.md': 'a' }, t0);
    const report = await verifyStore(store);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({
        code: 'operator-actions-invalid',
        message: expect.stringMatching(/operator action .* is dated 2026-07-01T00:00:00.000Z, after the bundle/),
      }),
    ]);
  });

  it('verify names an action a later bundle records again (the same id in two bundles)', () => {
    const action = {
      id: '20260601T010000000Z-000000000001',
      at: '2026-06-01T01:00:00.000Z',
      action: 'sweep-cancelled' as const,
      by: 'olivia',
      role: 'operator' as const,
      workflowId: 'sweep-9',
    };
    const recorded = new Map<string, number>();
    const finishedAt = '2026-06-01T02:00:00.000Z';
    expect(operatorActionProblems({ sequence: 1, finishedAt, operatorActions: [action] }, recorded)).toEqual([]);
    expect(operatorActionProblems({ sequence: 2, finishedAt, operatorActions: [action] }, recorded)).toEqual([
      `bundle #2: operator action ${action.id} was already recorded in bundle #1`,
    ]);
  });
});
