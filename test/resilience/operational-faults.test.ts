import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { waitForSweep } from '../../cli/sweep-progress';
import { loadCatalog } from '../../mappings/catalog';
import { readManifest } from '../../evidence/index';
import { verifyStore } from '../../evidence/verify';
import { loadHub } from '../../worker/hub';
import { preflight, WorkerNotReadyError } from '../../worker/preflight';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker, ensureMonitor } from '../../worker/worker';
import { monitorStatusQuery, type MonitorStatus } from '../../workflows/monitor';
import { FakeSlack } from '../fakes/slack-server';
import { hubIn, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { waitFor } from '../support/processes';
import { activityOutcomes, startRestartableMinio, type RestartableMinio } from '../support/resilience';
import { suiteDir, tempDir } from '../support/tmp';

/**
 * Issue 18 item 9, "faults land where they belong", tried the way a platform engineer met them: the S3
 * store going down in the middle of a sweep, and a wrong S3 secret. Real servers throughout: MinIO, the
 * Temporal dev server, the Slack fake on a socket. The store's failures must be the store's: the sweep
 * stops naming the store, no source is recorded as failed, control owners hear nothing (the operations
 * channel does), and after recovery nobody is told again that their controls are missing.
 */

const owners = 'C0OWNERS1';
const ops = 'C0PLATOPS';
let env: TestWorkflowEnvironment;
let minio: RestartableMinio;
let minioDir: string;
let slack: FakeSlack;

beforeAll(async () => {
  minioDir = await suiteDir('eh-opfaults-');
  [env, minio, slack] = await Promise.all([
    startDevServer(),
    startRestartableMinio(minioDir),
    FakeSlack.start({
      token: 'xoxb-faults',
      channels: [
        { id: owners, name: 'compliance' },
        { id: ops, name: 'platform-ops' },
      ],
    }),
  ]);
  process.env['EH_FLT_AK'] = minio.accessKeyId;
  process.env['EH_FLT_SLACK'] = 'xoxb-faults';
});

afterAll(async () => {
  await minio?.start().catch(() => undefined);
  await minio?.stop();
  await slack?.close();
  await env?.teardown();
  await rm(minioDir, { recursive: true, force: true });
});

/** A.6.2.6 fed by the docs folder, A.2.2 by nothing (missing from the start); the rest out of scope. */
async function s3Hub(bucket: string, secretEnv: string) {
  const inScope = new Set(['A.6.2.6', 'A.2.2']);
  const others = loadCatalog().controls.filter((c) => !inScope.has(c.id));
  return hubIn(
    await tempDir(),
    [
      'version: 1',
      `store: { s3: { bucket: ${bucket}, prefix: ev, endpoint: "${minio.endpoint}", forcePathStyle: true, credentials: { accessKeyId: { env: EH_FLT_AK }, secretAccessKey: { env: ${secretEnv} } } } }`,
      'signing: { key: { file: ./k.pem } }',
      `temporal: { taskQueue: flt-${randomBytes(4).toString('hex')}, concurrency: 2, collectRetry: { maximumAttempts: 2, initialInterval: 500ms } }`,
      'mappings: [./m.yaml]',
      'soa: ./soa.yaml',
      'integrity: { enabled: false }',
      'sources:',
      '  - { id: docs, type: folder, path: ./docs }',
      '  - { id: bulk, type: folder, path: ./bulk }',
      'alerts:',
      '  slack:',
      '    token: { env: EH_FLT_SLACK }',
      `    apiUrl: ${slack.url}`,
      `    defaultChannel: ${owners}`,
      `    operations: { channel: ${ops} }`,
      '',
    ].join('\n'),
    {
      'docs/drift.md': '# drift report\n',
      'bulk/.keep': '',
      'm.yaml': [
        'rules:',
        '  - id: drift',
        '    controls: [A.6.2.6]',
        '    select: { source: folder }',
        '    freshness: 365d',
        '  - id: never-collected',
        '    controls: [A.2.2]',
        '    select: { source: folder, where: { path: { glob: "never/**" } } }',
        '    freshness: 365d',
        '',
      ].join('\n'),
      'soa.yaml': `notApplicable:\n${others.map((c) => `  - { control: ${c.id}, justification: "out of scope for the fault test" }`).join('\n')}\n`,
    },
  );
}

async function blobCount(bucket: string): Promise<number> {
  let n = 0;
  let token: string | undefined;
  do {
    const res = await minio.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'ev/blobs/', ContinuationToken: token }),
    );
    n += res.KeyCount ?? 0;
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return n;
}

const since = (n: number, channel: string) => slack.messages.slice(n).filter((m) => m.channel === channel);
const textOf = (m: { text?: string; blocks?: unknown[] }) => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;

describe('the S3 store goes down in the middle of a sweep', () => {
  it('the sweep stops naming the store, no source is blamed, owners hear nothing, ops do; no re-announcement after recovery', async () => {
    const bucket = `flt-${randomBytes(4).toString('hex')}`;
    await minio.createBucket(bucket);
    process.env['EH_FLT_SK'] = minio.secretAccessKey;
    const { hub, dir } = await s3Hub(bucket, 'EH_FLT_SK');
    const key = await signingKey(hub);
    const worker = await createHubWorker(hub, key, quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const start = slack.messages.length;
    await worker.runUntil(async () => {
      const monitor = env.client.workflow.getHandle((await ensureMonitor(env.client, hub))!);
      const monitorRuns = async (atLeast: number) =>
        waitFor(
          `monitor run ${atLeast}`,
          async () => {
            const s: MonitorStatus = await monitor.query(monitorStatusQuery);
            return s.runs >= atLeast ? s : undefined;
          },
          60_000,
          100,
        );
      await monitorRuns(1);

      // 1. A healthy sweep; the monitor announces A.2.2 as missing to its owners, once.
      const first = await startSweep(env.client, hub.config, { trigger: 'manual' });
      await first.result();
      expect((await monitorRuns(2)).state).toBe('ok');
      const announced = since(start, owners);
      expect(announced.length).toBeGreaterThan(0);
      expect(announced.some((m) => textOf(m).includes('A.2.2'))).toBe(true);

      // 2. More evidence; MinIO stops once its blobs are going in, and stays down.
      for (let i = 0; i < 400; i++)
        await writeFile(path.join(dir, 'bulk', `export-${String(i).padStart(3, '0')}.csv`), randomBytes(2048));
      const blobsBefore = await blobCount(bucket);
      const beforeOutage = slack.messages.length;
      const second = await startSweep(env.client, hub.config, { trigger: 'manual' });
      await waitFor(
        'blobs of the second sweep going in',
        async () => ((await blobCount(bucket)) >= blobsBefore + 20 ? true : undefined),
        120_000,
        20,
      );
      await minio.stop();
      const error = await waitForSweep(second, () => undefined, 200, env.client).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      // The CLI's `sweep --wait` says what failed: the store, with the cause raised in the activity.
      expect(error?.message).toMatch(/StoreUnavailableError: sweep stopped, the evidence store failed/);
      expect(error?.message).toContain(`s3://${bucket}`);
      const failure = await second.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      // Nothing recorded the store's failure as a source's: no seal was even attempted.
      const outcomes = await activityOutcomes(second);
      expect(outcomes.filter((o) => o.type === 'sealBundle')).toEqual([]);
      expect(
        outcomes.filter((o) => o.type === 'collectSource' && o.outcome === 'failed').map((o) => o.failureType),
      ).not.toContain('SourceUnavailableError');
      // Ops heard of it, naming the store; the owners heard nothing.
      const opsPosts = await waitFor(
        'the operations notice',
        async () => (since(beforeOutage, ops).length > 0 ? since(beforeOutage, ops) : undefined),
        30_000,
        100,
      );
      expect(opsPosts).toHaveLength(1);
      expect(textOf(opsPosts[0]!)).toContain(`s3://${bucket}`);
      expect(since(beforeOutage, owners)).toEqual([]);

      // 3. The store is back: the next sweep seals, the monitor runs, and nobody is re-told about A.2.2.
      await minio.start();
      const runsBefore = ((await monitor.query(monitorStatusQuery)) as MonitorStatus).runs;
      const third = await startSweep(env.client, hub.config, { trigger: 'manual' });
      const result = await third.result();
      expect(result.sources.map((s) => [s.source, s.status])).toEqual([
        ['docs', 'ok'],
        ['bulk', 'ok'],
      ]);
      expect((await monitorRuns(runsBefore + 1)).state).toBe('ok');
      expect(since(beforeOutage, owners)).toEqual([]);
      await monitor.terminate('test done');
    });

    // One chain, sealed by the healthy sweeps only, every source ok in each, and it verifies.
    expect(await hub.store.sequences()).toEqual([1, 2]);
    for (const seq of [1, 2])
      expect((await readManifest(hub.store, seq))!.sources.every((s) => s.status === 'ok')).toBe(true);
    expect((await verifyStore(hub.store)).problems).toEqual([]);
  });
});

describe('a wrong S3 secret', () => {
  it('fails at once, never retried: the worker is not ready, and a sweep returns with the cause', async () => {
    const bucket = `flt-${randomBytes(4).toString('hex')}`;
    await minio.createBucket(bucket);
    process.env['EH_FLT_SK'] = minio.secretAccessKey;
    process.env['EH_FLT_BAD_SK'] = 'not-the-secret-at-all';
    const good = await s3Hub(bucket, 'EH_FLT_SK');
    await signingKey(good.hub); // `keys init` with the right secret
    const badFile = path.join(good.dir, 'bad.yaml');
    await writeFile(badFile, (await readFile(good.configFile, 'utf8')).replace('EH_FLT_SK', 'EH_FLT_BAD_SK'));
    const bad = await loadHub(badFile);

    // The worker's start check names the store and the refusal, once, without retrying.
    const notReady = await preflight(bad, quietLog).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(notReady).toBeInstanceOf(WorkerNotReadyError);
    expect(notReady!.message).toContain(`store s3://${bucket}/ev/`);
    expect(notReady!.message).toMatch(/refused access: (SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied)/);
    expect(notReady!.message).not.toContain('not-the-secret-at-all');

    // A worker that got the wrong secret anyway (it was changed under it): the sweep fails at once.
    const key = await signingKey(good.hub);
    const worker = await createHubWorker(bad, key, quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const beforeOps = slack.messages.length;
    await worker.runUntil(async () => {
      const handle = await startSweep(env.client, bad.config, { trigger: 'manual' });
      const error = await waitForSweep(handle, () => undefined, 200, env.client).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/StoreAccessError: sweep stopped, the evidence store failed: .*refused access/);
      const collects = (await activityOutcomes(handle)).filter((o) => o.type === 'collectSource');
      expect(collects.length).toBeGreaterThan(0);
      for (const c of collects.filter((o) => o.outcome === 'failed'))
        expect(c).toMatchObject({ attempt: 1, failureType: 'StoreAccessError' });
    });
    await waitFor(
      'the operations notice',
      async () => (since(beforeOps, ops).length > 0 ? true : undefined),
      30_000,
      100,
    );
    expect(since(beforeOps, owners)).toEqual([]);
  });
});
