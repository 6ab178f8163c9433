import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config';
import { InputError } from '../../core/yaml-source';
import { resolveSecret } from '../../core/secrets';
import { CredentialsError } from '../../core/errors';
import { tempDir, writeTree } from '../support/tmp';

async function configError(yaml: string): Promise<{ message: string; file: string }> {
  const dir = await tempDir();
  await writeTree(dir, { 'evidence-hub.yaml': yaml });
  const file = path.join(dir, 'evidence-hub.yaml');
  const err = await loadConfig(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return { message: (err as InputError).message, file };
}

const validSources = `sources:\n  - id: docs\n    type: folder\n    path: ./docs\n`;

describe('config loading', () => {
  it('loads a valid file and resolves paths against the file', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'cfg/evidence-hub.yaml': `version: 1\nstore: { path: ../store }\n${validSources}` });
    const cfg = await loadConfig(path.join(dir, 'cfg', 'evidence-hub.yaml'));
    expect(cfg.store).toEqual({ path: path.join(dir, 'store') });
    expect(cfg.sources[0]).toMatchObject({ id: 'docs', type: 'folder', path: path.join(dir, 'cfg', 'docs') });
    expect(cfg.mappings).toEqual(['default']);
    expect(cfg.temporal.taskQueue).toBe('evidence-hub');
  });

  it('names file, line, column and field path for a cron with the wrong number of fields', async () => {
    const yaml = [
      'version: 1',
      validSources.trimEnd(),
      'schedules:',
      '  - { id: a, cron: "0 2 * * *" }',
      '  - { id: b, every: 6h }',
      '  - id: c',
      '    cron: "0 2 * *"',
      '',
    ].join('\n');
    const { message, file } = await configError(yaml);
    expect(message).toContain(`${file}:10:11: schedules[2].cron: expected 5 fields`);
  });

  it('reports YAML syntax errors with their position', async () => {
    const { message, file } = await configError('version: 1\nsources:\n  - id: docs\n   type: folder\n');
    expect(message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: `));
  });

  it('rejects a secret written inline and says how to reference it', async () => {
    const { message, file } = await configError(
      `version: 1\nsigning:\n  key: "-----BEGIN PRIVATE KEY----- abc"\n${validSources}`,
    );
    expect(message).toContain(`${file}:3:8: signing.key:`);
    expect(message).toContain('secrets are never written in the config');
    expect(message).not.toContain('abc');
  });

  it('signing: exactly one of key and pkcs11; a PKCS#11 PIN is a secret reference, never inline', async () => {
    const pkcs11 =
      'pkcs11: { module: /usr/lib/softhsm/libsofthsm2.so, tokenLabel: hub, keyLabel: k1, pin: { env: PIN } }';
    const both = await configError(`version: 1\nsigning: { key: { file: k.pem }, ${pkcs11} }\n${validSources}`);
    expect(both.message).toContain(`${both.file}:2:10: signing: signing needs exactly one of key`);
    const neither = await configError(`version: 1\nsigning: { trustedKeys: [] }\n${validSources}`);
    expect(neither.message).toContain('signing needs exactly one of key');
    const inlinePin = await configError(
      `version: 1\nsigning: { pkcs11: { module: m.so, tokenLabel: hub, keyLabel: k1, pin: "1234" } }\n${validSources}`,
    );
    expect(inlinePin.message).toContain('signing.pkcs11.pin: expected { env: VARIABLE_NAME } or { file: path }');
    expect(inlinePin.message).not.toContain('1234');
    const dir = await tempDir();
    await writeTree(dir, { 'evidence-hub.yaml': `version: 1\nsigning: { ${pkcs11} }\n${validSources}` });
    const ok = await loadConfig(path.join(dir, 'evidence-hub.yaml'));
    expect(ok.signing).toEqual({
      pkcs11: { module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'hub', keyLabel: 'k1', pin: { env: 'PIN' } },
    });
  });

  it('rejects unknown keys, unknown source types and duplicate source ids', async () => {
    const unknownKey = await configError(`version: 1\nsourcez: []\n${validSources}`);
    expect(unknownKey.message).toContain(`${unknownKey.file}:1:1:`);
    expect(unknownKey.message).toContain('sourcez');

    const badType = await configError('version: 1\nsources:\n  - id: gh\n    type: gitlab\n    path: x\n');
    expect(badType.message).toContain(
      `${badType.file}:4:11: sources[0].type: unknown source type; expected one of: folder`,
    );
    expect(badType.message).toContain('unknown source type');

    const dup = await configError(`version: 1\n${validSources}  - id: docs\n    type: folder\n    path: ./other\n`);
    expect(dup.message).toContain(`${dup.file}:6:9: sources[1].id: duplicate source id "docs"`);
  });

  it('requires the version and says how to add it', async () => {
    const { message } = await configError(validSources);
    expect(message).toContain('version');
    expect(message).toContain('add "version: 1" at the top');
  });

  it('rejects schedules naming sources that do not exist', async () => {
    const { message, file } = await configError(
      `version: 1\n${validSources}schedules:\n  - { id: n, cron: "@daily", sources: [docs, jira] }\n`,
    );
    expect(message).toContain(`${file}:7:`);
    expect(message).toContain('schedules[0].sources[1]: unknown source "jira"');
  });

  it('accepts an S3 store, and --store s3://bucket/prefix keeps its endpoint and credentials', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'e.yaml': `version: 1\nstore:\n  s3:\n    bucket: acme-evidence\n    endpoint: http://127.0.0.1:9000\n    forcePathStyle: true\n    credentials: { accessKeyId: { env: AK }, secretAccessKey: { file: sk.txt } }\n    objectLock: { days: 1095 }\n${validSources}`,
    });
    const cfg = await loadConfig(path.join(dir, 'e.yaml'));
    expect(cfg.store).toMatchObject({
      s3: {
        bucket: 'acme-evidence',
        prefix: '',
        region: 'us-east-1',
        forcePathStyle: true,
        objectLock: { mode: 'COMPLIANCE', days: 1095 },
      },
    });
    const over = await loadConfig(path.join(dir, 'e.yaml'), { store: 's3://other-bucket/audit/2026' });
    expect(over.store).toMatchObject({
      s3: { bucket: 'other-bucket', prefix: 'audit/2026', endpoint: 'http://127.0.0.1:9000' },
    });
    const local = await loadConfig(path.join(dir, 'e.yaml'), { store: 'some/folder' });
    expect(local.store).toEqual({ path: path.resolve('some/folder') });
    const bad = await configError(`version: 1\nstore: { s3: { bucket: Bad_Bucket } }\n${validSources}`);
    expect(bad.message).toContain(':2:24: store.s3.bucket: not a valid S3 bucket name');
  });

  it('lets TEMPORAL_ADDRESS override the configured address', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'e.yaml': `version: 1\ntemporal: { address: "localhost:7233" }\n${validSources}` });
    process.env['TEMPORAL_ADDRESS'] = 'temporal.prod.internal:7233';
    try {
      expect((await loadConfig(path.join(dir, 'e.yaml'))).temporal.address).toBe('temporal.prod.internal:7233');
    } finally {
      delete process.env['TEMPORAL_ADDRESS'];
    }
  });

  it('refuses a YAML alias bomb instead of expanding it', async () => {
    const bomb = [
      'version: 1',
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      validSources,
    ].join('\n');
    const { message } = await configError(bomb);
    expect(message).toMatch(/alias/i);
  });
});

describe('secret references', () => {
  it('reads secrets from the environment or a file, and fails as a credentials error when absent', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'token.txt': 's3cr3t\n' });
    process.env['EH_TEST_TOKEN'] = 'from-env';
    try {
      expect(await resolveSecret({ env: 'EH_TEST_TOKEN' }, dir, 'x')).toBe('from-env');
    } finally {
      delete process.env['EH_TEST_TOKEN'];
    }
    expect(await resolveSecret({ file: 'token.txt' }, dir, 'x')).toBe('s3cr3t');
    await expect(resolveSecret({ env: 'EH_TEST_MISSING' }, dir, 'sources[0].token')).rejects.toThrow(CredentialsError);
    await expect(resolveSecret({ env: 'EH_TEST_MISSING' }, dir, 'sources[0].token')).rejects.toThrow(
      /sources\[0\]\.token: environment variable EH_TEST_MISSING is not set/,
    );
  });
});
