import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gcsConnector } from '../../connectors/gcs';
import { gcsSourceSchema } from '../../connectors/gcs/config';
import type { GcsConnector } from '../../connectors/gcs/gcs-connector';
import type { CollectionStep } from '../../connectors/types';
import { CredentialsError, SourceConfigError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { createLogger } from '../../worker/logger';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { useFakeGcs, type FakeGcsServer } from '../support/fake-gcs';

const log = createLogger({ level: 'silent' });
const server = useFakeGcs();
let gcs: FakeGcsServer;
const proxies: FaultProxy[] = [];
beforeAll(() => {
  gcs = server();
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function bucketWith(objects: Record<string, string | Buffer>, options: { versioning?: boolean } = {}) {
  const name = `src-${randomBytes(4).toString('hex')}`;
  await gcs.storage.createBucket(name, { ...(options.versioning ? { versioning: { enabled: true } } : {}) });
  for (const [key, body] of Object.entries(objects))
    await gcs.storage
      .bucket(name)
      .file(key)
      .save(body, { resumable: false, metadata: { metadata: { owner: 'compliance', policyversion: '3' } } });
  return name;
}

function source(bucket: string, extra: Record<string, unknown> = {}, apiEndpoint = gcs.endpoint) {
  return gcsSourceSchema.parse({
    id: 'policies-gcs',
    type: 'gcs',
    apiEndpoint,
    projectId: 'evidence-hub-test',
    scopes: [{ bucket, prefix: 'policies/', kind: 'policy-document', content: ['**/*.md'] }],
    ...extra,
  });
}

const resolveSecret = async (ref: unknown) => process.env[(ref as { env: string }).env]!;

async function collect(cfg: ReturnType<typeof source>, previousState?: JsonValue) {
  const connector = (await gcsConnector.create(cfg, { resolveSecret })) as GcsConnector;
  const steps: CollectionStep[] = [];
  for await (const s of connector.collect({ log, ...(previousState !== undefined ? { previousState } : {}) }))
    steps.push(s);
  return { steps, state: connector.state(), stats: connector.stats(), connector };
}

async function bytes(step: CollectionStep): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of step.artifact.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function proxy(): Promise<FaultProxy> {
  const p = await startFaultProxy(gcs.endpoint);
  proxies.push(p);
  return p;
}

const listing = (method: string, url: string) => method === 'GET' && /\/storage\/v1\/b\/[^/]+\/o(\?|$)/.test(url);

describe('gcs connector on real fake-gcs-server', () => {
  it('records the bucket and each object with generation and metadata; content for configured globs', async () => {
    const bucket = await bucketWith({
      'policies/ai-policy.md': '# AI policy v3',
      'policies/scan.pdf': '%PDF-fake',
      'other/x.md': 'outside the prefix',
    });
    const { steps } = await collect(source(bucket));
    expect(steps.map((s) => s.artifact.meta.externalId)).toEqual([
      `bucket:${bucket}`,
      `${bucket}/policies/ai-policy.md`,
      `${bucket}/policies/scan.pdf`,
    ]);
    const [record, md, pdf] = steps.map((s) => s.artifact.meta);
    expect(record).toMatchObject({ kind: 'bucket', mediaType: 'application/json' });
    expect(record!.attributes).toMatchObject({ bucket, versioning: false, defaultEventBasedHold: false });
    expect(md!.attributes).toMatchObject({
      bucket,
      name: 'policies/ai-policy.md',
      path: 'ai-policy.md',
      size: 14,
      content: 'collected',
      isLatest: true,
      metadata: { owner: 'compliance', policyversion: '3' },
      generation: expect.stringMatching(/^\d+$/),
    });
    expect(md!.provenance).toMatchObject({ collector: 'gcs@1.0.0' });
    expect(md!.provenance.endpoint).toMatch(new RegExp(`^gs://${bucket}/policies/ai-policy.md#\\d+$`));
    expect((await bytes(steps[1]!)).toString()).toBe('# AI policy v3');
    expect(pdf!.mediaType).toBe('application/json');
    expect(JSON.parse((await bytes(steps[2]!)).toString())).toMatchObject({ content: 'metadata only' });
  });

  it('records every generation of a versioned bucket', async () => {
    const bucket = await bucketWith({ 'policies/ai-policy.md': 'v1' }, { versioning: true });
    await gcs.storage.bucket(bucket).file('policies/ai-policy.md').save('v2', { resumable: false });
    const cfg = source(bucket, {
      scopes: [{ bucket, prefix: 'policies/', kind: 'policy-document', content: ['*.md'], versions: true }],
    });
    const { steps } = await collect(cfg);
    const objects = steps.filter((s) => s.artifact.meta.kind !== 'bucket');
    expect(objects).toHaveLength(2);
    expect((await Promise.all(objects.map(bytes))).map(String).sort()).toEqual(['v1', 'v2']);
    expect(objects.filter((s) => s.artifact.meta.attributes['isLatest'] === true)).toHaveLength(1);
    expect(steps[0]!.artifact.meta.attributes['versioning']).toBe(true);
  });

  it('an unchanged second run makes at most 5% of the first run requests and yields nothing; a change is collected', async () => {
    const objects = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`policies/p-${i}.md`, `policy ${i}`]));
    const bucket = await bucketWith(objects);
    const p = await proxy();
    const cfg = source(bucket, {}, p.url);
    const first = await collect(cfg);
    for (const s of first.steps) await bytes(s);
    const firstRequests = p.requests.length;
    expect(first.steps).toHaveLength(46);
    p.requests.length = 0;
    const second = await collect(cfg, first.state);
    expect(second.steps).toEqual([]);
    expect(p.requests.length).toBeLessThanOrEqual(firstRequests * 0.05);
    await gcs.storage.bucket(bucket).file('policies/p-7.md').save('revised', { resumable: false });
    const third = await collect(cfg, second.state);
    expect(third.steps.map((s) => s.artifact.meta.attributes['name'])).toEqual(['policies/p-7.md']);
    expect((await bytes(third.steps[0]!)).toString()).toBe('revised');
  });

  it('throttling (503, then 429 with Retry-After) is retried and Retry-After is honoured', async () => {
    const bucket = await bucketWith({ 'policies/a.md': 'A' });
    const p = await proxy();
    p.fault({ times: 1, status: 503, match: listing, body: '{"error":{"code":503,"message":"backend error"}}' });
    p.fault({
      times: 1,
      status: 429,
      headers: { 'retry-after': '1' },
      match: listing,
      body: '{"error":{"code":429,"message":"rate limit exceeded"}}',
    });
    const { steps, stats } = await collect(source(bucket, {}, p.url));
    expect(steps.map((s) => s.artifact.meta.externalId)).toEqual([`bucket:${bucket}`, `${bucket}/policies/a.md`]);
    expect(stats['retries']).toBe(2);
    const lists = p.requests.filter((r) => listing(r.method, r.path));
    expect(lists.map((r) => r.status)).toEqual([503, 429, 200]);
    expect(lists[2]!.at - lists[1]!.at).toBeGreaterThanOrEqual(950);
  });

  it('a 403 fails fast as a credentials error naming the IAM permission; a missing bucket names the entry', async () => {
    const bucket = await bucketWith({ 'policies/a.md': 'A' });
    const p = await proxy();
    // fake-gcs-server has no IAM: the denial GCS gives is injected in front of it.
    p.fault({
      times: 5,
      status: 403,
      match: listing,
      body: JSON.stringify({
        error: {
          code: 403,
          message:
            'reader@x.iam.gserviceaccount.com does not have storage.objects.list access to the Google Cloud Storage bucket.',
          errors: [{ reason: 'forbidden' }],
        },
      }),
    });
    const denied = await collect(source(bucket, {}, p.url)).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(CredentialsError);
    expect((denied as Error).message).toContain(`source "policies-gcs", bucket "${bucket}"`);
    expect((denied as Error).message).toContain('storage.objects.list');
    expect(p.requests.filter((r) => r.status === 403)).toHaveLength(1); // not retried

    const missing = await collect(source('no-such-bucket')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SourceConfigError);
    expect((missing as Error).message).toContain('bucket "no-such-bucket"');
  });

  it('hostile object names are recorded verbatim', async () => {
    const hostile = [
      'policies/../../../etc/passwd-like',
      'policies/ctrl-\u0007-bell',
      `policies/${'long-'.repeat(150)}end`,
      'policies/ünïcödé ✓ name',
      'policies/%2e%2e%2f%2e%2e%2fescape',
      'policies/back\\slash\\..\\win',
      'policies/<script>alert(1)</script>.md',
      'policies/.hidden/..dots',
    ];
    const bucket = await bucketWith({});
    const accepted: string[] = [];
    for (const name of hostile) {
      try {
        await gcs.storage.bucket(bucket).file(name).save(`content of ${name.length}`, { resumable: false });
        accepted.push(name);
      } catch {
        // refused by the emulator: cannot reach us either
      }
    }
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    const { steps } = await collect(source(bucket, { scopes: [{ bucket, prefix: 'policies/', content: ['**'] }] }));
    const names = steps.filter((s) => s.artifact.meta.kind !== 'bucket').map((s) => s.artifact.meta.attributes['name']);
    expect([...names].sort()).toEqual([...accepted].sort());
    for (const s of steps.slice(1)) {
      const name = String(s.artifact.meta.attributes['name']);
      const text = (await bytes(s)).toString();
      // Globs never match `..` segments (picomatch): such a name is kept as its metadata record, verbatim.
      if (s.artifact.meta.attributes['content'] === 'collected') expect(text).toBe(`content of ${name.length}`);
      else expect(JSON.parse(text)).toMatchObject({ name });
    }
  });

  it('a huge object is streamed: reading the first chunks does not pull the whole object into memory', async () => {
    const size = 48 * 1024 * 1024;
    const body = randomBytes(size);
    const bucket = await bucketWith({});
    await gcs.storage.bucket(bucket).file('policies/huge.md').save(body, { resumable: false });
    const connector = (await gcsConnector.create(source(bucket), { resolveSecret })) as GcsConnector;
    const steps: CollectionStep[] = [];
    for await (const s of connector.collect({ log })) steps.push(s);
    const hash = createHash('sha256');
    let read = 0;
    let fetchedEarly = 0;
    for await (const chunk of steps[1]!.artifact.open()) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      if (fetchedEarly === 0 && read >= 1024 * 1024) {
        await new Promise((r) => setTimeout(r, 200));
        fetchedEarly = connector.stats()['contentBytes']!;
      }
    }
    expect(read).toBe(size);
    expect(fetchedEarly).toBeLessThan(size / 4);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });
});
