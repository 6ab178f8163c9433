import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config';
import { InputError } from '../../core/yaml-source';
import { StoreAccessError, StoreUnavailableError } from '../../core/errors';
import { verifyTarget } from '../../cli/commands/verify';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { initSigningKey, openStore } from '../../worker/hub';
import { useAzurite } from '../support/azurite';
import { useFakeGcs } from '../support/fake-gcs';
import { hubIn } from '../support/hub-fixture';
import { freePort } from '../support/ports';
import { runCli } from '../support/processes';
import { writeBundle } from '../support/store-fixture';
import { tempDir, writeTree } from '../support/tmp';

const azurite = useAzurite();
const fakeGcs = useFakeGcs();

const sources = [
  'signing: { key: { file: ./signing.pem } }',
  'sources:',
  '  - { id: docs, type: folder, path: ./org }',
];

/* The Azure and GCS stores as an operator configures them (store: { azure | gcs }) and an auditor verifies them. */
describe('evidence store on Azure Blob from the config', () => {
  it('seals through store.azure (shared key from a secret reference) and verify azure://… accepts it', async () => {
    const az = azurite();
    const container = `cfg-${randomBytes(4).toString('hex')}`;
    await az.service.getContainerClient(container).create();
    process.env['EH_AZ_STORE_KEY'] = az.accountKey;
    const { hub, configFile } = await hubIn(
      await tempDir(),
      [
        'version: 1',
        `store: { azure: { accountUrl: "${az.accountUrl}", container: ${container}, prefix: audit, auth: { method: shared-key, accountName: ${az.accountName}, accountKey: { env: EH_AZ_STORE_KEY } } } }`,
        ...sources,
        '',
      ].join('\n'),
    );
    expect(hub.store.location).toBe(`azure://${container}/audit/`);
    const { key } = await initSigningKey(hub.config, hub.store, new Date('2026-01-01T00:00:00Z'));
    await writeBundle(hub.store, key, hub.mappings, 'a-1', { 'policies/ai-policy.md': '# policy\n' });
    await writeBundle(hub.store, key, hub.mappings, 'a-2', { 'policies/ai-policy.md': '# policy v2\n' });
    // The URL names the container and prefix; the account and credentials come from the config.
    expect(await verifyTarget(`azure://${container}/audit`, { config: configFile })).toMatchObject({
      ok: true,
      bundlesChecked: 2,
    });
    // An auditor without the config: the account URL as --endpoint, the key in the Azure CLI's variables.
    const fp = formatFingerprint(fingerprintOf(key.publicKeyPem));
    const cli = await runCli(
      [
        'verify',
        `azure://${container}/audit`,
        '--endpoint',
        az.accountUrl,
        '--config',
        '/nonexistent.yaml',
        '--trust',
        fp,
      ],
      { AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: az.accountKey },
    );
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toContain(`OK: azure://${container}/audit/: 2 bundle(s)`);
    expect(cli.stdout).toContain('(authenticated)');
    expect(cli.code).toBe(0);
    // Another prefix in the same container holds nothing: verify fails rather than passing on nothing.
    const empty = await verifyTarget(`azure://${container}/elsewhere`, { config: configFile });
    expect(empty.problems.map((p) => p.code)).toEqual(['empty-store']);
  });

  it('a wrong account key is a StoreAccessError naming store.azure.auth, not an empty store', async () => {
    const az = azurite();
    process.env['EH_AZ_BAD_KEY'] = Buffer.from('not the key').toString('base64');
    const dir = await tempDir();
    await writeTree(dir, {
      'c.yaml': `version: 1\nstore: { azure: { accountUrl: "${az.accountUrl}", container: nowhere, auth: { method: shared-key, accountName: ${az.accountName}, accountKey: { env: EH_AZ_BAD_KEY } } } }\nsources: [{ id: docs, type: folder, path: ./org }]\n`,
    });
    const config = await loadConfig(`${dir}/c.yaml`);
    const store = await openStore(config.store, dir);
    const err = await store.head().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreAccessError);
    expect((err as Error).message).toMatch(/azure:\/\/nowhere\/ refused access \(403.*check store\.azure\.auth/);
  });

  it('config errors name the field: a missing auth, an azure:// override without store.azure', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'no-auth.yaml':
        'version: 1\nstore: { azure: { accountUrl: "https://a.blob.core.windows.net", container: evid } }\nsources: [{ id: docs, type: folder, path: ./org }]\n',
      'fs.yaml': 'version: 1\nstore: { path: ./store }\nsources: [{ id: docs, type: folder, path: ./org }]\n',
    });
    const noAuth = await loadConfig(`${dir}/no-auth.yaml`).catch((e: unknown) => e);
    expect(noAuth).toBeInstanceOf(InputError);
    expect((noAuth as Error).message).toMatch(/no-auth\.yaml:2.*store/);
    const override = await loadConfig(`${dir}/fs.yaml`, { store: 'azure://evid/x' }).catch((e: unknown) => e);
    expect(override).toBeInstanceOf(InputError);
    expect((override as Error).message).toMatch(/needs store\.azure in the config/);
  });
});

describe('evidence store on GCS from the config', () => {
  it('seals through store.gcs and `verify gs://… --endpoint` accepts it without a config file', async () => {
    const gcs = fakeGcs();
    const bucket = `cfg-${randomBytes(4).toString('hex')}`;
    await gcs.storage.createBucket(bucket);
    const { hub } = await hubIn(
      await tempDir(),
      [
        'version: 1',
        `store: { gcs: { apiEndpoint: "${gcs.endpoint}", projectId: evidence-hub-test, bucket: ${bucket}, prefix: audit } }`,
        ...sources,
        '',
      ].join('\n'),
    );
    expect(hub.store.location).toBe(`gs://${bucket}/audit/`);
    const { key } = await initSigningKey(hub.config, hub.store, new Date('2026-01-01T00:00:00Z'));
    await writeBundle(hub.store, key, hub.mappings, 'g-1', { 'policies/ai-policy.md': '# policy\n' });
    const fp = formatFingerprint(fingerprintOf(key.publicKeyPem));
    const ok = await runCli([
      'verify',
      `gs://${bucket}/audit`,
      '--endpoint',
      gcs.endpoint,
      '--config',
      '/nonexistent.yaml',
      '--trust',
      fp,
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`OK: gs://${bucket}/audit/`);
    expect(ok.stdout).toContain('1 bundle(s)');
    expect(ok.stdout).toContain('(authenticated)');
    expect(ok.code).toBe(0);
  });

  it('an unreachable endpoint is a StoreUnavailableError (retried), not an empty store', async () => {
    const dir = await tempDir();
    const port = await freePort();
    await writeTree(dir, {
      'c.yaml': `version: 1\nstore: { gcs: { apiEndpoint: "http://127.0.0.1:${port}", projectId: p, bucket: gone } }\nsources: [{ id: docs, type: folder, path: ./org }]\n`,
    });
    const store = await openStore((await loadConfig(`${dir}/c.yaml`)).store, dir);
    const err = await store.sequences().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/gs:\/\/gone\/ is unavailable/);
  });
});
