import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegritySummary } from '../../activities';
import { FilesystemStore } from '../../evidence/fs-store';
import { readIntegrityState } from '../../evidence/integrity';
import { createHubWorker } from '../../worker/worker';
import { integrityWorkflow, integrityWorkflowId } from '../../workflows/integrity';
import { FakeSlack } from '../fakes/slack-server';
import { hubIn, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { runCli } from '../support/processes';
import { writeBundle } from '../support/store-fixture';
import { startTimeSkipping } from '../support/time-skipping';
import { tempDir, writeTree } from '../support/tmp';

let slack: FakeSlack;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  slack = await FakeSlack.start({ token: 'xoxb-test-token', channels: [{ id: 'C0AIOPS01', name: 'ai-ops' }] });
  env = await startTimeSkipping();
});

afterAll(async () => {
  await env?.teardown();
  await slack?.close();
});

describe('integrity monitor', () => {
  it('verifies incrementally, re-hashes every blob on a full run, alerts on tampering, and monitor shows it', async () => {
    const queue = `integrity-${randomBytes(4).toString('hex')}`;
    process.env['EH_TEST_SLACK_TOKEN'] = 'xoxb-test-token';
    const dir = await tempDir();
    const { hub } = await hubIn(
      dir,
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./k.pem } }',
        `temporal: { taskQueue: ${queue} }`,
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        'alerts:',
        '  slack:',
        '    token: { env: EH_TEST_SLACK_TOKEN }',
        `    apiUrl: ${slack.url}`,
        '    defaultChannel: C0AIOPS01',
        '    defaultMention: "<!subteam^S0MLOPS>"',
        '',
      ].join('\n'),
    );
    // `monitor` without alerts: reads the store only (no staleness monitor to query).
    await writeTree(dir, {
      'monitor.yaml': `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\nsources:\n  - { id: docs, type: folder, path: ./org }\n`,
    });
    const key = await signingKey(hub);
    const t0 = new Date(await env.currentTimeMs());
    await writeBundle(hub.store, key, hub.mappings, 'b1', { 'a.md': 'first' }, t0);
    await writeBundle(hub.store, key, hub.mappings, 'b2', { 'b.md': 'second' }, t0);
    const worker = await createHubWorker(hub, key, quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const store = hub.store as FilesystemStore;
    const before = slack.messages.length;
    let n = 0;
    const run = (full = false): Promise<IntegritySummary> =>
      env.client.workflow.execute(integrityWorkflow, {
        workflowId: `${integrityWorkflowId(queue, full)}-${n++}`,
        taskQueue: queue,
        args: [{ full }],
      });

    await worker.runUntil(async () => {
      // First run: everything from #1.
      expect(await run()).toMatchObject({
        ok: true,
        mode: 'incremental',
        fromSequence: 1,
        toSequence: 2,
        bundlesChecked: 2,
        blobsChecked: 2,
      });
      // A new bundle: only it is checked.
      await writeBundle(hub.store, key, hub.mappings, 'b3', { 'c.md': 'third' }, t0);
      expect(await run()).toMatchObject({
        ok: true,
        fromSequence: 3,
        toSequence: 3,
        bundlesChecked: 1,
        blobsChecked: 1,
      });
      expect(await run()).toMatchObject({ ok: true, fromSequence: 4, toSequence: 3, bundlesChecked: 0 });
      expect((await readIntegrityState(hub.store))?.verifiedThrough).toBe(3);

      // A blob of an already verified bundle is altered: an incremental run does not re-hash it, a full run does.
      const blob = store.blobPath((await manifestBlob(store, 1))!);
      await chmod(blob, 0o644);
      await writeFile(blob, 'tampered');
      expect(await run()).toMatchObject({ ok: true, bundlesChecked: 0 });
      const full = await run(true);
      expect(full).toMatchObject({ ok: false, mode: 'full', fromSequence: 1, toSequence: 3, bundlesChecked: 3 });
      expect(full.problems).toEqual({ 'blob-altered': 1 });
      expect(full.alerted).toBe(true);

      // A manifest after its signed checkpoint: even an incremental run sees it (the checkpoint's digest).
      const manifest = store.manifestPath(2);
      await chmod(manifest, 0o644);
      const bytes = await readFile(manifest, 'utf8');
      await writeFile(manifest, bytes.replace('"b2"', '"bX"'));
      const incremental = await run();
      expect(incremental.ok).toBe(false);
      expect(incremental.problems['forked']).toBeGreaterThanOrEqual(1);
      expect(incremental.alerted).toBe(true);
    });

    const sent = slack.messages.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent.every((m) => m.channel === 'C0AIOPS01')).toBe(true);
    expect(sent[0]!.text).toMatch(/integrity check failed \(full, bundles #1\.\.#3\).*blob-altered x1/);
    expect(sent[0]!.text).toContain('S0MLOPS');
    expect(sent[1]!.text).toMatch(/integrity check failed \(incremental.*forked x/);
    // Counts and classes only: no evidence content in Slack.
    expect(JSON.stringify(sent)).not.toContain('second');

    const monitor = await runCli(['monitor', '--config', path.join(dir, 'monitor.yaml')]);
    expect(monitor.code).toBe(1);
    expect(monitor.stdout).toMatch(
      /integrity: last incremental verification \S+, no new bundle .*FAILED: .*forked x\d/,
    );
    expect(monitor.stdout).toContain('last clean full verification: never');
    const json = JSON.parse((await runCli(['monitor', '--config', path.join(dir, 'monitor.yaml'), '--json'])).stdout);
    expect(json.integrity).toMatchObject({ verifiedThrough: 3, last: { mode: 'incremental', ok: false } });
  });
});

/** The sha256 of the first artifact of bundle `seq`. */
async function manifestBlob(store: FilesystemStore, seq: number): Promise<string | undefined> {
  const m = JSON.parse((await store.readManifest(seq))!.toString('utf8')) as { artifacts: { sha256: string }[] };
  return m.artifacts[0]?.sha256;
}
