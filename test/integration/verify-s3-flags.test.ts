import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { initSigningKey } from '../../worker/hub';
import { hubIn } from '../support/hub-fixture';
import { useMinio } from '../support/minio-suite';
import { runCli } from '../support/processes';
import { writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const minio = useMinio();

/*
 * An auditor or an operator verifies an S3-compatible store with no config file at hand: the endpoint,
 * region and addressing come from flags, the credentials from the standard AWS environment variables.
 */
describe('verify s3://… without a config file', () => {
  it('reaches an S3-compatible store with --endpoint, --region and --path-style, credentials from the AWS env', async () => {
    const s3 = minio();
    const bucket = `vfy-${randomBytes(4).toString('hex')}`;
    await s3.createBucket(bucket, { versioned: true });
    process.env['EH_VFY_AK'] = s3.accessKeyId;
    process.env['EH_VFY_SK'] = s3.secretAccessKey;
    const { hub } = await hubIn(
      await tempDir(),
      [
        'version: 1',
        `store: { s3: { bucket: ${bucket}, prefix: audit, endpoint: "${s3.endpoint}", forcePathStyle: true, credentials: { accessKeyId: { env: EH_VFY_AK }, secretAccessKey: { env: EH_VFY_SK } } } }`,
        'signing: { key: { file: ./signing.pem } }',
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        '',
      ].join('\n'),
    );
    const { key } = await initSigningKey(hub.config, hub.store, new Date('2026-01-01T00:00:00Z'));
    await writeBundle(hub.store, key, hub.mappings, 'b-1', { 'policies/ai-policy.md': '# policy\n' });
    await writeBundle(hub.store, key, hub.mappings, 'b-2', { 'policies/ai-policy.md': '# policy v2\n' });
    const fp = formatFingerprint(fingerprintOf(key.publicKeyPem));
    const aws = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };

    const ok = await runCli(
      [
        'verify',
        `s3://${bucket}/audit`,
        '--endpoint',
        s3.endpoint,
        '--region',
        'us-east-1',
        '--path-style',
        '--trust',
        fp,
      ],
      aws,
    );
    expect(ok.stdout).toContain(`OK: s3://${bucket}/audit`);
    expect(ok.stdout).toContain('2 bundle(s)');
    expect(ok.stdout).toContain('(authenticated)');
    expect(ok.code).toBe(0);

    // Wrong credentials in the environment: a failure that says so, not an empty store.
    const denied = await runCli(
      ['verify', `s3://${bucket}/audit`, '--endpoint', s3.endpoint, '--path-style', '--trust', fp],
      { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
    );
    expect(denied.code).toBe(1);
    expect(denied.stdout + denied.stderr).toMatch(/signature|access denied|credentials/i);

    const badEndpoint = await runCli(['verify', `s3://${bucket}/audit`, '--endpoint', 'minio:9000'], aws);
    expect(badEndpoint.code).toBe(2);
    expect(badEndpoint.stderr).toContain('--endpoint minio:9000: not a URL');
  });
});
