import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import type { Hub } from '../../worker/hub';
import { loadCatalog } from '../../mappings/catalog';
import { createHubWorker } from '../../worker/worker';
import { monitorWorkflowId, stalenessMonitorWorkflow } from '../../workflows/monitor';
import { FakeSlack, type FakeSlackOptions } from '../fakes/slack-server';
import { quietLog, workflowBundle } from './hub-fixture';
import { startTimeSkipping } from './time-skipping';

/**
 * The setup the staleness-monitor tests share: a Slack fake on a real socket and (unless the file starts
 * its own server) a time-skipping Temporal server, started once per file and torn down after it.
 */
export interface MonitorSuite {
  readonly slack: FakeSlack;
  readonly env: TestWorkflowEnvironment;
}

export function monitorSuite(slackOptions: FakeSlackOptions, opts: { timeSkipping?: boolean } = {}): MonitorSuite {
  let slack: FakeSlack | undefined;
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    slack = await FakeSlack.start(slackOptions);
    if (opts.timeSkipping !== false) env = await startTimeSkipping();
  });
  afterAll(async () => {
    await env?.teardown();
    await slack?.close();
  });
  return {
    get slack() {
      if (!slack) throw new Error('monitorSuite: the Slack fake is started in beforeAll');
      return slack;
    },
    get env() {
      if (!env) throw new Error('monitorSuite: no time-skipping server (started in beforeAll unless turned off)');
      return env;
    },
  };
}

/** The head of a hub config: a folder source `docs` at ./org and Slack alerts on the fake. */
export function monitoredHubYaml(
  queue: string,
  slack: { url: string; tokenEnv: string; defaultChannel: string },
  more: { sources?: string[]; slack?: string[]; rest?: string[] } = {},
): string {
  return [
    'version: 1',
    'store: { path: ./store }',
    'signing: { key: { file: ./k.pem } }',
    `temporal: { taskQueue: ${queue} }`,
    'mappings: [./m.yaml]',
    'soa: ./soa.yaml',
    'sources:',
    '  - { id: docs, type: folder, path: ./org }',
    ...(more.sources ?? []),
    'alerts:',
    '  slack:',
    `    token: { env: ${slack.tokenEnv} }`,
    `    apiUrl: ${slack.url}`,
    `    defaultChannel: ${slack.defaultChannel}`,
    ...(more.slack ?? []),
    ...(more.rest ?? []),
    '',
  ].join('\n');
}

/** A statement of applicability that excludes every Annex A control but those in scope. */
export function soaOnly(inScope: Iterable<string>, why: string): string {
  const keep = new Set(inScope);
  const others = loadCatalog().controls.filter((c) => !keep.has(c.id));
  return `notApplicable:\n${others.map((c) => `  - { control: ${c.id}, justification: "${why}" }`).join('\n')}\n`;
}

/** Runs a worker for `hub` with the staleness monitor started on `queue` for as long as `during` takes. */
export async function runMonitor(
  env: TestWorkflowEnvironment,
  hub: Hub,
  key: Parameters<typeof createHubWorker>[1],
  queue: string,
  during: (handle: WorkflowHandle<typeof stalenessMonitorWorkflow>) => Promise<void>,
): Promise<void> {
  const worker = await createHubWorker(hub, key, quietLog, {
    connection: env.nativeConnection,
    workflowBundle: await workflowBundle(),
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(stalenessMonitorWorkflow, {
      workflowId: monitorWorkflowId(queue),
      taskQueue: queue,
      args: [{}],
    });
    await during(handle);
    await handle.terminate('test done');
  });
}
