/**
 * History size benchmark: events per workflow history for a sweep of many sources (default 200 folder
 * sources with one small file each, as test/integration/sweep-scale.test.ts), on a Temporal dev server
 * with an in-process worker. Prints one JSON line: the parent's event count, each batch child's, the
 * largest, and the sweep's wall time.
 *
 *   npx tsx bench/history.ts [sources=200] [concurrency=8]
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startSweep } from '../cli/commands/sweep';
import { initSigningKey, loadHub } from '../worker/hub';
import { createLogger } from '../worker/logger';
import { startDevServer } from '../worker/temporal-server';
import { createHubWorker, installTemporalLogging, workflowsPath } from '../worker/worker';
import { sourcesPerBatch, type SweepResult } from '../workflows';

const log = createLogger({ level: 'silent' });
installTemporalLogging(log);

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200);
  const concurrency = Number(process.argv[3] ?? 8);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-history-bench-'));
  const [env, bundle] = await Promise.all([
    startDevServer(),
    bundleWorkflowCode({
      workflowsPath: workflowsPath(),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    }),
  ]);
  try {
    for (let i = 0; i < count; i++) {
      await mkdir(path.join(dir, 'org', `s${i}`), { recursive: true });
      await writeFile(path.join(dir, 'org', `s${i}`, 'doc.md'), `document ${i}\n`);
    }
    const sources = Array.from({ length: count }, (_, i) => `  - { id: s${i}, type: folder, path: ./org/s${i} }`).join(
      '\n',
    );
    await writeFile(
      path.join(dir, 'evidence-hub.yaml'),
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: history-${randomBytes(4).toString('hex')} }\nsources:\n${sources}\n`,
    );
    const hub = await loadHub(path.join(dir, 'evidence-hub.yaml'));
    const worker = await createHubWorker(hub, (await initSigningKey(hub.config, hub.store)).key, log, {
      connection: env.nativeConnection,
      workflowBundle: bundle,
    });
    const t0 = process.hrtime.bigint();
    const { workflowId, result } = await worker.runUntil(async () => {
      const h = await startSweep(env.client, hub.config, { trigger: 'manual', concurrency });
      return { workflowId: h.workflowId, result: (await h.result()) as SweepResult };
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (result.bundle.artifactCount !== count || result.sources.some((s) => s.status !== 'ok'))
      throw new Error(`sweep did not collect every source: ${JSON.stringify(result.bundle)}`);
    const batches = count > sourcesPerBatch ? Math.ceil(count / sourcesPerBatch) : 0;
    const ids = [workflowId, ...Array.from({ length: batches }, (_, i) => `${workflowId}.batch-${i + 1}`)];
    const events = await Promise.all(
      ids.map(async (id) => (await env.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0),
    );
    console.log(
      JSON.stringify({
        sources: count,
        concurrency,
        sourcesPerBatch,
        seconds,
        parentEvents: events[0],
        childEvents: events.slice(1),
        maxEvents: Math.max(...events),
        workflows: ids.length,
      }),
    );
  } finally {
    await env.teardown();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
