import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { createKeyFile, readKeyFile } from '../../evidence/signing';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { verifyStore } from '../../evidence/verify';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import { loadHub } from '../../worker/hub';
import { useMinio } from '../support/minio-suite';
import { runCli } from '../support/processes';
import { hubIn, quietLog, workflowBundle } from '../support/hub-fixture';
import { tempDir, writeTree } from '../support/tmp';
import type { SweepResult } from '../../workflows';

const minio = useMinio();
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startDevServer();
});
afterAll(async () => {
  await env?.teardown();
});

const fpOf = async (file: string) => formatFingerprint(fingerprintOf((await readKeyFile(file))!.publicKeyPem));
/** Every message and failure type down an error's cause chain (Temporal wraps the activity's failure). */
function causes(err: unknown): string {
  const out: string[] = [];
  for (let e = err as (Error & { type?: string; cause?: unknown }) | undefined; e; e = e.cause as typeof e)
    out.push(`${e.type ?? e.name}: ${e.message}`);
  return out.join('\n');
}
const queue = () => `trust-${randomBytes(4).toString('hex')}`;

describe('keys and trust anchors through the command line', () => {
  it('keys init/show/rotate twice; verify with only the first fingerprint passes, an unrelated pin fails, no pin exits 3', async () => {
    const dir = await tempDir();
    const config = path.join(dir, 'evidence-hub.yaml');
    const yaml = (keyFile: string) =>
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ${keyFile} } }\ntemporal: { taskQueue: ${queue()} }\nsources:\n  - { id: docs, type: folder, path: ./org }\n`;
    await writeTree(dir, { 'evidence-hub.yaml': yaml('./keys/signing.pem'), 'org/policy.md': '# policy\n' });

    // A worker never creates a key: it names the file and the command to run.
    const noKey = await runCli(['worker', '--config', config]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain(`signing key file ${path.join(dir, 'keys', 'signing.pem')}`);
    expect(noKey.stderr).toContain('evidence-hub keys init');

    const init = await runCli(['keys', 'init', '--config', config]);
    expect(init.code).toBe(0);
    const first = await fpOf(path.join(dir, 'keys', 'signing.pem'));
    expect(init.stdout).toContain(`fingerprint: ${first}`);
    expect((await stat(path.join(dir, 'keys', 'signing.pem'))).mode & 0o777).toBe(0o600);
    // Never overwritten: a second init changes nothing.
    const before = await readFile(path.join(dir, 'keys', 'signing.pem'), 'utf8');
    expect((await runCli(['keys', 'init', '--config', config])).stdout).toContain('nothing changed');
    expect(await readFile(path.join(dir, 'keys', 'signing.pem'), 'utf8')).toBe(before);

    const sweep = async () => {
      const hub = await loadHub(config);
      const key = (await readKeyFile(
        path.join(dir, (/file: (\S+) \}/.exec(await readFile(config, 'utf8')) ?? [])[1]!),
      ))!;
      const worker = await createHubWorker(hub, key, quietLog, {
        connection: env.nativeConnection,
        workflowBundle: await workflowBundle(),
      });
      await writeFile(path.join(dir, 'org', `note-${randomBytes(3).toString('hex')}.md`), 'new\n');
      return worker.runUntil(
        async () => (await (await startSweep(env.client, hub.config, { trigger: 'manual' })).result()) as SweepResult,
      );
    };
    expect((await sweep()).bundle.sequence).toBe(1);

    let current = first;
    for (const round of [1, 2]) {
      const rotate = await runCli(['keys', 'rotate', '--config', config]);
      expect(rotate.code, rotate.stderr).toBe(0);
      const newFile = /created key file (\S+) \(mode 0600\)/.exec(rotate.stdout)![1]!;
      const next = await fpOf(newFile);
      expect(rotate.stdout).toContain(`new fingerprint: ${next}`);
      expect(next).not.toBe(current);
      // The old key can no longer seal: the running config still points at it.
      const refused = await sweep().then(
        () => 'sealed',
        (err: unknown) => causes(err),
      );
      expect(refused).toContain('SigningKeyError');
      expect(refused).toContain(`refusing to seal: this worker's signing key`);
      await writeFile(config, yaml(path.relative(dir, newFile)));
      expect((await sweep()).bundle.sequence).toBe(round + 1);
      current = next;
    }

    const show = await runCli(['keys', 'show', '--config', config, '--json']);
    const shown = JSON.parse(show.stdout);
    expect(shown.keys).toHaveLength(3);
    expect(shown.keys.filter((k: { current: boolean }) => k.current)).toHaveLength(1);
    expect(shown.local).toMatchObject({ current: true });
    expect(shown.keys.map((k: { fingerprint: string }) => formatFingerprint(k.fingerprint))).toContain(first);

    const store = path.join(dir, 'store');
    const pinnedFirst = await runCli(['verify', store, '--trust', first, '--json']);
    expect(pinnedFirst.code, pinnedFirst.stdout).toBe(0);
    expect(JSON.parse(pinnedFirst.stdout)).toMatchObject({ ok: true, authenticated: true, bundlesChecked: 3 });

    const unrelated = formatFingerprint(fingerprintOf((await createKeyFile(path.join(dir, 'other.pem'))).publicKeyPem));
    const wrong = await runCli(['verify', store, '--trust', unrelated]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('untrusted-key: bundle #1');
    const wrongJson = JSON.parse((await runCli(['verify', store, '--trust', unrelated, '--json'])).stdout);
    expect(wrongJson).toMatchObject({ ok: false, authenticated: false });
    expect(wrongJson.problems.map((p: { code: string }) => p.code)).toContain('untrusted-key');

    const unpinned = await runCli(['verify', store]);
    expect(unpinned.code).toBe(3);
    expect(unpinned.stdout).toMatch(/^OK: .*3 bundle\(s\)/);
    expect(unpinned.stdout).toContain('!! AUTHENTICITY NOT CHECKED: no trusted key was given');
    expect(JSON.parse((await runCli(['verify', store, '--json'])).stdout)).toMatchObject({
      ok: true,
      authenticated: false,
    });

    // The config's signing.trustedKeys pins the same way (a PEM public key file works as --trust too).
    await writeFile(
      config,
      (await readFile(config, 'utf8')).replace('signing: {', `signing: { trustedKeys: ["${first}"],`),
    );
    expect((await runCli(['verify', store, '--config', config])).code).toBe(0);
    const trusted = JSON.parse((await runCli(['keys', 'show', '--config', config, '--json'])).stdout);
    expect(trusted.keys.map((k: { trust: string; keyIdMatches: boolean }) => [k.trust, k.keyIdMatches])).toEqual([
      ['trusted (pinned)', true],
      [`trusted (endorsed by ${trusted.keys[0].keyId})`, true],
      [`trusted (endorsed by ${trusted.keys[1].keyId})`, true],
    ]);
  });

  it('an empty store, a missing folder and a wrong S3 prefix are empty-store (exit 1) unless --allow-empty', async () => {
    const dir = await tempDir();
    const config = path.join(dir, 'evidence-hub.yaml');
    await writeTree(dir, {
      'evidence-hub.yaml':
        'version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\nsources:\n  - { id: docs, type: folder, path: ./org }\n',
    });
    const init = await runCli(['keys', 'init', '--config', config]);
    const fp = /fingerprint: (\S+)/.exec(init.stdout)![1]!;
    const empty = await runCli(['verify', path.join(dir, 'store'), '--trust', fp]);
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('empty-store:');
    expect((await runCli(['verify', path.join(dir, 'store'), '--trust', fp, '--allow-empty'])).code).toBe(0);
    const missing = await runCli(['verify', path.join(dir, 'nowhere'), '--trust', fp, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).problems).toMatchObject([{ code: 'empty-store' }]);

    const s3 = minio();
    const bucket = `empty-${randomBytes(4).toString('hex')}`;
    await s3.createBucket(bucket);
    await writeFile(
      config,
      `version: 1\nstore: { s3: { bucket: ${bucket}, prefix: evidence, endpoint: "${s3.endpoint}", forcePathStyle: true, credentials: { accessKeyId: { env: EH_TRUST_AK }, secretAccessKey: { env: EH_TRUST_SK } } } }\nsources:\n  - { id: docs, type: folder, path: ./org }\n`,
    );
    const creds = { EH_TRUST_AK: s3.accessKeyId, EH_TRUST_SK: s3.secretAccessKey };
    const wrongPrefix = await runCli(
      ['verify', `s3://${bucket}/wrong-prefix`, '--config', config, '--trust', fp],
      creds,
    );
    expect(wrongPrefix.code).toBe(1);
    expect(wrongPrefix.stdout).toContain('empty-store:');
    expect(wrongPrefix.stdout).not.toContain('OK: ');
    const allowed = await runCli(
      ['verify', `s3://${bucket}/wrong-prefix`, '--config', config, '--trust', fp, '--allow-empty'],
      creds,
    );
    expect(allowed.code).toBe(0);
  });

  it('two workers with different keys against one S3 store: the second refuses to seal and says why; the chain stays valid', async () => {
    const s3 = minio();
    const bucket = `two-${randomBytes(4).toString('hex')}`;
    await s3.createBucket(bucket, { versioned: true });
    process.env['EH_TRUST_AK'] = s3.accessKeyId;
    process.env['EH_TRUST_SK'] = s3.secretAccessKey;
    const creds = { EH_TRUST_AK: s3.accessKeyId, EH_TRUST_SK: s3.secretAccessKey };
    const yaml = (q: string) =>
      [
        'version: 1',
        `store: { s3: { bucket: ${bucket}, prefix: evidence, endpoint: "${s3.endpoint}", forcePathStyle: true, credentials: { accessKeyId: { env: EH_TRUST_AK }, secretAccessKey: { env: EH_TRUST_SK } } } }`,
        'signing: { key: { file: ./signing.pem } }',
        `temporal: { taskQueue: ${q} }`,
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        '',
      ].join('\n');
    const a = await hubIn(await tempDir(), yaml(queue()), { 'org/policy.md': '# policy A\n' });
    const b = await hubIn(await tempDir(), yaml(queue()), { 'org/policy.md': '# policy B\n' });

    expect((await runCli(['keys', 'init', '--config', a.configFile], creds)).code).toBe(0);
    const fpA = await fpOf(path.join(a.dir, 'signing.pem'));
    // keys init on the second host refuses: the store has its signer.
    const initB = await runCli(['keys', 'init', '--config', b.configFile], creds);
    expect(initB.code).toBe(1);
    expect(initB.stderr).toContain('already has current key');
    // A host that made its own key anyway (or was given the wrong one).
    const keyB = await createKeyFile(path.join(b.dir, 'signing.pem'));
    const fpB = formatFingerprint(fingerprintOf(keyB.publicKeyPem));

    // At start, the worker reports it is not ready, naming both keys.
    const startB = await runCli(['worker', '--config', b.configFile], creds);
    expect(startB.code).toBe(1);
    expect(startB.stderr).toContain('worker not ready');
    expect(startB.stderr).toContain(fpB);
    expect(startB.stderr).toContain(fpA);

    const keyA = (await readKeyFile(path.join(a.dir, 'signing.pem')))!;
    const run = async (hub: typeof a.hub, key: typeof keyA) => {
      const worker = await createHubWorker(hub, key, quietLog, {
        connection: env.nativeConnection,
        workflowBundle: await workflowBundle(),
      });
      return worker.runUntil(async () => {
        const handle = await startSweep(env.client, hub.config, { trigger: 'manual' });
        try {
          return { result: (await handle.result()) as SweepResult };
        } catch (error) {
          return { error: error as Error & { cause?: Error & { cause?: Error } } };
        }
      });
    };
    const first = await run(a.hub, keyA);
    expect(first.result?.bundle.sequence).toBe(1);
    // The second worker's sweep fails loudly (non-retryable), never reports success, and seals nothing.
    const second = await run(b.hub, keyB);
    expect(second.result).toBeUndefined();
    const cause = second.error?.cause?.cause ?? second.error?.cause;
    expect(cause?.message).toContain('refusing to seal');
    expect(cause?.message).toContain(fpB);
    expect(cause?.message).toContain(fpA);
    expect((await run(a.hub, keyA)).result?.bundle.sequence).toBe(2);

    expect(await a.hub.store.sequences()).toEqual([1, 2]);
    expect(await verifyStore(a.hub.store, { trust: [fpA.slice('sha256:'.length)] })).toMatchObject({
      ok: true,
      authenticated: true,
      bundlesChecked: 2,
    });
    const cli = await runCli(['verify', `s3://${bucket}/evidence`, '--config', a.configFile, '--trust', fpA], creds);
    expect(cli.code, cli.stdout).toBe(0);
  });
});
