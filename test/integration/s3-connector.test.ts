import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { SourceConfigError, CredentialsError } from '../../core/errors';
import { connectorFor } from '../../connectors/registry';
import { s3SourceSchema } from '../../connectors/s3/config';
import { siemSourceSchema } from '../../connectors/siem/config';
import { createS3Connector } from '../../connectors/s3/s3-connector';
import type { CollectionStep } from '../../connectors/types';
import type { JsonValue } from '../../core/json';
import { FilesystemStore } from '../../evidence/fs-store';
import { createLogger } from '../../worker/logger';
import type { MinioServer } from '../support/minio';
import { useMinio } from '../support/minio-suite';
import { tempDir } from '../support/tmp';

const log = createLogger({ level: 'silent' });
const server = useMinio();
let minio: MinioServer;
beforeAll(() => {
  minio = server();
});

async function bucketWith(objects: Record<string, string>, options: { versioned?: boolean } = {}): Promise<string> {
  const bucket = `src-${randomBytes(4).toString('hex')}`;
  await minio.createBucket(bucket);
  if (options.versioned)
    await minio.client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  for (const [key, body] of Object.entries(objects)) {
    await minio.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        Metadata: { owner: 'compliance', 'policy-version': '3' },
      }),
    );
  }
  return bucket;
}

function source(bucket: string, extra: Record<string, unknown> = {}, secret = minio.secretAccessKey) {
  process.env['EH_TEST_S3_AK'] = minio.accessKeyId;
  process.env['EH_TEST_S3_SK'] = secret;
  return s3SourceSchema.parse({
    id: 'policies-bucket',
    type: 's3',
    endpoint: minio.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: { env: 'EH_TEST_S3_AK' }, secretAccessKey: { env: 'EH_TEST_S3_SK' } },
    scopes: [{ bucket, prefix: 'policies/', kind: 'policy-document', content: ['**/*.md'] }],
    ...extra,
  });
}

async function collect(cfg: ReturnType<typeof source>, previousState?: JsonValue) {
  const connector = await createS3Connector(cfg, async (ref) => process.env[(ref as { env: string }).env]!);
  const steps: CollectionStep[] = [];
  for await (const s of connector.collect({ log, ...(previousState !== undefined ? { previousState } : {}) }))
    steps.push(s);
  return { steps, state: connector.state(), stats: connector.stats() };
}

async function text(step: CollectionStep): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of step.artifact.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('S3 connector on real MinIO', () => {
  it('records each object with key, version, ETag, size, last-modified and user metadata; content for configured globs', async () => {
    const bucket = await bucketWith({
      'policies/ai-policy.md': '# AI policy v3',
      'policies/scan.pdf': '%PDF-fake',
      'other/x.md': 'outside the prefix',
    });
    const { steps } = await collect(source(bucket));
    expect(steps.map((s) => s.artifact.meta.externalId)).toEqual([
      `${bucket}/policies/ai-policy.md`,
      `${bucket}/policies/scan.pdf`,
    ]);
    const md = steps[0]!.artifact.meta;
    expect(md).toMatchObject({
      kind: 'policy-document',
      mediaType: expect.stringMatching(/^(text\/markdown|application\/octet-stream|binary\/octet-stream)/),
    });
    expect(md.attributes).toMatchObject({
      bucket,
      key: 'policies/ai-policy.md',
      path: 'ai-policy.md',
      size: 14,
      content: 'collected',
      metadata: { owner: 'compliance', 'policy-version': '3' },
    });
    expect(md.provenance).toMatchObject({
      endpoint: `s3://${bucket}/policies/ai-policy.md`,
      etag: expect.stringMatching(/^"[0-9a-f]+"$/),
      collector: 's3@1.0.0',
    });
    expect(Date.parse(md.observedAt)).toBeGreaterThan(Date.now() - 120_000);
    expect(await text(steps[0]!)).toBe('# AI policy v3');
    // Not in the content globs: recorded by its metadata only.
    expect(steps[1]!.artifact.meta.mediaType).toBe('application/json');
    expect(JSON.parse(await text(steps[1]!))).toMatchObject({ key: 'policies/scan.pdf', content: 'metadata only' });
  });

  it('an incremental run after changing one object collects exactly that one', async () => {
    const bucket = await bucketWith({ 'policies/a.md': 'A', 'policies/b.md': 'B', 'policies/c.md': 'C' });
    const first = await collect(source(bucket));
    expect(first.steps).toHaveLength(3);
    await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'policies/b.md', Body: 'B, revised' }));
    const second = await collect(source(bucket), first.state);
    expect(second.steps.map((s) => s.artifact.meta.attributes['key'])).toEqual(['policies/b.md']);
    expect(await text(second.steps[0]!)).toBe('B, revised');
    expect(second.stats).toMatchObject({ unchanged: 2 });
    expect((await collect(source(bucket), second.state)).steps).toEqual([]);
  });

  it('records the version history of a versioned bucket', async () => {
    const bucket = await bucketWith({ 'policies/ai-policy.md': 'v1' }, { versioned: true });
    await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'policies/ai-policy.md', Body: 'v2' }));
    const cfg = source(bucket, {
      scopes: [{ bucket, prefix: 'policies/', kind: 'policy-document', content: ['*.md'], versions: true }],
    });
    const { steps } = await collect(cfg);
    expect(steps).toHaveLength(2);
    const contents = await Promise.all(steps.map(text));
    expect(contents.sort()).toEqual(['v1', 'v2']);
    expect(steps.filter((s) => s.artifact.meta.attributes['isLatest'] === true)).toHaveLength(1);
    expect(steps.every((s) => typeof s.artifact.meta.attributes['versionId'] === 'string')).toBe(true);
  });

  it('hostile object keys are stored safely and never become file paths', async () => {
    const hostile = [
      'policies/../../../etc/passwd-like',
      'policies//double//slash',
      'policies/ctrl-\u0007-bell',
      `policies/${'long-'.repeat(150)}end`,
      'policies/ünïcödé ✓ key',
      'policies/%2e%2e%2f%2e%2e%2fescape',
      'policies/back\\slash\\..\\win',
      'policies/<script>alert(1)</script>.md',
      'policies/quote"and\'apostrophe',
      'policies/.hidden/..dots',
    ];
    const accepted: string[] = [];
    const bucket = await bucketWith({});
    for (const key of hostile) {
      try {
        await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `content of ${key.length}` }));
        accepted.push(key);
      } catch {
        // MinIO refuses some names outright; those cannot reach us either
      }
    }
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    const { steps } = await collect(source(bucket, { scopes: [{ bucket, prefix: 'policies/', content: ['**'] }] }));
    expect(steps.map((s) => s.artifact.meta.attributes['key']).sort()).toEqual([...accepted].sort());
    const storeDir = await tempDir();
    const store = await FilesystemStore.open(storeDir);
    for (const s of steps) await store.putBlob(s.artifact.open());
    // Only content-addressed names exist in the store: no key became a path.
    const names: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        names.push(e.name);
        if (e.isDirectory()) await walk(path.join(d, e.name));
      }
    };
    await walk(storeDir);
    for (const n of names)
      expect(n).toMatch(
        /^([0-9a-f]{2}|[0-9a-f]{64}|blobs|sha256|manifests|signatures|keys|bundles|staging|state|tmp|store\.json)$/,
      );
  });

  it('a missing bucket names the config entry; bad credentials are a credentials error', async () => {
    const missing = await collect(source('no-such-bucket-here')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SourceConfigError);
    expect((missing as Error).message).toContain('bucket "no-such-bucket-here"');
    const bucket = await bucketWith({ 'policies/a.md': 'A' });
    const denied = await collect(source(bucket, {}, 'wrong-secret')).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(CredentialsError);
    expect((denied as Error).message).toMatch(/rejected the credentials|access denied/);
  });
});

describe('SIEM exports from an S3 prefix', () => {
  it('the siem connector reads export files under a prefix through the S3 location, gzip included', async () => {
    const now = Date.now();
    const lines = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({ ts: new Date(now - (from - i) * 3_600_000).toISOString(), app: 'recommender' }),
      ).join('\n');
    const bucket = await bucketWith({ 'exports/2026/a.jsonl': lines(100, 50), 'exports/other.txt': 'not an export' });
    await minio.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'exports/2026/b.jsonl.gz', Body: gzipSync(lines(50, 50)) }),
    );
    process.env['EH_TEST_S3_AK'] = minio.accessKeyId;
    process.env['EH_TEST_S3_SK'] = minio.secretAccessKey;
    const source = siemSourceSchema.parse({
      id: 'logs',
      type: 'siem',
      include: ['**/*.jsonl', '**/*.jsonl.gz'],
      format: 'json',
      fields: { json: { time: 'ts', system: 'app' } },
      s3: {
        bucket,
        prefix: 'exports/',
        endpoint: minio.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: { env: 'EH_TEST_S3_AK' }, secretAccessKey: { env: 'EH_TEST_S3_SK' } },
      },
    });
    const connector = await connectorFor(source as never, { baseDir: '/' });
    const steps: CollectionStep[] = [];
    for await (const s of connector.collect({ log })) steps.push(s);
    const byId = Object.fromEntries(steps.map((s) => [s.artifact.meta.externalId, s.artifact.meta]));
    expect(Object.keys(byId)).toEqual(
      expect.arrayContaining([
        'export:2026/a.jsonl',
        'export:2026/b.jsonl.gz',
        'summary:event-counts',
        'summary:log-continuity',
      ]),
    );
    expect(byId['export:2026/b.jsonl.gz']!.provenance.endpoint).toBe(`s3://${bucket}/exports/2026/b.jsonl.gz`);
    expect(byId['summary:event-counts']!.attributes['totalEvents']).toBe(100);
    expect(connector.problems?.() ?? []).toEqual([]);
  });
});
