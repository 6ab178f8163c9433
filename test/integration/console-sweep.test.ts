import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import type { SweepResult } from '../../workflows';
import { consoleOn, tokens, type ConsoleFixture } from '../support/console-fixture';
import { quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { suiteDir } from '../support/tmp';

let env: TestWorkflowEnvironment;
let fx: ConsoleFixture;

beforeAll(async () => {
  env = await startDevServer();
  fx = await consoleOn(
    await suiteDir(),
    `temporal: { address: "${env.address}", taskQueue: console-${randomBytes(4).toString('hex')} }`,
  );
});
afterAll(async () => {
  await fx?.close();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
  await env?.teardown();
});

describe('starting a sweep from the console, on a real Temporal dev server', () => {
  it('an operator starts a scoped sweep through the API; the worker runs it and seals the next bundle', async () => {
    const worker = await createHubWorker(fx.hub, await signingKey(fx.hub), quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const result = await worker.runUntil(async () => {
      const res = await fetch(`${fx.base}/api/v1/sweeps`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tokens.operator}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ controls: 'A.3.*' }),
      });
      expect(res.status).toBe(202);
      const { workflowId } = (await res.json()) as { workflowId: string };
      expect(workflowId).toMatch(/^sweep-/);
      const handle = env.client.workflow.getHandle(workflowId);
      const described = await handle.describe();
      expect(described.taskQueue).toBe(fx.hub.config.temporal.taskQueue);
      return (await handle.result()) as SweepResult;
    });
    // The fixture's store held bundle 1; the console's sweep sealed bundle 2 from the one folder source.
    expect(result.sources.map((s) => [s.source, s.status])).toEqual([['docs', 'ok']]);
    expect(result.bundle.sequence).toBe(2);
    const overview = await fetch(`${fx.base}/api/v1/controls`, {
      headers: { Authorization: `Bearer ${tokens.viewer}` },
    });
    expect(overview.status).toBe(200);
  });
});
