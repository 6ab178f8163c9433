// Records workflow histories of this release for the replay test (test/integration/workflow-replay.test.ts):
//   npm run record:histories -- <label>        e.g. npm run record:histories -- 0.2.0
// Runs a small sweep (one source fails), a sweep large enough for batch child workflows, the staleness
// monitor (healthy, and with a rejected Slack token) and the integrity workflow on a Temporal dev server,
// then writes each history to test/fixtures/histories/<label>/<name>.json. Commit them with the release:
// every later release must replay them unchanged (docs/deploy.md, "Upgrades").
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startSweep } from '../cli/commands/sweep';
import { findTemporalCli, startDevServer } from '../worker/temporal-server';
import { initSigningKey, loadHub } from '../worker/hub';
import { createLogger } from '../worker/logger';
import { createHubWorker, ensureMonitor, installTemporalLogging, workflowsPath } from '../worker/worker';
import { integrityWorkflow, integrityWorkflowId, monitorStatusQuery, type MonitorStatus } from '../workflows';
import { FakeSlack } from '../test/fakes/slack-server';

// test/support imports vitest, so the few lines needed from it are here.
const quietLog = createLogger({ level: 'silent' });
installTemporalLogging(quietLog);

async function hubWith(config: string, files: Record<string, string>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-record-'));
  for (const [rel, content] of Object.entries({ 'evidence-hub.yaml': config, ...files })) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  const hub = await loadHub(path.join(dir, 'evidence-hub.yaml'));
  return { hub, key: (await initSigningKey(hub.config, hub.store)).key };
}

const label = process.argv[2];
if (!label || !/^[A-Za-z0-9._-]+$/.test(label)) {
  console.error('usage: npm run record:histories -- <label>   (a release name such as 0.2.0)');
  process.exit(2);
}
const outDir = path.join(__dirname, '..', 'test', 'fixtures', 'histories', label);

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The history as the Temporal CLI exports it (`temporal workflow show --output json`): the format every
 * Temporal tool and SDK reads, so a history can also be taken from a production cluster the same way.
 */
async function save(name: string, handle: WorkflowHandle, address: string): Promise<void> {
  const cli = await findTemporalCli();
  if (!cli) throw new Error('no temporal CLI (scripts/ensure-temporal.sh)');
  const { stdout } = await promisify(execFile)(
    cli,
    ['workflow', 'show', '--address', address, '--workflow-id', handle.workflowId, '--output', 'json'],
    { maxBuffer: 64 << 20 },
  );
  const history = JSON.parse(stdout) as { events: unknown[] };
  const file = path.join(outDir, `${name}.json`);
  await writeFile(file, JSON.stringify({ workflowId: handle.workflowId, history }, null, 1) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events.length} events)`);
}

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function monitorRuns(client: Client, workflowId: string, atLeast: number): Promise<MonitorStatus> {
  return until(`monitor ${workflowId} run ${atLeast}`, async () => {
    const s = await client.workflow.getHandle(workflowId).query(monitorStatusQuery);
    return s.runs >= atLeast ? s : undefined;
  });
}

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const slack = await FakeSlack.start({ token: 'xoxb-record', channels: [{ id: 'C0AIOPS01', name: 'ai-ops' }] });
  const env = await startDevServer();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  try {
    const record = async (queue: string, token: string, sources: string[], files: Record<string, string>) => {
      process.env['EH_RECORD_SLACK_TOKEN'] = token;
      const { hub, key } = await hubWith(
        [
          'version: 1',
          'store: { path: ./store }',
          'signing: { key: { file: ./k.pem } }',
          `temporal: { taskQueue: ${queue}, concurrency: 4 }`,
          'sources:',
          ...sources,
          'alerts:',
          '  slack:',
          '    token: { env: EH_RECORD_SLACK_TOKEN }',
          `    apiUrl: ${slack.url}`,
          '    defaultChannel: C0AIOPS01',
          '',
        ].join('\n'),
        files,
      );
      const worker = await createHubWorker(hub, key, quietLog, { connection: env.nativeConnection, workflowBundle });
      return { hub, worker };
    };

    // 1. Small sweep, one source failing, with the staleness monitor running (the sweep signals it).
    const small = await record(
      'record-small',
      'xoxb-record',
      ['  - { id: docs, type: folder, path: ./org }', '  - { id: broken, type: folder, path: ./does-not-exist }'],
      {
        'org/policies/ai-policy.md': '---\ntype: ai-policy\neffective_date: 2026-02-01\n---\n# AI policy\n',
        'org/registers/raci.csv': 'activity,responsible\n',
      },
    );
    await small.worker.runUntil(async () => {
      const monitorId = (await ensureMonitor(env.client, small.hub))!;
      await monitorRuns(env.client, monitorId, 1);
      const sweep = await startSweep(env.client, small.hub.config, { trigger: 'manual' });
      await sweep.result();
      await monitorRuns(env.client, monitorId, 2);
      const integrity = await env.client.workflow.start(integrityWorkflow, {
        taskQueue: small.hub.config.temporal.taskQueue,
        workflowId: integrityWorkflowId(small.hub.config.temporal.taskQueue, true),
        args: [{ full: true }],
      });
      await integrity.result();
      await save('sweep-small', sweep, env.address);
      await save('staleness-monitor', env.client.workflow.getHandle(monitorId), env.address);
      await save('integrity-full', integrity, env.address);
      await env.client.workflow.getHandle(monitorId).terminate('recorded');
    });

    // 2. A sweep of 51 sources: two batch child workflows, the parent seals. Slack rejects the monitor's token.
    const many = Array.from({ length: 51 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const large = await record(
      'record-large',
      'xoxb-revoked',
      many.map((id) => `  - { id: ${id}, type: folder, path: ./org/${id} }`),
      Object.fromEntries(many.map((id) => [`org/${id}/note.md`, `---\neffective_date: 2026-02-01\n---\n# ${id}\n`])),
    );
    await large.worker.runUntil(async () => {
      const monitorId = (await ensureMonitor(env.client, large.hub))!;
      const failed = await monitorRuns(env.client, monitorId, 1);
      if (failed.state !== 'collection-failed') throw new Error('expected the monitor to record the Slack failure');
      const sweep = await startSweep(env.client, large.hub.config, { trigger: 'manual' });
      await sweep.result();
      await monitorRuns(env.client, monitorId, 2);
      await save('sweep-batched', sweep, env.address);
      await save('sweep-batched.batch-1', env.client.workflow.getHandle(`${sweep.workflowId}.batch-1`), env.address);
      await save('sweep-batched.batch-2', env.client.workflow.getHandle(`${sweep.workflowId}.batch-2`), env.address);
      await save('staleness-monitor-slack-failing', env.client.workflow.getHandle(monitorId), env.address);
      await env.client.workflow.getHandle(monitorId).terminate('recorded');
    });
  } finally {
    await env.teardown();
    await slack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
