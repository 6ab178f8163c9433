import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import { verifyStore } from '../../evidence/verify';
import { startDevServer } from '../../worker/temporal-server';
import type { SweepResult } from '../../workflows';
import { activityResults, hubIn, signingKey } from '../support/hub-fixture';
import { spawnCli, waitFor, type CliProcess } from '../support/processes';
import { tempDir } from '../support/tmp';

let env: TestWorkflowEnvironment;
const workers: CliProcess[] = [];

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await env?.teardown();
});

describe('worker killed during a sweep', () => {
  it('a restarted worker resumes from the checkpoint and seals exactly one complete bundle, no duplicates, nothing lost', async () => {
    const dir = await tempDir();
    const fileCount = 2500;
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < fileCount; i++)
      files[`org/batch-${i % 10}/doc-${String(i).padStart(5, '0')}.txt`] = randomBytes(2048);
    const { hub, configFile } = await hubIn(
      dir,
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: crash-${randomBytes(4).toString('hex')} }\nsources:\n  - { id: docs, type: folder, path: ./org }\n`,
      files,
    );
    await signingKey(hub); // `keys init`: workers never create or register keys
    const workerEnv = { TEMPORAL_ADDRESS: env.address };
    const first = spawnCli(['worker', '--config', configFile], workerEnv);
    workers.push(first);

    const handle = await startSweep(env.client, hub.config, { trigger: 'manual' });
    const stagingDir = path.join(hub.store.location, 'staging');
    // Kill the worker once a few hundred artifacts (several checkpoints) are staged, well before the end.
    const staged = await waitFor(
      'collection to be under way',
      async () => {
        const bundles = await readdir(stagingDir).catch(() => []);
        if (bundles.length === 0) return undefined;
        const text = await readFile(path.join(stagingDir, bundles[0]!, 'docs.jsonl'), 'utf8').catch(() => '');
        const lines = text.split('\n').length - 1;
        return lines >= 300 ? lines : undefined;
      },
      120_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    expect(staged).toBeLessThan(fileCount);

    const second = spawnCli(['worker', '--config', configFile], workerEnv);
    workers.push(second);
    const result = (await handle.result()) as SweepResult;
    second.child.kill('SIGTERM');

    // Exactly one bundle, complete, with every file once.
    expect(await hub.store.sequences()).toEqual([1]);
    const manifest = (await readManifest(hub.store, 1))!;
    expect(manifest.bundleId).toBe(result.bundle.bundleId);
    const ids = manifest.artifacts.map((a) => a.externalId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(
      Object.keys(files)
        .map((f) => f.slice('org/'.length))
        .sort(),
    );
    // No duplicate blobs: one blob per distinct content.
    const blobs = await hub.store.listBlobs();
    expect(blobs).toHaveLength(fileCount);
    expect(new Set(manifest.artifacts.map((a) => a.sha256))).toEqual(new Set(blobs));
    expect((await verifyStore(hub.store)).ok).toBe(true);
    expect(await readdir(stagingDir)).toEqual([]);

    // The retry resumed at a checkpoint instead of starting over.
    const [collect] = await activityResults(handle, 'collectSource');
    expect(collect!.attempt).toBeGreaterThanOrEqual(2);
    expect(collect!.result).toMatchObject({
      source: 'docs',
      artifactCount: fileCount,
      resumedAfter: expect.stringMatching(/^batch-\d\/doc-\d{5}\.txt$/),
    });
  });
});
