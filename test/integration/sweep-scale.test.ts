import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourcesForControls, startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import type { SweepResult } from '../../workflows';
import { hubIn, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { waitFor } from '../support/processes';
import { tempDir } from '../support/tmp';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  await env?.teardown();
});

async function eventCount(workflowId: string): Promise<number> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

describe('large sweeps', () => {
  it('a sweep of 200 sources keeps every workflow history under 10,000 events and seals all of them', async () => {
    const dir = await tempDir();
    const n = 200;
    const sources = Array.from({ length: n }, (_, i) => `  - { id: s${i}, type: folder, path: ./org/s${i} }`).join(
      '\n',
    );
    const files = Object.fromEntries(Array.from({ length: n }, (_, i) => [`org/s${i}/doc.md`, `document ${i}`]));
    const { hub } = await hubIn(
      dir,
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: scale-${randomBytes(4).toString('hex')} }\nsources:\n${sources}\n`,
      files,
    );
    const worker = await createHubWorker(hub, await signingKey(hub), quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const { handle, result } = await worker.runUntil(async () => {
      const h = await startSweep(env.client, hub.config, { trigger: 'manual', concurrency: 8 });
      return { handle: h, result: (await h.result()) as SweepResult };
    });
    expect(result.sources).toHaveLength(n);
    expect(result.sources.every((s) => s.status === 'ok' && s.artifactCount === 1)).toBe(true);
    expect(result.bundle.artifactCount).toBe(n);
    const workflows = [
      handle.workflowId,
      ...Array.from({ length: n / 50 }, (_, i) => `${handle.workflowId}.batch-${i + 1}`),
    ];
    const counts = await Promise.all(workflows.map(eventCount));
    for (const c of counts) expect(c).toBeLessThan(10_000);
    expect(counts[0]).toBeLessThan(200); // the parent only sees its children, not 200 activities
    expect(counts.slice(1).every((c) => c > 50)).toBe(true); // the children did the collecting
  });

  it('cancelling a running sweep seals nothing and discards its staging', async () => {
    const dir = await tempDir();
    const files = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`org/f${i}.txt`, randomBytes(1024)]));
    const { hub } = await hubIn(
      dir,
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: cancel-${randomBytes(4).toString('hex')} }\nsources:\n  - { id: docs, type: folder, path: ./org }\n`,
      files,
    );
    const worker = await createHubWorker(hub, await signingKey(hub), quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const staging = path.join(hub.store.location, 'staging');
    const outcome = await worker.runUntil(async () => {
      const h = await startSweep(env.client, hub.config, { trigger: 'manual' });
      await waitFor(
        'collection under way',
        async () => ((await readdir(staging)).length > 0 ? true : undefined),
        60_000,
      );
      await h.cancel();
      return h.result().catch((e: unknown) => e);
    });
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    expect(await hub.store.sequences()).toEqual([]);
    expect(await readdir(staging)).toEqual([]);
    expect(await readManifest(hub.store, 1)).toBeUndefined();
  });

  it('--controls selects exactly the sources whose type feeds those controls', async () => {
    const dir = await tempDir();
    const { hub } = await hubIn(
      dir,
      `version: 1\nstore: { path: ./store }\nsources:\n  - { id: docs, type: folder, path: ./a }\n  - { id: more-docs, type: folder, path: ./b }\n`,
    );
    expect(sourcesForControls(hub, 'A.6.*')).toEqual(['docs', 'more-docs']);
    expect(() => sourcesForControls(hub, 'B.*')).toThrow(/matches no control/);
  });
});
