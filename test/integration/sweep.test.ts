import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlStatus } from '../../cli/commands/status';
import { startSweep } from '../../cli/commands/sweep';
import { readManifest } from '../../evidence/index';
import { verifyStore } from '../../evidence/verify';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import { runCli, spawnCli } from '../support/processes';
import type { SweepResult } from '../../workflows';
import { hubIn, historyText, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { tempDir } from '../support/tmp';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  await env?.teardown();
});

describe('sweep workflow on a real Temporal dev server', () => {
  it('collects every source, keeps evidence when one source fails, seals a verifiable bundle, and keeps evidence out of history', async () => {
    const dir = await tempDir();
    const marker = `EVIDENCE-CONTENT-${randomBytes(12).toString('hex')}`;
    const { hub } = await hubIn(
      dir,
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./keys/signing.pem } }',
        `temporal: { taskQueue: sweep-test-${randomBytes(4).toString('hex')} }`,
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        '  - { id: broken, type: folder, path: ./does-not-exist }',
        '',
      ].join('\n'),
      {
        'org/policies/ai-policy.md': `---\ntype: ai-policy\neffective_date: 2026-02-01\n---\n# AI policy\n${marker}\n`,
        // Dated in its front matter: a document dated by its file time only is unverified, not current.
        'org/monitoring/drift-2026-11.md': `---\ntype: monitoring-report\neffective_date: ${new Date().toISOString().slice(0, 10)}\n---\n# Drift report\n${marker}\n`,
        'org/registers/raci.csv': 'activity,responsible\n',
        // A CSV says what it is in its sidecar (documents are selected by type, docs/mappings.md).
        'org/registers/raci.csv.meta.yaml': 'type: raci\n',
      },
    );
    const key = await signingKey(hub);
    const worker = await createHubWorker(hub, key, quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });

    const { handle, result } = await worker.runUntil(async () => {
      const h = await startSweep(env.client, hub.config, { trigger: 'manual' });
      return { handle: h, result: (await h.result()) as SweepResult };
    });

    // The workflow result: one ok source, one failed source with a non-retryable config error.
    expect(result.sources).toEqual([
      { source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: 3, stats: {} },
      {
        source: 'broken',
        sourceType: 'folder',
        status: 'failed',
        artifactCount: 0,
        error: { type: 'SourceConfigError', message: expect.stringContaining('source "broken": folder') },
      },
    ]);
    expect(result.bundle).toMatchObject({ sequence: 1, artifactCount: 3, failedSources: ['broken'] });

    // The manifest as an auditor reads it.
    const manifest = (await readManifest(hub.store, 1))!;
    expect(manifest.bundleId).toBe(result.bundle.bundleId);
    expect(manifest.trigger).toEqual({
      type: 'manual',
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
    });
    expect(manifest.previousDigest).toBeNull();
    expect(manifest.signing.keyId).toBe(key.keyId);
    expect(manifest.mappingDigest).toBe(hub.mappings.digest);
    expect(manifest.artifacts.map((a) => a.id).sort()).toEqual([
      'docs:monitoring/drift-2026-11.md',
      'docs:policies/ai-policy.md',
      'docs:registers/raci.csv',
    ]);
    const policy = manifest.artifacts.find((a) => a.id === 'docs:policies/ai-policy.md')!;
    expect(policy).toMatchObject({
      source: 'docs',
      sourceType: 'folder',
      kind: 'document',
      observedAt: '2026-02-01T00:00:00.000Z',
      mediaType: 'text/markdown',
    });
    expect(Date.parse(policy.collectedAt)).toBeGreaterThanOrEqual(Date.parse(manifest.startedAt));
    expect(Date.parse(manifest.finishedAt)).toBeGreaterThanOrEqual(Date.parse(policy.collectedAt));
    expect(manifest.controls).toMatchObject({
      'A.2.2': ['docs:policies/ai-policy.md'],
      'A.6.2.6': ['docs:monitoring/drift-2026-11.md'],
      'A.3.2': ['docs:registers/raci.csv'],
      'A.10.2': ['docs:registers/raci.csv'],
    });
    expect(manifest.sources.map((s) => s.status)).toEqual(['ok', 'failed']);
    expect(await verifyStore(hub.store)).toMatchObject({ ok: true, bundlesChecked: 1, blobsChecked: 3 });
    expect(await readdir(path.join(hub.store.location, 'staging'))).toEqual([]);

    // The healthy source's evidence counts; controls that only the failed source could feed say so.
    const { results } = await controlStatus(hub);
    expect(results).toHaveLength(38);
    expect(results.find((r) => r.control.id === 'A.6.2.6')).toMatchObject({
      status: 'current',
      evidence: ['docs:monitoring/drift-2026-11.md'],
    });
    const computeInventory = results.find((r) => r.control.id === 'A.4.5')!;
    expect(computeInventory.status).toBe('collection-failed');
    expect(computeInventory.reason).toContain('source "broken" failed');

    // Evidence bytes never enter workflow history: the marker in every document is absent, while the
    // decoded history does contain what the activities returned (so the search can see payloads).
    const text = await historyText(handle);
    expect(text).toContain(result.bundle.bundleId);
    expect(text).toContain('artifactCount');
    expect(text).not.toContain(marker);
    expect(text).not.toContain('# AI policy');
  });

  it('chains a second sweep onto the first and reuses unchanged blobs', async () => {
    const dir = await tempDir();
    const { hub } = await hubIn(
      dir,
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: chain-${randomBytes(4).toString('hex')} }\nsources:\n  - { id: docs, type: folder, path: ./org }\n`,
      {
        'org/a.md': 'A',
        'org/b.md': 'B',
      },
    );
    const key = await signingKey(hub);
    const worker = await createHubWorker(hub, key, quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const [r1, r2] = await worker.runUntil(async () => {
      const a = (await (await startSweep(env.client, hub.config, { trigger: 'manual' })).result()) as SweepResult;
      const b = (await (await startSweep(env.client, hub.config, { trigger: 'schedule' })).result()) as SweepResult;
      return [a, b];
    });
    expect(r2.bundle.sequence).toBe(2);
    expect((await readManifest(hub.store, 2))!.previousDigest).toBe(r1.bundle.digest);
    expect(await hub.store.listBlobs()).toHaveLength(2);
    expect((await verifyStore(hub.store)).ok).toBe(true);
  });

  it('`sweep --wait` on a running worker shows per-source progress and prints the bundle id', async () => {
    const dir = await tempDir();
    const { configFile } = await hubIn(
      dir,
      `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: cli-${randomBytes(4).toString('hex')} }\nsources:\n  - { id: docs, type: folder, path: ./org }\n  - { id: gone, type: folder, path: ./missing }\n`,
      {
        'org/policies/ai-policy.md': '# policy',
      },
    );
    expect((await runCli(['keys', 'init', '--config', configFile])).code).toBe(0); // workers never create keys
    const worker = spawnCli(['worker', '--config', configFile], { TEMPORAL_ADDRESS: env.address });
    try {
      const r = await runCli(['sweep', '--config', configFile, '--wait'], { TEMPORAL_ADDRESS: env.address });
      expect(r.stderr).toMatch(/sweep sweep-\S+: (planning|collecting|sealing|done)/);
      expect(r.stderr).toContain('[docs] done, 1 artifacts');
      expect(r.stderr).toMatch(/\[gone\] FAILED: SourceConfigError: source "gone": folder .* does not exist/);
      expect(r.stdout).toMatch(/^bundle sweep-\S+ \(#1\): 1 artifacts, manifest .*manifests\/000000000001\.json/);
      expect(r.stdout).toContain('source gone FAILED');
      expect(r.code).toBe(1); // a failed source makes the command fail, after sealing everything else
      const json = await runCli(['sweep', '--config', configFile, '--wait', '--json', '--sources', 'docs'], {
        TEMPORAL_ADDRESS: env.address,
      });
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        bundle: { sequence: 2, artifactCount: 1 },
        sources: [{ source: 'docs', status: 'ok' }],
      });
    } finally {
      worker.child.kill('SIGKILL');
    }
  });
});
