import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/digest';
import { encodeCheckpoint, parseCheckpoint } from '../../evidence/checkpoint';
import { exportAuditPack } from '../../evidence/export';
import { FilesystemStore } from '../../evidence/fs-store';
import { parseManifest } from '../../evidence/manifest';
import { signingKeyFromPem, type Signer } from '../../evidence/signing';
import { fingerprintOf } from '../../evidence/trust/fingerprint';
import { rotateKey } from '../../evidence/trust/rotate';
import { mappingVocabulary } from '../../connectors';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { runPackScript, scriptOk } from '../support/pack-script';
import { runCli } from '../support/processes';
import { newKey, writeBundle } from '../support/store-fixture';
import { suiteDir } from '../support/tmp';

/**
 * The pack side of the tamper suite (issue #14): each tampering is done the way someone with write access to
 * the pack would, SHA256SUMS rebuilt, and must be caught by BOTH `evidence-hub verify --trust … --json` (exit
 * 1, the class in the report) and the pack's own verify.sh run as VERIFY.md says, in a clean environment
 * with only /usr/bin and /bin (POSIX tools and openssl), the class printed at the start of a line.
 */

const seq = (n: number) => String(n).padStart(12, '0');

function sh(command: string, cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What an attacker does after editing: make the transfer check pass again. */
function rebuildSums(root: string): void {
  const r = sh(
    "find . -type f ! -name 'SHA256SUMS*' | sed 's|^\\./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS",
    root,
  );
  expect(r.code).toBe(0);
  expect(sh('sha256sum -c --quiet SHA256SUMS', root).code).toBe(0);
}

function otherKey(): Signer {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'attacker');
}

describe('audit pack tamper suite: evidence-hub verify and verify.sh', () => {
  let dir: string;
  let key: Signer;
  let fp: string;
  let pack: string;
  let store: FilesystemStore;

  beforeAll(async () => {
    dir = await suiteDir('eh-pack-tamper-');
    store = await FilesystemStore.open(path.join(dir, 'store'));
    key = newKey();
    fp = fingerprintOf(key.publicKeyPem);
    const mappings = await loadMappings(
      expandMappingPaths(['default'], '/', mappingVocabulary(), new Set(['folder'])),
      mappingVocabulary(),
    );
    const months = ['01', '02', '03', '04', '06'];
    for (const [i, m] of months.entries()) {
      await writeBundle(
        store,
        key,
        mappings,
        `sweep-${m}`,
        { 'raci.csv': 'system,owner\nchatbot,alice\n', [`monitoring/${m}.md`]: `drift report ${m}\n` },
        new Date(`2026-${m}-10T10:00:00Z`),
      );
      expect((await store.listCheckpoints()).at(-1)).toBe(i + 1);
    }
    const out = path.join(dir, 'q.tar.gz');
    const r = await exportAuditPack(
      { store, mappings, notApplicable: [] },
      {
        from: new Date('2026-02-01T00:00:00Z'),
        to: new Date('2026-04-30T23:59:59.999Z'),
        out,
        now: new Date('2026-07-01T00:00:00Z'),
        key,
      },
    );
    expect(r).toMatchObject({ bundles: [2, 3, 4], toSequence: 4, checkpoints: 3, keyId: key.keyId, fingerprint: fp });
    await mkdir(path.join(dir, 'x'));
    expect(sh(`tar xzf '${out}' -C '${path.join(dir, 'x')}'`, dir).code).toBe(0);
    pack = path.join(dir, 'x', 'q');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  let copies = 0;
  async function copyPack(): Promise<string> {
    const to = path.join(dir, `case-${++copies}`);
    await cp(pack, to, { recursive: true });
    return to;
  }

  async function viaCli(target: string, ...extra: string[]) {
    const r = await runCli(['verify', target, '--trust', `sha256:${fp}`, '--json', ...extra]);
    let codes: string[] = [];
    try {
      codes = (JSON.parse(r.stdout) as { problems: { code: string }[] }).problems.map((p) => p.code);
    } catch {
      throw new Error(`verify --json printed no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
    }
    return { code: r.code, codes };
  }

  /** Both tools fail and name the class. */
  async function caughtByBoth(root: string, cls: string): Promise<{ cli: string[]; script: string }> {
    const cli = await viaCli(root);
    expect(cli.codes).toContain(cls);
    expect(cli.code).toBe(1);
    const script = await runPackScript(root, `sha256:${fp}`);
    expect(script.stdout).toMatch(new RegExp(`^${cls}: `, 'm'));
    expect(script.stdout).toMatch(/\nFAILED\n$/);
    expect(script.code).toBe(1);
    return { cli: cli.codes, script: script.stdout };
  }

  it('the untampered pack passes both, and so does the same export.json written on one line (re-signed)', async () => {
    const cli = await viaCli(pack);
    expect(cli).toEqual({ code: 0, codes: [] });
    const run = await runPackScript(pack, `sha256:${fp}`);
    expect(run.stdout).toMatch(scriptOk);
    expect(run.code).toBe(0);

    const root = await copyPack();
    const oneLine = JSON.stringify(JSON.parse(await readFile(path.join(root, 'export.json'), 'utf8')));
    expect(oneLine).not.toContain('\n');
    await writeFile(path.join(root, 'export.json'), oneLine);
    await writeFile(path.join(root, 'export.json.sig'), await key.sign(Buffer.from(oneLine)));
    rebuildSums(root);
    expect(await viaCli(root)).toEqual({ code: 0, codes: [] });
    const oneLineRun = await runPackScript(root, fp);
    expect(oneLineRun.stdout).toMatch(scriptOk);
    expect(oneLineRun.code).toBe(0);
  });

  it('export.json with a lowered toSequence (newest bundle dropped to match): export-altered', async () => {
    const root = await copyPack();
    await dropNewestBundle(root);
    const file = path.join(root, 'export.json');
    const m3 = sha256Hex(await readFile(path.join(root, 'manifests', `${seq(3)}.json`)));
    const text = (await readFile(file, 'utf8'))
      .replace('"toSequence": 4', '"toSequence": 3')
      .replace(/"headDigest": "[0-9a-f]{64}"/, `"headDigest": "${m3}"`);
    expect(text).toContain('"toSequence": 3');
    await writeFile(file, text);
    rebuildSums(root);
    await caughtByBoth(root, 'export-altered');
  });

  it('an edited window: export-altered', async () => {
    const root = await copyPack();
    const file = path.join(root, 'export.json');
    const text = (await readFile(file, 'utf8')).replace(
      '"to": "2026-04-30T23:59:59.999Z"',
      '"to": "2026-03-31T23:59:59.999Z"',
    );
    expect(text).toContain('2026-03-31T23:59:59.999Z');
    await writeFile(file, text);
    rebuildSums(root);
    await caughtByBoth(root, 'export-altered');
  });

  it('a truncated pack (newest bundle, its checkpoint and blobs removed, SHA256SUMS rebuilt): the signed export.json catches it', async () => {
    const root = await copyPack();
    await dropNewestBundle(root);
    rebuildSums(root);
    const { cli, script } = await caughtByBoth(root, 'export-altered');
    expect(cli.every((c) => c === 'export-altered')).toBe(true);
    expect(script).toContain('export.json says the pack ends at #4, its last manifest is #3');
  });

  it('the key file replaced and everything re-signed with another key: fingerprint mismatch in both', async () => {
    const root = await copyPack();
    const evil = otherKey();
    // Same file names (the legitimate keyId), the attacker's public key inside.
    const record = JSON.parse(await readFile(path.join(root, 'keys', `${key.keyId}.json`), 'utf8'));
    await writeFile(
      path.join(root, 'keys', `${key.keyId}.json`),
      JSON.stringify({ ...record, publicKeyPem: evil.publicKeyPem }, null, 2) + '\n',
    );
    await writeFile(path.join(root, 'keys', `${key.keyId}.pem`), evil.publicKeyPem);
    await resignAll(root, evil, key.keyId);
    rebuildSums(root);
    const cli = await viaCli(root);
    expect(cli.code).toBe(1);
    expect(cli.codes).toContain('key-id-mismatch');
    const run = await runPackScript(root, fp);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^key-id-mismatch: keys\/[0-9a-f]{16}\.pem holds key [0-9a-f]{16}, not /m);
    expect(run.stdout).toMatch(/^untrusted-key: no key in keys\/ has the fingerprint sha256:/m);
  });

  it('everything re-signed with a new key of its own (a valid keyId, not pinned): untrusted-key', async () => {
    const root = await copyPack();
    const evil = otherKey();
    await writeFile(
      path.join(root, 'keys', `${evil.keyId}.json`),
      JSON.stringify(
        {
          algorithm: 'ed25519',
          keyId: evil.keyId,
          publicKeyPem: evil.publicKeyPem,
          validFrom: '2026-01-01T00:00:00.000Z',
        },
        null,
        2,
      ) + '\n',
    );
    await writeFile(path.join(root, 'keys', `${evil.keyId}.pem`), evil.publicKeyPem);
    await resignAll(root, evil, evil.keyId);
    rebuildSums(root);
    await caughtByBoth(root, 'untrusted-key');
  });

  it('a checkpoint signed by an unpinned key: untrusted-key', async () => {
    const root = await copyPack();
    const evil = otherKey();
    await writeFile(
      path.join(root, 'keys', `${evil.keyId}.json`),
      JSON.stringify(
        {
          algorithm: 'ed25519',
          keyId: evil.keyId,
          publicKeyPem: evil.publicKeyPem,
          validFrom: '2026-01-01T00:00:00.000Z',
        },
        null,
        2,
      ) + '\n',
    );
    await writeFile(path.join(root, 'keys', `${evil.keyId}.pem`), evil.publicKeyPem);
    const file = path.join(root, 'checkpoints', `${seq(4)}.txt`);
    const cp = parseCheckpoint(await readFile(file));
    const body = encodeCheckpoint({ ...cp, keyId: evil.keyId, fingerprint: fingerprintOf(evil.publicKeyPem) });
    await writeFile(file, body);
    await writeFile(path.join(root, 'checkpoints', `${seq(4)}.sig`), await evil.sign(body));
    rebuildSums(root);
    const { script } = await caughtByBoth(root, 'untrusted-key');
    expect(script).toContain(`untrusted-key: checkpoints/${seq(4)}.txt is signed by key ${evil.keyId}`);
  });

  it('an extra blob that no manifest references: unreferenced-blob', async () => {
    const root = await copyPack();
    const content = 'planted evidence\n';
    const h = sha256Hex(content);
    await mkdir(path.join(root, 'blobs', 'sha256', h.slice(0, 2)), { recursive: true });
    await writeFile(path.join(root, 'blobs', 'sha256', h.slice(0, 2), h), content);
    rebuildSums(root);
    const { cli } = await caughtByBoth(root, 'unreferenced-blob');
    expect(cli).toEqual(['unreferenced-blob']);
  });

  it('a second key added and a forged bundle appended (export.json re-signed by it): untrusted-key', async () => {
    const root = await copyPack();
    const evil = otherKey();
    await writeFile(
      path.join(root, 'keys', `${evil.keyId}.json`),
      JSON.stringify({
        algorithm: 'ed25519',
        keyId: evil.keyId,
        publicKeyPem: evil.publicKeyPem,
        validFrom: '2026-04-20T00:00:00.000Z',
      }) + '\n',
    );
    await writeFile(path.join(root, 'keys', `${evil.keyId}.pem`), evil.publicKeyPem);
    const m4 = await readFile(path.join(root, 'manifests', `${seq(4)}.json`));
    const forged = JSON.parse(m4.toString('utf8'));
    Object.assign(forged, {
      sequence: 5,
      bundleId: 'sweep-forged',
      previousDigest: sha256Hex(m4),
      startedAt: '2026-04-25T10:00:00.000Z',
      finishedAt: '2026-04-25T10:00:01.000Z',
    });
    forged.signing.keyId = evil.keyId;
    const bytes = Buffer.from(JSON.stringify(forged, null, 2) + '\n');
    await writeFile(path.join(root, 'manifests', `${seq(5)}.json`), bytes);
    await writeFile(path.join(root, 'signatures', `${sha256Hex(bytes)}.sig`), await evil.sign(bytes));
    const cp4 = parseCheckpoint(await readFile(path.join(root, 'checkpoints', `${seq(4)}.txt`)));
    const body = encodeCheckpoint({
      ...cp4,
      sequence: 5,
      head: sha256Hex(bytes),
      time: '2026-04-25T10:00:01.000Z',
      keyId: evil.keyId,
      fingerprint: fingerprintOf(evil.publicKeyPem),
    });
    await writeFile(path.join(root, 'checkpoints', `${seq(5)}.txt`), body);
    await writeFile(path.join(root, 'checkpoints', `${seq(5)}.sig`), await evil.sign(body));
    const marker = JSON.parse(await readFile(path.join(root, 'export.json'), 'utf8'));
    const markerBytes = Buffer.from(
      JSON.stringify(
        {
          ...marker,
          toSequence: 5,
          headDigest: sha256Hex(bytes),
          keyId: evil.keyId,
          fingerprint: fingerprintOf(evil.publicKeyPem),
        },
        null,
        2,
      ) + '\n',
    );
    await writeFile(path.join(root, 'export.json'), markerBytes);
    await writeFile(path.join(root, 'export.json.sig'), await evil.sign(markerBytes));
    rebuildSums(root);
    await caughtByBoth(root, 'untrusted-key');
  });

  it('an emptied pack (every manifest, signature, checkpoint and blob removed, SHA256SUMS rebuilt)', async () => {
    const root = await copyPack();
    for (const d of ['manifests', 'signatures', 'checkpoints', 'blobs']) {
      await rm(path.join(root, d), { recursive: true, force: true });
      await mkdir(path.join(root, d));
    }
    rebuildSums(root);
    await caughtByBoth(root, 'export-altered');
  });

  it('verify --checkpoint: a checkpoint kept from earlier catches a truncated or rewritten live store', async () => {
    const kept = path.join(dir, 'kept');
    await mkdir(kept);
    await cp(path.join(store.root, 'checkpoints', `${seq(5)}.txt`), path.join(kept, `${seq(5)}.txt`));
    await cp(path.join(store.root, 'checkpoints', `${seq(5)}.sig`), path.join(kept, `${seq(5)}.sig`));
    const keptFile = path.join(kept, `${seq(5)}.txt`);
    expect(await viaCli(store.root, '--checkpoint', keptFile)).toEqual({ code: 0, codes: [] });

    // Bundle #5 and its checkpoint removed from a copy of the store: the chain no longer reaches the kept one.
    const truncated = path.join(dir, 'store-truncated');
    await cp(store.root, truncated, { recursive: true });
    const m5 = await readFile(path.join(truncated, 'manifests', `${seq(5)}.json`));
    for (const f of [`manifests/${seq(5)}.json`, `checkpoints/${seq(5)}.txt`, `checkpoints/${seq(5)}.sig`])
      await rm(path.join(truncated, f));
    const t = await viaCli(truncated, '--checkpoint', keptFile);
    expect(t.codes).toEqual(['truncated']);
    expect(t.code).toBe(1);

    // Bundle #5 rewritten by someone holding the key (re-signed, checkpoint rewritten too): forked.
    const forked = path.join(dir, 'store-forked');
    await cp(store.root, forked, { recursive: true });
    const altered = Buffer.from(m5.toString('utf8').replace('sweep-06', 'sweep-6b'));
    await writeFile(path.join(forked, 'manifests', `${seq(5)}.json`), altered);
    await writeFile(path.join(forked, 'signatures', `${sha256Hex(altered)}.sig`), await key.sign(altered));
    const cp5 = parseCheckpoint(await readFile(path.join(forked, 'checkpoints', `${seq(5)}.txt`)));
    const body = encodeCheckpoint({ ...cp5, head: sha256Hex(altered) });
    await writeFile(path.join(forked, 'checkpoints', `${seq(5)}.txt`), body);
    await writeFile(path.join(forked, 'checkpoints', `${seq(5)}.sig`), await key.sign(body));
    expect(await viaCli(forked)).toEqual({ code: 0, codes: [] }); // consistent by itself: only the kept copy shows it
    const f = await viaCli(forked, '--checkpoint', keptFile);
    expect(f.codes).toEqual(['forked']);
    expect(f.code).toBe(1);
  });

  it('after two key rotations a pack verifies with only the first fingerprint pinned; a forged transition is caught', async () => {
    const rotated = await FilesystemStore.open(path.join(dir, 'rotated-store'));
    const mappings = await loadMappings(
      expandMappingPaths(['default'], '/', mappingVocabulary(), new Set(['folder'])),
      mappingVocabulary(),
    );
    const a = newKey();
    const b = newKey();
    const c = newKey();
    const seal = (k: Signer, id: string, at: string) =>
      writeBundle(rotated, k, mappings, id, { 'raci.csv': `owner ${id}\n` }, new Date(at));
    await seal(a, 'r1', '2026-02-10T10:00:00Z');
    await rotateKey(rotated, a, b, new Date('2026-02-20T00:00:00Z'));
    await seal(b, 'r2', '2026-03-10T10:00:00Z');
    await rotateKey(rotated, b, c, new Date('2026-03-20T00:00:00Z'));
    await seal(c, 'r3', '2026-04-10T10:00:00Z');
    const out = path.join(dir, 'rotated.tar.gz');
    const window = { from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-04-30T23:59:59.999Z') };
    await exportAuditPack({ store: rotated, mappings, notApplicable: [] }, { ...window, out, key: c });
    await mkdir(path.join(dir, 'rx'));
    expect(sh(`tar xzf '${out}' -C '${path.join(dir, 'rx')}'`, dir).code).toBe(0);
    const root = path.join(dir, 'rx', 'rotated');
    const pinA = fingerprintOf(a.publicKeyPem);
    const cli = await runCli(['verify', root, '--trust', `sha256:${pinA}`, '--json']);
    expect(JSON.parse(cli.stdout).problems).toEqual([]);
    expect(cli.code).toBe(0);
    const run = await runPackScript(root, pinA);
    expect(run.stdout).toContain(`endorsed: key ${b.keyId} by key ${a.keyId}`);
    expect(run.stdout).toContain(`endorsed: key ${c.keyId} by key ${b.keyId}`);
    expect(run.stdout).toMatch(scriptOk);
    expect(run.code).toBe(0);
    // Pinning an unrelated key: nothing is trusted.
    const unrelated = fingerprintOf(otherKey().publicKeyPem);
    expect((await runPackScript(root, unrelated)).stdout).toMatch(/^untrusted-key: /m);

    // A forged statement "a endorses evil", signed by evil itself (a's private key is not at hand).
    const evil = otherKey();
    const t = JSON.parse(await readFile(path.join(root, 'keys', 'transitions', `${b.keyId}.json`), 'utf8'));
    const forged = Buffer.from(
      JSON.stringify(
        {
          ...t,
          to: { keyId: evil.keyId, fingerprint: fingerprintOf(evil.publicKeyPem), publicKeyPem: evil.publicKeyPem },
        },
        null,
        2,
      ) + '\n',
    );
    await writeFile(path.join(root, 'keys', 'transitions', `${evil.keyId}.json`), forged);
    await writeFile(path.join(root, 'keys', 'transitions', `${evil.keyId}.sig`), await evil.sign(forged));
    await writeFile(
      path.join(root, 'keys', `${evil.keyId}.json`),
      JSON.stringify({
        algorithm: 'ed25519',
        keyId: evil.keyId,
        publicKeyPem: evil.publicKeyPem,
        validFrom: t.validFrom,
      }) + '\n',
    );
    await writeFile(path.join(root, 'keys', `${evil.keyId}.pem`), evil.publicKeyPem);
    rebuildSums(root);
    const forgedCli = await runCli(['verify', root, '--trust', `sha256:${pinA}`, '--json']);
    expect(forgedCli.code).toBe(1);
    expect(JSON.parse(forgedCli.stdout).problems.map((p: { code: string }) => p.code)).toContain('transition-invalid');
    const forgedRun = await runPackScript(root, pinA);
    expect(forgedRun.stdout).toContain(`transition-invalid: keys/transitions/${evil.keyId}.json`);
    expect(forgedRun.code).toBe(1);
  });

  /** Removes bundle #4 (the newest in the pack): manifest, signature, checkpoint and the blobs only it used. */
  async function dropNewestBundle(root: string): Promise<void> {
    const refs = async (n: number) =>
      parseManifest(await readFile(path.join(root, 'manifests', `${seq(n)}.json`))).artifacts.map((a) => a.sha256);
    const keep = new Set([...(await refs(2)), ...(await refs(3))]);
    const m4 = await readFile(path.join(root, 'manifests', `${seq(4)}.json`));
    for (const h of await refs(4))
      if (!keep.has(h)) await rm(path.join(root, 'blobs', 'sha256', h.slice(0, 2), h), { force: true });
    await rm(path.join(root, 'manifests', `${seq(4)}.json`));
    await rm(path.join(root, 'signatures', `${sha256Hex(m4)}.sig`));
    await rm(path.join(root, 'checkpoints', `${seq(4)}.txt`));
    await rm(path.join(root, 'checkpoints', `${seq(4)}.sig`));
  }

  /**
   * What a forger with their own key does: new manifest signatures (the chain relinked when a manifest
   * changes), checkpoints and the export.json signature. `keyId` is the key id written into the files: the
   * forger's own, or the legitimate one when the key file was swapped under its name.
   */
  async function resignAll(root: string, evil: Signer, keyId: string): Promise<void> {
    let previous: string | undefined;
    for (const n of [2, 3, 4]) {
      const file = path.join(root, 'manifests', `${seq(n)}.json`);
      const oldBytes = await readFile(file);
      const m = JSON.parse(oldBytes.toString('utf8'));
      m.signing.keyId = keyId;
      if (previous) m.previousDigest = previous;
      const bytes = Buffer.from(JSON.stringify(m, null, 2) + '\n');
      await writeFile(file, bytes);
      await rm(path.join(root, 'signatures', `${sha256Hex(oldBytes)}.sig`));
      await writeFile(path.join(root, 'signatures', `${sha256Hex(bytes)}.sig`), await evil.sign(bytes));
      previous = sha256Hex(bytes);
      const cpFile = path.join(root, 'checkpoints', `${seq(n)}.txt`);
      const cp = parseCheckpoint(await readFile(cpFile));
      const body = encodeCheckpoint({ ...cp, head: previous, keyId, fingerprint: fingerprintOf(evil.publicKeyPem) });
      await writeFile(cpFile, body);
      await writeFile(path.join(root, 'checkpoints', `${seq(n)}.sig`), await evil.sign(body));
    }
    const marker = JSON.parse(await readFile(path.join(root, 'export.json'), 'utf8'));
    const bytes = Buffer.from(
      JSON.stringify(
        { ...marker, keyId, fingerprint: fingerprintOf(evil.publicKeyPem), headDigest: previous },
        null,
        2,
      ) + '\n',
    );
    await writeFile(path.join(root, 'export.json'), bytes);
    await writeFile(path.join(root, 'export.json.sig'), await evil.sign(bytes));
  }
});
