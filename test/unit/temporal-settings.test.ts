import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main';
import { resolveTemporalSettings, type YamlTemporalSecurity } from '../../config/temporal-settings';
import { tempDir, writeTree } from '../support/tmp';

/** The layering documented in README's Platform section: defaults < temporal: < TOML profile < TEMPORAL_*. */

const yaml: YamlTemporalSecurity = { address: 'yaml.example:7233', namespace: 'from-yaml' };

const toml = `
[profile.default]
address = "toml-default.example:7233"
namespace = "toml-default"

[profile.prod]
address = "prod.example:7233"
api_key = "toml-api-key"
[profile.prod.tls]
server_name = "prod.internal"
client_cert_path = "certs/client.pem"
client_key_path = "certs/client.key"
server_ca_cert_data = "-----BEGIN CERTIFICATE-----"
`;

async function tomlFile(): Promise<string> {
  const dir = await tempDir();
  await writeTree(dir, { 'temporal.toml': toml });
  return path.join(dir, 'temporal.toml');
}

afterEach(() => vi.unstubAllEnvs());

describe('Temporal connection settings', () => {
  it('without Temporal config, takes temporal: from the YAML, plaintext unless TLS or an API key is set', async () => {
    expect(resolveTemporalSettings(yaml, '/cfg', {})).toEqual({
      address: 'yaml.example:7233',
      namespace: 'from-yaml',
      tls: undefined,
    });
    const withKey = resolveTemporalSettings({ ...yaml, apiKey: { env: 'MY_KEY' } }, '/cfg', {});
    expect(withKey.tls).toEqual({}); // an API key turns TLS on, as in envconfig
    vi.stubEnv('MY_KEY', 'k-1');
    expect(await withKey.apiKey!.read()).toBe('k-1');
    expect(JSON.stringify(withKey)).not.toContain('k-1'); // readers, never values
    const off = resolveTemporalSettings({ ...yaml, apiKey: { env: 'MY_KEY' }, tls: { disabled: true } }, '/cfg', {});
    expect(off.tls).toBeUndefined();
    const files = resolveTemporalSettings(
      { ...yaml, tls: { clientCert: { file: 'c.pem' }, clientKey: { file: 'c.key' }, serverName: 'x' } },
      '/cfg',
      {},
    );
    expect(files.tls?.clientCert?.file).toBe('/cfg/c.pem'); // relative to the config file
    expect(files.tls?.serverName).toBe('x');
  });

  it('a TOML profile (TEMPORAL_CONFIG_FILE, "default" unless TEMPORAL_PROFILE) overrides the YAML field by field', async () => {
    const file = await tomlFile();
    const d = resolveTemporalSettings(yaml, '/cfg', { TEMPORAL_CONFIG_FILE: file });
    expect(d).toMatchObject({ address: 'toml-default.example:7233', namespace: 'toml-default', profile: 'default' });
    const prod = resolveTemporalSettings(yaml, '/cfg', { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(prod).toMatchObject({ address: 'prod.example:7233', namespace: 'from-yaml', profile: 'prod' });
    expect(await prod.apiKey!.read()).toBe('toml-api-key');
    expect(prod.tls?.serverName).toBe('prod.internal');
    // Paths in Temporal's file are relative to the working directory, as for the Temporal CLI.
    expect(prod.tls?.clientCert?.file).toBe(path.resolve('certs/client.pem'));
    expect(prod.tls?.serverCaCert?.file).toBeUndefined(); // inline data: nothing to watch
    expect(prod.tls?.serverCaCert?.describe).toBe('tls.server_ca_cert_data');
    // Reported when connecting, so commands that never talk to Temporal still run.
    expect(
      resolveTemporalSettings(yaml, '/cfg', { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }).problem,
    ).toMatch(/temporal\.toml: Profile 'staging' not found.*--profile\/TEMPORAL_PROFILE: staging/);
  });

  it('TEMPORAL_* variables beat the TOML profile and the YAML; an empty variable counts as unset', async () => {
    const file = await tomlFile();
    const s = resolveTemporalSettings(yaml, '/cfg', {
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_ADDRESS: 'env.example:7233',
      TEMPORAL_NAMESPACE: '',
      TEMPORAL_API_KEY: 'env-key',
      TEMPORAL_TLS_SERVER_NAME: 'env.internal',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/run/secrets/key.pem',
    });
    expect(s).toMatchObject({ address: 'env.example:7233', namespace: 'from-yaml' });
    expect(await s.apiKey!.read()).toBe('env-key');
    expect(s.tls?.serverName).toBe('env.internal');
    expect(s.tls?.clientKey?.file).toBe('/run/secrets/key.pem');
    expect(s.tls?.clientCert?.file).toBe(path.resolve('certs/client.pem')); // still the profile's
    const plain = resolveTemporalSettings(yaml, '/cfg', {
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_TLS: 'false',
    });
    expect(plain.tls).toBeUndefined();
  });

  it('--profile on the command line selects the TOML profile, like the Temporal CLI', async () => {
    const file = await tomlFile();
    const dir = path.dirname(file);
    await writeTree(dir, {
      'evidence-hub.yaml': 'version: 1\nsources:\n  - { id: docs, type: folder, path: ./org }\n',
    });
    vi.stubEnv('TEMPORAL_CONFIG_FILE', file);
    vi.stubEnv('TEMPORAL_PROFILE', '');
    const err: string[] = [];
    const code = await main(
      ['schedules', 'list', '--config', path.join(dir, 'evidence-hub.yaml'), '--profile', 'nope'],
      {
        out: () => undefined,
        err: (s) => err.push(s),
      },
    );
    expect(err.join('\n')).toMatch(/Profile 'nope' not found/);
    expect(code).toBe(1);
  });
});
