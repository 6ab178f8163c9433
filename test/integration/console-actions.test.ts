import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemStore } from '../../evidence/fs-store';
import { readManifest } from '../../evidence/index';
import { pendingOperatorActions } from '../../evidence/operator-actions';
import { verifyStore } from '../../evidence/verify';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import { consoleOn, tokens, type ConsoleFixture } from '../support/console-fixture';
import { quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { runCli } from '../support/processes';
import { suiteDir } from '../support/tmp';

let env: TestWorkflowEnvironment;
let fx: ConsoleFixture;
let worker: Worker;
let running: Promise<void>;
const maxUploadBytes = 4096;

beforeAll(async () => {
  env = await startDevServer();
  fx = await consoleOn(
    await suiteDir(),
    `temporal: { address: "${env.address}", taskQueue: console-actions-${randomBytes(4).toString('hex')} }`,
    { manualSource: true, maxUploadBytes },
  );
  worker = await createHubWorker(fx.hub, await signingKey(fx.hub), quietLog, {
    connection: env.nativeConnection,
    workflowBundle: await workflowBundle(),
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await fx?.close();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
  await env?.teardown();
});

const as = (token: string, extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${token}`, ...extra });

function uploadBody(fields: Record<string, string>, file?: { name: string; content: string | Buffer }): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  if (file) form.set('file', new Blob([file.content]), file.name);
  return form;
}

/** Polls the sweep through the console's API until it is no longer running; returns the last answer. */
async function sweepUntilClosed(id: string): Promise<Record<string, unknown>> {
  for (;;) {
    const res = await fetch(`${fx.base}/api/v1/sweeps/${id}`, { headers: as(tokens.viewer) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    if (body['status'] !== 'running') return body;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('console actions on a real Temporal dev server and worker', () => {
  it('a viewer can do none of them: every action answers 403', async () => {
    const upload = await fetch(`${fx.base}/api/v1/uploads`, {
      method: 'POST',
      headers: as(tokens.viewer),
      body: uploadBody({ topic: 'training' }, { name: 'x.pdf', content: 'x' }),
    });
    expect(upload.status).toBe(403);
    const exported = await fetch(`${fx.base}/api/v1/exports`, {
      method: 'POST',
      headers: as(tokens.viewer, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ from: '2026-01-01', to: '2026-12-31' }),
    });
    expect(exported.status).toBe(403);
    const cancel = await fetch(`${fx.base}/api/v1/sweeps/sweep-x/cancel`, {
      method: 'POST',
      headers: as(tokens.viewer),
    });
    expect(cancel.status).toBe(403);
    expect(await pendingOperatorActions(fx.hub.store)).toEqual([]);
  });

  it('an upload follows the rules of `evidence-hub upload`, and one over the limit gets 413', async () => {
    const wrongTopic = await fetch(`${fx.base}/api/v1/uploads`, {
      method: 'POST',
      headers: as(tokens.operator),
      body: uploadBody({ topic: 'trainin' }, { name: 'x.pdf', content: 'x' }),
    });
    expect(wrongTopic.status).toBe(400);
    expect(((await wrongTopic.json()) as { error: string }).error).toContain('did you mean training?');

    const big = await fetch(`${fx.base}/api/v1/uploads`, {
      method: 'POST',
      headers: as(tokens.operator),
      body: uploadBody({ topic: 'training' }, { name: 'big.pdf', content: Buffer.alloc(maxUploadBytes + 1, 1) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toBe(
      `the upload is larger than the limit of ${maxUploadBytes} bytes`,
    );

    const filed = await fetch(`${fx.base}/api/v1/uploads`, {
      method: 'POST',
      headers: as(tokens.operator),
      body: uploadBody(
        { topic: 'training', date: '2026-01-15', note: 'annual AI training' },
        { name: '../../etc/roster.csv', content: 'name\nalice\n' },
      ),
    });
    expect(filed.status).toBe(201);
    expect(await filed.json()).toMatchObject({
      source: 'records',
      topic: 'training',
      file: '2026-01-15-roster.csv',
      effective: '2026-01-15',
      outcome: 'filed',
    });
    // Filed where upload files it, with who filed it (the signed-in token's name), never outside the source.
    const sidecar = await readFile(path.join(fx.dir, 'records', 'training', '2026-01-15-roster.csv.meta.yaml'), 'utf8');
    expect(sidecar).toMatch(/olivia/);
    // No overwrite: another file under the same name and date is refused.
    const clash = await fetch(`${fx.base}/api/v1/uploads`, {
      method: 'POST',
      headers: as(tokens.operator),
      body: uploadBody({ topic: 'training', date: '2026-01-15' }, { name: 'roster.csv', content: 'name\nbob\n' }),
    });
    expect(clash.status).toBe(400);
    expect(((await clash.json()) as { error: string }).error).toContain('never overwritten');
  });

  it('a scoped sweep started through the API shows progress, lands in the history with its bundle, and its bundle records the upload', async () => {
    const start = await fetch(`${fx.base}/api/v1/sweeps`, {
      method: 'POST',
      headers: as(tokens.operator, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ sources: ['records'] }),
    });
    expect(start.status).toBe(202);
    const { workflowId } = (await start.json()) as { workflowId: string };
    const done = await sweepUntilClosed(workflowId);
    expect(done).toMatchObject({
      status: 'completed',
      bundle: { sequence: 2 },
      progress: { phase: 'done', sources: { records: { state: 'done', artifactCount: 1 } } },
    });
    // The visibility store catches up a little later than the workflow closes.
    await expect
      .poll(async () => {
        const res = await fetch(`${fx.base}/api/v1/sweeps`, { headers: as(tokens.viewer) });
        const body = (await res.json()) as { sweeps: { workflowId: string; status: string }[] };
        return body.sweeps.find((s) => s.workflowId === workflowId)?.status;
      })
      .toBe('completed');

    const m2 = await readManifest(fx.hub.store, 2);
    expect(m2?.operatorActions?.map((a) => [a.action, a.by, a.role])).toContainEqual([
      'record-uploaded',
      'olivia',
      'operator',
    ]);
    expect(m2?.operatorActions?.find((a) => a.action === 'record-uploaded')).toMatchObject({
      topic: 'training',
      file: '2026-01-15-roster.csv',
    });
  });

  it('an exported pack verifies with `evidence-hub verify`, and the export is recorded in the next bundle', async () => {
    const res = await fetch(`${fx.base}/api/v1/exports`, {
      method: 'POST',
      headers: as(tokens.operator, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ from: '2020-01-01', to: '2099-12-31' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="evidence-pack-20200101-20991231.tar.gz"',
    );
    const fingerprint = res.headers.get('x-pack-fingerprint')!;
    expect(fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const out = path.join(fx.dir, 'download');
    await mkdir(out, { recursive: true });
    const archive = path.join(out, 'pack.tar.gz');
    await writeFile(archive, Buffer.from(await res.arrayBuffer()));
    expect(spawnSync('tar', ['xzf', 'pack.tar.gz'], { cwd: out }).status).toBe(0);
    const [root] = (await readdir(out, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    const verified = await runCli(['verify', path.join(out, root!), '--trust', fingerprint]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);

    const pending = await pendingOperatorActions(fx.hub.store);
    expect(pending.map((a) => a.action)).toContain('pack-exported');
    // The next sweep seals it; the store still verifies as a whole.
    const start = await fetch(`${fx.base}/api/v1/sweeps`, {
      method: 'POST',
      headers: as(tokens.operator, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ controls: 'A.3.*' }),
    });
    const { workflowId } = (await start.json()) as { workflowId: string };
    const done = (await sweepUntilClosed(workflowId)) as { bundle: { sequence: number } };
    const sealed = await readManifest(fx.hub.store, done.bundle.sequence);
    expect(sealed?.operatorActions?.find((a) => a.action === 'pack-exported')).toMatchObject({
      by: 'olivia',
      from: '2020-01-01T00:00:00.000Z',
      to: '2099-12-31T23:59:59.999Z',
      bundles: [1, 2],
    });
    const whole = await verifyStore(await FilesystemStore.openExisting(path.join(fx.dir, 'store')));
    expect(whole).toMatchObject({ ok: true, problems: [] });
  });

  it('cancelling a sweep that is not running is bad input; an unknown sweep is 404', async () => {
    const missing = await fetch(`${fx.base}/api/v1/sweeps/sweep-nope`, { headers: as(tokens.viewer) });
    expect(missing.status).toBe(404);
    const odd = await fetch(`${fx.base}/api/v1/sweeps/${encodeURIComponent('../etc')}`, { headers: as(tokens.viewer) });
    expect(odd.status).toBe(404);
  });
});
