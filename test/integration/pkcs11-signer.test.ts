import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import { loadHub, loadSigningKey } from '../../worker/hub';
import type { SweepResult } from '../../workflows';
import { quietLog, workflowBundle } from '../support/hub-fixture';
import { runCli } from '../support/processes';
import { createSoftHsmToken, softhsmModule, type SoftHsmToken } from '../support/softhsm';
import { suiteDir, tempDir, writeTree } from '../support/tmp';

/**
 * Issue #14 item 6: the private key can stay off the worker's disk. A real SoftHSM token (Debian's softhsm2)
 * holds ed25519 key pairs generated on it; the worker signs through PKCS#11 (CKM_EDDSA) and `verify` checks
 * the result against the pinned fingerprint, exactly as for a key file.
 */
let env: TestWorkflowEnvironment;
let token: SoftHsmToken;
let hsmDir: string | undefined;
beforeAll(async () => {
  hsmDir = await suiteDir('eh-softhsm-');
  token = await createSoftHsmToken(hsmDir);
  await token.generateEd25519('hub-2026', '01');
  await token.generateEd25519('hub-2027', '02');
  // SoftHSM reads its config when the library is first initialised in this process (the in-process workers).
  process.env['SOFTHSM2_CONF'] = token.conf;
  process.env['EH_PKCS11_PIN'] = token.pin;
  env = await startDevServer();
});
afterAll(async () => {
  await env?.teardown();
  if (hsmDir) await rm(hsmDir, { recursive: true, force: true });
});

const queue = () => `pkcs11-${randomBytes(4).toString('hex')}`;
const hsmEnv = () => ({ SOFTHSM2_CONF: token.conf, EH_PKCS11_PIN: token.pin });
const pkcs11Yaml = (keyLabel: string, q: string) =>
  [
    'version: 1',
    'store: { path: ./store }',
    `signing: { pkcs11: { module: ${softhsmModule}, tokenLabel: ${token.label}, keyLabel: ${keyLabel}, pin: { env: EH_PKCS11_PIN } } }`,
    `temporal: { taskQueue: ${q} }`,
    'sources:',
    '  - { id: docs, type: folder, path: ./org }',
    '',
  ].join('\n');

/** One sweep by an in-process worker whose signer comes from `config` (a key file or the token). */
async function sweep(config: string): Promise<SweepResult> {
  const hub = await loadHub(config);
  const signer = await loadSigningKey(hub.config);
  try {
    const worker = await createHubWorker(hub, signer, quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    await writeFile(path.join(path.dirname(config), 'org', `note-${randomBytes(3).toString('hex')}.md`), 'new\n');
    return await worker.runUntil(
      async () => (await (await startSweep(env.client, hub.config, { trigger: 'manual' })).result()) as SweepResult,
    );
  } finally {
    await signer.close?.();
  }
}

describe('PKCS#11 signer (SoftHSM)', () => {
  it('a worker on a token key seals bundles that verify against the pinned key; a wrong PIN is not-ready and never printed', async () => {
    const dir = await tempDir();
    const config = path.join(dir, 'evidence-hub.yaml');
    await writeTree(dir, { 'evidence-hub.yaml': pkcs11Yaml('hub-2026', queue()), 'org/policy.md': '# policy\n' });

    // keys init registers the token's key: nothing is created, no key file appears.
    const init = await runCli(['keys', 'init', '--config', config], hsmEnv());
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).not.toContain('created key file');
    const fp = /fingerprint: (sha256:[0-9a-f]{64})/.exec(init.stdout)![1]!;
    const shown = JSON.parse((await runCli(['keys', 'show', '--config', config, '--json'], hsmEnv())).stdout);
    expect(shown.local).toMatchObject({ current: true, fingerprint: fp.slice('sha256:'.length) });

    expect((await sweep(config)).bundle.sequence).toBe(1);
    expect((await sweep(config)).bundle.sequence).toBe(2);

    const verified = await runCli(['verify', path.join(dir, 'store'), '--trust', fp, '--json']);
    expect(verified.code, verified.stdout).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, authenticated: true, bundlesChecked: 2 });

    // A wrong PIN stops the worker at start with a clear reason; the PIN appears nowhere, even in debug logs.
    const wrongPin = 'wrong-pin-99172';
    const start = await runCli(['worker', '--config', config], {
      ...hsmEnv(),
      EH_PKCS11_PIN: wrongPin,
      LOG_LEVEL: 'debug',
    });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('worker not ready');
    expect(start.stderr).toContain(`PKCS#11 token "${token.label}": the PIN from signing.pkcs11.pin was rejected`);
    expect(start.stdout + start.stderr).not.toContain(wrongPin);

    // A label that is not on the token names the setting to fix.
    await writeFile(config, pkcs11Yaml('no-such-key', queue()));
    const missing = await runCli(['worker', '--config', config], hsmEnv());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no private key labelled "no-such-key"; check signing.pkcs11.keyLabel');
  });

  it('rotation from a key file to a token key: the old key endorses it, verify with only the first pin passes', async () => {
    const dir = await tempDir();
    const q = queue();
    const fileConfig = path.join(dir, 'evidence-hub.yaml');
    const hsmConfig = path.join(dir, 'evidence-hub-hsm.yaml');
    await writeTree(dir, {
      'evidence-hub.yaml': `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./signing.pem } }\ntemporal: { taskQueue: ${q} }\nsources:\n  - { id: docs, type: folder, path: ./org }\n`,
      'evidence-hub-hsm.yaml': pkcs11Yaml('hub-2027', q),
      'org/policy.md': '# policy\n',
    });
    const init = await runCli(['keys', 'init', '--config', fileConfig]);
    const first = /fingerprint: (sha256:[0-9a-f]{64})/.exec(init.stdout)![1]!;
    expect((await sweep(fileConfig)).bundle.sequence).toBe(1);

    const rotate = await runCli(['keys', 'rotate', '--config', fileConfig, '--new-config', hsmConfig], hsmEnv());
    expect(rotate.code, rotate.stderr).toBe(0);
    const next = /new fingerprint: (sha256:[0-9a-f]{64})/.exec(rotate.stdout)![1]!;
    expect(next).not.toBe(first);
    // The token key countersigned its own endorsement: the statement proves the token holds it.
    expect(rotate.stdout).toMatch(/signed by [0-9a-f]{16}, countersigned by [0-9a-f]{16}/);
    expect(rotate.stdout).toContain(`give every worker the signing section of ${hsmConfig}`);

    // The file key is closed; the token key seals from now on.
    await expect(sweep(fileConfig)).rejects.toThrow();
    expect((await sweep(hsmConfig)).bundle.sequence).toBe(2);

    const verified = await runCli(['verify', path.join(dir, 'store'), '--trust', first, '--json']);
    expect(verified.code, verified.stdout).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, authenticated: true, bundlesChecked: 2 });
    const shown = JSON.parse((await runCli(['keys', 'show', '--config', hsmConfig, '--json'], hsmEnv())).stdout);
    expect(shown.local).toMatchObject({ current: true, fingerprint: next.slice('sha256:'.length) });
  });
});
