import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { readKeyFile } from '../../evidence/signing';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { loadHub } from '../../worker/hub';
import { runCli } from '../support/processes';
import { writeBundle } from '../support/store-fixture';
import { tempDir, writeTree } from '../support/tmp';

/**
 * A lost private key without a backup (docs/deploy.md): the lost key cannot endorse a successor, so
 * `keys replace-lost` registers the new key without a transition; the organisation pins the new fingerprint
 * out of band, and the old pin keeps authenticating the bundles sealed before.
 */
describe('keys replace-lost', () => {
  it('registers a new key without an endorsement: the old pin covers the old bundles, the new pin the rest', async () => {
    const dir = await tempDir();
    const config = path.join(dir, 'evidence-hub.yaml');
    await writeTree(dir, {
      'evidence-hub.yaml':
        'version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./keys/signing.pem } }\nsources:\n  - { id: docs, type: folder, path: ./org }\n',
    });
    const keyFile = path.join(dir, 'keys', 'signing.pem');
    const mappings = await loadMappings(
      expandMappingPaths(['default'], '/', mappingVocabulary(), new Set(['folder'])),
      mappingVocabulary(),
    );
    const init = await runCli(['keys', 'init', '--config', config]);
    const oldFp = /fingerprint: (sha256:[0-9a-f]{64})/.exec(init.stdout)![1]!;
    const oldKey = (await readKeyFile(keyFile))!;
    const hub = await loadHub(config);
    await writeBundle(hub.store, oldKey, mappings, 'before', { 'a.md': 'a' }, new Date(Date.now() - 60_000));

    // The key is still there: replace-lost refuses to replace a working key.
    const notLost = await runCli(['keys', 'replace-lost', '--config', config, '--lost', oldKey.keyId]);
    expect(notLost.code).toBe(1);
    expect(notLost.stderr).toContain('it is not lost; rotate with `evidence-hub keys rotate` instead');

    await rm(keyFile);
    const wrongId = await runCli(['keys', 'replace-lost', '--config', config, '--lost', '0123456789abcdef']);
    expect(wrongId.code).toBe(1);
    expect(wrongId.stderr).toContain('has no key 0123456789abcdef');

    const replaced = await runCli(['keys', 'replace-lost', '--config', config, '--lost', oldKey.keyId]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain('NO transition statement');
    const newFp = /new fingerprint: (sha256:[0-9a-f]{64})/.exec(replaced.stdout)![1]!;
    expect(newFp).not.toBe(oldFp);
    const newKey = (await readKeyFile(keyFile))!;
    await writeBundle(hub.store, newKey, mappings, 'after', { 'b.md': 'b' }, new Date(Date.now() + 60_000));

    const store = path.join(dir, 'store');
    const oldOnly = await runCli(['verify', store, '--trust', oldFp, '--json']);
    expect(oldOnly.code).toBe(1);
    // Bundle #2 (its manifest and its checkpoint) is the only thing the old pin does not vouch for.
    expect(
      new Set(
        JSON.parse(oldOnly.stdout).problems.map((p: { code: string; sequence?: number }) => `${p.code}@${p.sequence}`),
      ),
    ).toEqual(new Set(['untrusted-key@2']));
    const newOnly = await runCli(['verify', store, '--trust', newFp, '--json']);
    expect(JSON.parse(newOnly.stdout).problems.map((p: { code: string }) => p.code)).toContain('untrusted-key');
    const both = await runCli(['verify', store, '--trust', oldFp, '--trust', newFp, '--json']);
    expect(both.code, both.stdout).toBe(0);
    expect(JSON.parse(both.stdout)).toMatchObject({ ok: true, authenticated: true, bundlesChecked: 2 });
    // The store has no transition to the new key: nothing in it vouches for the replacement.
    const shown = JSON.parse((await runCli(['keys', 'show', '--config', config, '--json'])).stdout);
    expect(shown.keys.map((k: { current: boolean }) => k.current)).toEqual([false, true]);
  });
});
