import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { AccountSASPermissions, AccountSASResourceTypes } from '@azure/storage-blob';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { azureBlobConnector } from '../../connectors/azure-blob';
import { AzureBlobConnector } from '../../connectors/azure-blob/azure-blob-connector';
import { azureBlobSourceSchema } from '../../connectors/azure-blob/config';
import type { CollectionStep } from '../../connectors/types';
import { CredentialsError, SourceConfigError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { FilesystemStore } from '../../evidence/fs-store';
import { createLogger } from '../../worker/logger';
import { useAzurite, type AzuriteServer } from '../support/azurite';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { tempDir } from '../support/tmp';

const log = createLogger({ level: 'silent' });
const server = useAzurite();
let azurite: AzuriteServer;
const proxies: FaultProxy[] = [];
beforeAll(() => {
  azurite = server();
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function containerWith(blobs: Record<string, string | Buffer>): Promise<string> {
  const name = `src-${randomBytes(4).toString('hex')}`;
  const container = azurite.service.getContainerClient(name);
  await container.create({ metadata: { owner: 'compliance' } });
  for (const [key, body] of Object.entries(blobs)) {
    await container
      .getBlockBlobClient(key)
      .upload(body, Buffer.byteLength(body), { metadata: { owner: 'compliance', policyversion: '3' } });
  }
  return name;
}

type Auth = Record<string, unknown>;
function sharedKey(key = azurite.accountKey, variable = 'EH_TEST_AZ_KEY'): Auth {
  process.env[variable] = key;
  return { method: 'shared-key', accountName: azurite.accountName, accountKey: { env: variable } };
}

function source(container: string, extra: Record<string, unknown> = {}, accountUrl = azurite.accountUrl) {
  return azureBlobSourceSchema.parse({
    id: 'policies-blob',
    type: 'azure-blob',
    accountUrl,
    auth: sharedKey(),
    scopes: [{ container, prefix: 'policies/', kind: 'policy-document', content: ['**/*.md'] }],
    ...extra,
  });
}

const resolveSecret = async (ref: unknown) => process.env[(ref as { env: string }).env]!;

async function collect(cfg: ReturnType<typeof source>, previousState?: JsonValue) {
  const connector = (await azureBlobConnector.create(cfg, { resolveSecret })) as AzureBlobConnector;
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
  const p = await startFaultProxy(new URL(azurite.accountUrl).origin);
  proxies.push(p);
  return p;
}

describe('azure-blob connector on real Azurite', () => {
  it('records the container and each blob with metadata, tags and snapshots; content for configured globs', async () => {
    const container = await containerWith({
      'policies/ai-policy.md': '# AI policy v3',
      'policies/scan.pdf': '%PDF-fake',
      'other/x.md': 'outside the prefix',
    });
    const blob = azurite.service.getContainerClient(container).getBlobClient('policies/ai-policy.md');
    await blob.setTags({ classification: 'internal', owner: 'ciso' });
    const snap = await blob.createSnapshot();
    const { steps } = await collect(
      source(container, {
        scopes: [{ container, prefix: 'policies/', kind: 'policy-document', content: ['**/*.md'], snapshots: true }],
      }),
    );
    expect(steps.map((s) => s.artifact.meta.externalId)).toEqual([
      `container:${container}`,
      `${container}/policies/ai-policy.md`,
      `${container}/policies/ai-policy.md@snapshot:${snap.snapshot}`,
      `${container}/policies/scan.pdf`,
    ]);
    const [record, md, snapshot, pdf] = steps.map((s) => s.artifact.meta);
    expect(record).toMatchObject({ kind: 'container', mediaType: 'application/json' });
    expect(record!.attributes).toMatchObject({
      container,
      metadata: { owner: 'compliance' },
      hasImmutabilityPolicy: false,
      hasLegalHold: false,
      versionLevelWorm: false,
    });
    expect(md).toMatchObject({ kind: 'policy-document' });
    expect(md!.attributes).toMatchObject({
      container,
      name: 'policies/ai-policy.md',
      path: 'ai-policy.md',
      size: 14,
      content: 'collected',
      isLatest: true,
      metadata: { owner: 'compliance', policyversion: '3' },
      tags: { classification: 'internal', owner: 'ciso' },
    });
    expect(md!.provenance).toMatchObject({ etag: expect.any(String), collector: 'azure-blob@1.0.0' });
    expect(md!.provenance.endpoint).toContain(`/${container}/policies/ai-policy.md`);
    expect((await bytes(steps[1]!)).toString()).toBe('# AI policy v3');
    expect(snapshot!.attributes).toMatchObject({ snapshot: snap.snapshot, isLatest: false });
    expect((await bytes(steps[2]!)).toString()).toBe('# AI policy v3');
    expect(pdf!.mediaType).toBe('application/json');
    expect(JSON.parse((await bytes(steps[3]!)).toString())).toMatchObject({ content: 'metadata only' });
  });

  it('an unchanged second run makes at most 5% of the first run requests and yields nothing; a change is collected', async () => {
    const blobs = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`policies/p-${i}.md`, `policy ${i}`]));
    const container = await containerWith(blobs);
    const p = await proxy();
    const cfg = source(container, {}, `${p.url}/${azurite.accountName}`);
    const first = await collect(cfg);
    for (const s of first.steps) await bytes(s);
    const firstRequests = p.requests.length;
    expect(first.steps).toHaveLength(46);
    p.requests.length = 0;
    const second = await collect(cfg, first.state);
    expect(second.steps).toEqual([]);
    expect(p.requests.length).toBeLessThanOrEqual(firstRequests * 0.05);
    await azurite.service.getContainerClient(container).getBlockBlobClient('policies/p-7.md').upload('revised', 7);
    const third = await collect(cfg, second.state);
    expect(third.steps.map((s) => s.artifact.meta.attributes['name'])).toEqual(['policies/p-7.md']);
    expect((await bytes(third.steps[0]!)).toString()).toBe('revised');
  });

  it('throttling (503, then 429 with Retry-After) is retried and Retry-After is honoured', async () => {
    const container = await containerWith({ 'policies/a.md': 'A' });
    const p = await proxy();
    const listing = (_m: string, url: string) => url.includes('comp=list');
    p.fault({ times: 1, status: 503, match: listing, body: '' });
    p.fault({ times: 1, status: 429, headers: { 'retry-after': '1' }, match: listing, body: '' });
    const { steps, stats } = await collect(source(container, {}, `${p.url}/${azurite.accountName}`));
    expect(steps.map((s) => s.artifact.meta.externalId)).toEqual([
      `container:${container}`,
      `${container}/policies/a.md`,
    ]);
    expect(stats['retries']).toBe(2);
    const lists = p.requests.filter((r) => r.path.includes('comp=list'));
    expect(lists.map((r) => r.status)).toEqual([503, 429, 200]);
    expect(lists[2]!.at - lists[1]!.at).toBeGreaterThanOrEqual(950);
  });

  it('a wrong key and a SAS without list permission fail fast as credentials errors naming the permission', async () => {
    const container = await containerWith({ 'policies/a.md': 'A' });
    const p = await proxy();
    const wrongKey = Buffer.from('not-the-key').toString('base64');
    const denied = await collect(
      source(container, { auth: sharedKey(wrongKey, 'EH_TEST_AZ_WRONG_KEY') }, `${p.url}/${azurite.accountName}`),
    ).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(CredentialsError);
    expect((denied as Error).message).toMatch(
      /source "policies-blob", container "src-[0-9a-f]+".*(rejected the credentials|access denied)/,
    );
    expect(p.requests).toHaveLength(1); // not retried: a credentials error fails fast

    // An account SAS with read but without list (l) and tag (t) permissions.
    const sas = new URL(
      azurite.service.generateAccountSasUrl(
        new Date(Date.now() + 3_600_000),
        AccountSASPermissions.parse('r'),
        AccountSASResourceTypes.parse('sco').toString(),
      ),
    ).search;
    process.env['EH_TEST_AZ_SAS'] = sas;
    const noList = await collect(
      source(container, { auth: { method: 'sas', token: { env: 'EH_TEST_AZ_SAS' } } }),
    ).catch((e: unknown) => e);
    expect(noList).toBeInstanceOf(CredentialsError);
    expect((noList as Error).message).toContain('access denied to List Blobs');
    expect((noList as Error).message).toContain('SAS permissions l and t');
  });

  it('a missing container names the config entry', async () => {
    const missing = await collect(source('no-such-container')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SourceConfigError);
    expect((missing as Error).message).toContain('container "no-such-container"');
  });

  it('hostile blob names are recorded verbatim and never become store paths', async () => {
    const hostile = [
      'policies/../../../etc/passwd-like',
      `policies/${'long-'.repeat(150)}end`,
      'policies/ünïcödé ✓ name',
      'policies/%2e%2e%2f%2e%2e%2fescape',
      'policies/back\\slash\\..\\win',
      'policies/<script>alert(1)</script>.md',
      'policies/quote"and\'apostrophe',
      'policies/.hidden/..dots',
    ];
    const container = await containerWith({});
    const accepted: string[] = [];
    for (const name of hostile) {
      try {
        const body = `content of ${name.length}`;
        await azurite.service.getContainerClient(container).getBlockBlobClient(name).upload(body, body.length);
        accepted.push(name);
      } catch {
        // Azurite refuses some names outright; those cannot reach us either
      }
    }
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    const { steps } = await collect(
      source(container, { scopes: [{ container, prefix: 'policies/', content: ['**'] }] }),
    );
    const names = steps
      .filter((s) => s.artifact.meta.kind !== 'container')
      .map((s) => s.artifact.meta.attributes['name']);
    // What the service stored is what is recorded; the SDK turns `\\` into `/` and resolves `..` in the URL.
    expect(names).toEqual(
      expect.arrayContaining([
        `policies/${'long-'.repeat(150)}end`,
        'policies/ünïcödé ✓ name',
        'policies/%2e%2e%2f%2e%2e%2fescape',
        'policies/<script>alert(1)</script>.md',
        'policies/quote"and\'apostrophe',
        'policies/.hidden/..dots',
      ]),
    );
    expect(names.length).toBeGreaterThanOrEqual(5);
    expect(names).toContain(`policies/${'long-'.repeat(150)}end`);
    expect(names).toContain('policies/ünïcödé ✓ name');
    const storeDir = await tempDir();
    const store = await FilesystemStore.open(storeDir);
    for (const s of steps) await store.putBlob(s.artifact.open());
    const entries: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        entries.push(e.name);
        if (e.isDirectory()) await walk(path.join(d, e.name));
      }
    };
    await walk(storeDir);
    for (const n of entries)
      expect(n).toMatch(
        /^([0-9a-f]{2}|[0-9a-f]{64}|blobs|sha256|manifests|signatures|keys|bundles|staging|state|tmp|store\.json)$/,
      );
  });

  it('a huge blob is streamed: reading the first chunks does not pull the whole blob into memory', async () => {
    const size = 48 * 1024 * 1024;
    const body = randomBytes(size);
    const container = await containerWith({});
    await azurite.service
      .getContainerClient(container)
      .getBlockBlobClient('policies/huge.md')
      .uploadData(body, { blockSize: 8 * 1024 * 1024 });
    const connector = (await azureBlobConnector.create(source(container), { resolveSecret })) as AzureBlobConnector;
    const steps: CollectionStep[] = [];
    for await (const s of connector.collect({ log })) steps.push(s);
    const stream = steps[1]!.artifact.open();
    const hash = createHash('sha256');
    let read = 0;
    let fetchedWhenHalfRead = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      if (fetchedWhenHalfRead === 0 && read >= 1024 * 1024) {
        // Backpressure: the consumer pauses, so the connector must not have fetched far ahead.
        await new Promise((r) => setTimeout(r, 200));
        fetchedWhenHalfRead = connector.stats()['contentBytes']!;
      }
    }
    expect(read).toBe(size);
    expect(fetchedWhenHalfRead).toBeLessThan(size / 4);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });
});
