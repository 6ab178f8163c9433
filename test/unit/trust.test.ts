import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { canonicalJson, sha256Hex } from '../../core/digest';
import { FilesystemStore } from '../../evidence/fs-store';
import { parseManifest } from '../../evidence/manifest';
import { generateSigningKeyPem, signingKeyFromPem, type Signer } from '../../evidence/signing';
import {
  fingerprintOf,
  formatFingerprint,
  parseFingerprint,
  readTrustArgument,
} from '../../evidence/trust/fingerprint';
import { rotateKey } from '../../evidence/trust/rotate';
import { buildTransition, signTransition } from '../../evidence/trust/transition';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { forgeBundle, newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const defaults = () =>
  loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary(), new Set(['folder'])), mappingVocabulary());
const fp = (k: Signer) => fingerprintOf(k.publicKeyPem);
/** The problems of bundles and keys (the signed checkpoints beside them are checked in their own tests). */
const codes = async (store: FilesystemStore, trust: string[]) =>
  (await verifyStore(store, { trust })).problems
    .filter((p) => !p.message.startsWith('checkpoints/'))
    .map((p) => `${p.code}@${p.sequence ?? '-'}`);

/** A store of three bundles sealed by `key`, as `keys init` and three sweeps leave it. */
async function sealed(key = newKey(), tag = 'doc') {
  const store = await FilesystemStore.open(await tempDir());
  const mappings = await defaults();
  for (let i = 1; i <= 3; i++)
    await writeBundle(
      store,
      key,
      mappings,
      `b${i}`,
      { [`d${i}.md`]: `${tag} ${i}` },
      new Date(`2026-0${i}-10T10:00:00Z`),
    );
  return { store, key, mappings };
}

describe('fingerprints and trust arguments', () => {
  it('fingerprintOf is the sha256 of the raw public key, exactly what the documented openssl pipeline prints', async () => {
    const key = newKey();
    const dir = await tempDir();
    const pem = path.join(dir, 'pub.pem');
    await writeFile(pem, key.publicKeyPem);
    const openssl = execFileSync(
      'sh',
      ['-c', `openssl pkey -pubin -in "${pem}" -outform DER | tail -c 32 | sha256sum | cut -d' ' -f1`],
      { encoding: 'utf8' },
    ).trim();
    expect(fp(key)).toBe(openssl);
    expect(fp(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(parseFingerprint(`sha256:${fp(key).toUpperCase()}`)).toBe(fp(key));
    expect(parseFingerprint(fp(key))).toBe(fp(key));
    expect(parseFingerprint('sha256:abc')).toBeUndefined();
  });

  it('--trust takes a fingerprint, a PEM public key or a list file; refuses private keys and names a bad line', async () => {
    const pemA = generateSigningKeyPem();
    const [a, b] = [signingKeyFromPem(pemA, 'a'), newKey()];
    const dir = await tempDir();
    await writeFile(path.join(dir, 'pub.pem'), a.publicKeyPem);
    await writeFile(
      path.join(dir, 'pins.txt'),
      `# our signing keys\n${formatFingerprint(fp(a))}\n\n${fp(b)}  # second\n`,
    );
    await writeFile(path.join(dir, 'bad.txt'), `${fp(a)}\nnot-a-fingerprint\n`);
    await writeFile(path.join(dir, 'priv.pem'), pemA);
    expect(await readTrustArgument(formatFingerprint(fp(a)))).toEqual([fp(a)]);
    expect(await readTrustArgument(path.join(dir, 'pub.pem'))).toEqual([fp(a)]);
    expect(await readTrustArgument(path.join(dir, 'pins.txt'))).toEqual([fp(a), fp(b)]);
    await expect(readTrustArgument(path.join(dir, 'bad.txt'))).rejects.toThrow(
      `${path.join(dir, 'bad.txt')}:2: "not-a-fingerprint" is not a fingerprint`,
    );
    await expect(readTrustArgument(path.join(dir, 'priv.pem'))).rejects.toThrow(/PRIVATE key/);
    await expect(readTrustArgument(path.join(dir, 'missing'))).rejects.toThrow(/neither a fingerprint/);
  });
});

describe('trust anchors: tampering by someone who can write the store', () => {
  it('a clean store is authenticated with its key pinned, integrity-only without a pin', async () => {
    const { store, key } = await sealed();
    expect(await verifyStore(store, { trust: [fp(key)] })).toMatchObject({ ok: true, authenticated: true });
    expect(await verifyStore(store)).toMatchObject({ ok: true, authenticated: false, trustedKeys: [] });
    // Pinning only an unrelated key: every bundle is untrusted.
    expect(await codes(store, [fp(newKey())])).toEqual(['untrusted-key@1', 'untrusted-key@2', 'untrusted-key@3']);
  });

  it('key swapped under the same keyId: key-id-mismatch, with or without a pin', async () => {
    const { store, key } = await sealed();
    const attacker = newKey();
    const file = path.join(store.root, 'keys', `${key.keyId}.json`);
    const record = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, canonicalJson({ ...record, publicKeyPem: attacker.publicKeyPem }));
    for (const trust of [[], [fp(key)]]) {
      const report = await verifyStore(store, { trust });
      expect(report.ok).toBe(false);
      expect(report.problems[0]).toMatchObject({ code: 'key-id-mismatch' });
      expect(report.problems[0]!.message).toContain(`key record ${key.keyId} holds a public key whose keyId is`);
    }
  });

  it('key replaced and every manifest re-signed: consistent, but untrusted-key when the original key is pinned', async () => {
    const { store, key } = await sealed();
    const attacker = newKey();
    // The attacker rewrites the whole chain with their own key and removes every trace of the original.
    let previous: string | null = null;
    for (const seq of await store.sequences()) {
      const m = parseManifest((await store.readManifest(seq))!);
      const bytes = Buffer.from(
        canonicalJson({ ...m, previousDigest: previous, signing: { keyId: attacker.keyId, algorithm: 'ed25519' } }),
      );
      await unlink(store.manifestPath(seq));
      await writeFile(store.manifestPath(seq), bytes);
      await writeFile(store.signaturePath(sha256Hex(bytes)), await attacker.sign(bytes));
      previous = sha256Hex(bytes);
    }
    for (const f of await readdir(path.join(store.root, 'keys')))
      await rm(path.join(store.root, 'keys', f), { recursive: true });
    await rm(path.join(store.root, 'checkpoints'), { recursive: true, force: true });
    await store.putKeyRecord({
      keyId: attacker.keyId,
      algorithm: 'ed25519',
      publicKeyPem: attacker.publicKeyPem,
      validFrom: '2026-01-01T00:00:00.000Z',
    });
    // Without an anchor nothing can tell: that is why verify then exits 3 and says so.
    expect(await verifyStore(store)).toMatchObject({ ok: true, authenticated: false });
    const pinned = await verifyStore(store, { trust: [fp(key)] });
    expect(pinned).toMatchObject({ ok: false, authenticated: false });
    expect(pinned.problems.map((p) => `${p.code}@${p.sequence}`)).toEqual([
      'untrusted-key@1',
      'untrusted-key@2',
      'untrusted-key@3',
    ]);
    expect(pinned.problems[0]!.message).toContain(
      `key ${attacker.keyId} (${formatFingerprint(fp(attacker))}) is neither pinned nor endorsed`,
    );
  });

  it('a second key added and a forged bundle appended: untrusted-key for that bundle only', async () => {
    const { store, key } = await sealed();
    const attacker = newKey();
    await store.putKeyRecord({
      keyId: attacker.keyId,
      algorithm: 'ed25519',
      publicKeyPem: attacker.publicKeyPem,
      validFrom: '2026-01-01T00:00:00.000Z',
    });
    await forgeBundle(store, attacker, 'forged', new Date('2026-04-01T00:00:00Z'));
    const pinned = await verifyStore(store, { trust: [fp(key)] });
    expect(pinned.problems.filter((p) => p.sequence === 4).map((p) => p.code)).toEqual(['untrusted-key']);
    expect(pinned.problems.filter((p) => p.sequence !== 4 && p.code === 'untrusted-key')).toEqual([]);
  });

  it('an endorsed key with a forged transition statement: transition-invalid, and its bundles untrusted', async () => {
    const { store, key } = await sealed();
    const attacker = newKey();
    // The statement claims the pinned key handed over to the attacker's key, but the attacker signs it.
    const t = buildTransition(key, attacker.publicKeyPem, new Date('2026-03-20T00:00:00Z'));
    const forged = await signTransition({ ...t, from: t.from }, key, attacker);
    await store.writeKeyTransition({ ...forged, signature: await attacker.sign(forged.body) });
    await store.putKeyRecord({
      keyId: attacker.keyId,
      algorithm: 'ed25519',
      publicKeyPem: attacker.publicKeyPem,
      validFrom: t.validFrom,
    });
    await forgeBundle(store, attacker, 'forged', new Date('2026-04-01T00:00:00Z'));
    const found = await codes(store, [fp(key)]);
    expect(found[0]).toBe('transition-invalid@-');
    expect(found).toContain('untrusted-key@4');
    const report = await verifyStore(store, { trust: [fp(key)] });
    expect(report.problems[0]!.message).toContain(`not signed by the old key ${key.keyId}`);
  });

  it('rotation twice: the first pin alone authenticates every bundle; the retired key cannot endorse again', async () => {
    const mappings = await defaults();
    const store = await FilesystemStore.open(await tempDir());
    const [k1, k2, k3] = [newKey(), newKey(), newKey()];
    await writeBundle(store, k1, mappings, 'r1', { 'a.md': 'a' }, new Date('2026-01-10T00:00:00Z'));
    await rotateKey(store, k1, k2, new Date('2026-02-01T00:00:00Z'));
    await writeBundle(store, k2, mappings, 'r2', { 'b.md': 'b' }, new Date('2026-02-10T00:00:00Z'));
    await rotateKey(store, k2, k3, new Date('2026-03-01T00:00:00Z'));
    await writeBundle(store, k3, mappings, 'r3', { 'c.md': 'c' }, new Date('2026-03-10T00:00:00Z'));
    expect((await store.listKeyTransitions()).map((t) => t.newKeyId).sort()).toEqual([k2.keyId, k3.keyId].sort());
    expect(await verifyStore(store, { trust: [fp(k1)] })).toMatchObject({ ok: true, authenticated: true });
    expect(await codes(store, [fp(newKey())])).toEqual(['untrusted-key@1', 'untrusted-key@2', 'untrusted-key@3']);
    // Pinning the newest key only vouches for what it signed.
    expect(await codes(store, [fp(k3)])).toEqual(['untrusted-key@1', 'untrusted-key@2']);

    // Whoever steals the retired k1 writes a valid-looking transition to their own key, later than k1's handover.
    const thief = newKey();
    const stolen = await signTransition(
      buildTransition(k1, thief.publicKeyPem, new Date('2026-04-01T00:00:00Z')),
      k1,
      thief,
    );
    await store.writeKeyTransition(stolen);
    await store.putKeyRecord({
      keyId: thief.keyId,
      algorithm: 'ed25519',
      publicKeyPem: thief.publicKeyPem,
      validFrom: '2026-04-01T00:00:00.000Z',
    });
    await forgeBundle(store, thief, 'stolen', new Date('2026-04-10T00:00:00Z'));
    const report = await verifyStore(store, { trust: [fp(k1)] });
    expect(report.problems.map((p) => `${p.code}@${p.sequence ?? '-'}`)).toEqual(
      expect.arrayContaining(['transition-invalid@-', 'untrusted-key@4']),
    );
    expect(report.problems.find((p) => p.code === 'transition-invalid')!.message).toContain(
      `key ${k1.keyId} already handed over at 2026-02-01T00:00:00.000Z`,
    );
  });

  it('a transition statement copied from another store is invalid here', async () => {
    const { store, key } = await sealed();
    const other = await sealed(key, 'another store');
    const next = newKey();
    await rotateKey(other.store, key, next, new Date('2026-04-01T00:00:00Z'));
    const [copied] = await other.store.listKeyTransitions();
    await store.writeKeyTransition(copied!);
    const report = await verifyStore(store, { trust: [fp(key)] });
    expect(report.problems[0]).toMatchObject({ code: 'transition-invalid' });
    expect(report.problems[0]!.message).toContain('made for another store');
  });

  it('an empty store is empty-store unless allowed', async () => {
    const store = await FilesystemStore.open(await tempDir());
    expect((await verifyStore(store)).problems.map((p) => p.code)).toEqual(['empty-store']);
    expect(await verifyStore(store, { allowEmpty: true })).toMatchObject({ ok: true, bundlesChecked: 0 });
  });
});
