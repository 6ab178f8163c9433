import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../worker/temporal-server';
import { hubIn, initKeys } from '../support/hub-fixture';
import { runCli } from '../support/processes';
import { killHard, spawnWorker, type WorkerProcess } from '../support/resilience';
import { tempDir } from '../support/tmp';

/**
 * Issue 18 item 10: the config file changes under a running worker. The worker keeps the config it started
 * with (documented in docs/deploy.md, "Config changes"); `sweep` asks it which one (its digest per source
 * and section) and warns, naming the differences. A sweep of a source only the file knows fails with the
 * cause raised in the worker's activity, not "Activity task failed".
 */

let env: TestWorkflowEnvironment;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  if (worker) await killHard(worker);
  await env?.teardown();
});

describe('config changed under a running worker', () => {
  it('sweep warns naming the sources added, removed and changed; an unknown source fails with its cause', async () => {
    const queue = `drift-${randomBytes(4).toString('hex')}`;
    const { configFile } = await hubIn(
      await tempDir(),
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./k.pem } }',
        `temporal: { taskQueue: ${queue} }`,
        'integrity: { enabled: false }',
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        '  - { id: old, type: folder, path: ./old }',
        '',
      ].join('\n'),
      { 'org/policy.md': '# policy\n', 'old/x.md': '# x\n', 'new/y.md': '# y\n', 'org2/z.md': '# z\n' },
    );
    await initKeys(configFile);
    const env_ = { TEMPORAL_ADDRESS: env.address };

    // Same file: no warning.
    worker = spawnWorker(configFile, env_);
    await worker.ready;
    const same = await runCli(['sweep', '--config', configFile, '--wait'], env_);
    expect(same.code).toBe(0);
    expect(same.stderr).not.toContain('warning');

    // The file changes: a source added, one removed, one pointed elsewhere.
    const original = await readFile(configFile, 'utf8');
    await writeFile(
      configFile,
      original
        .replace('  - { id: old, type: folder, path: ./old }\n', '  - { id: extra, type: folder, path: ./new }\n')
        .replace('path: ./org }', 'path: ./org2 }'),
    );
    const drift = await runCli(['sweep', '--config', configFile, '--wait'], env_);
    expect(drift.stderr).toMatch(
      /warning: the worker \(.* pid \d+, started .*, config [0-9a-f]{16}\) runs a different config than/,
    );
    expect(drift.stderr).toContain('sources added here, unknown to the worker (not collected): extra');
    expect(drift.stderr).toContain('sources removed here, still collected by the worker: old');
    expect(drift.stderr).toContain('sources changed here, the worker runs their old settings: docs');
    expect(drift.stderr).toContain('restart the workers');

    // Asking for the new source: the sweep fails with the worker's own reason, not "Activity task failed".
    const unknown = await runCli(['sweep', '--config', configFile, '--wait', '--sources', 'extra'], env_);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /failed: SourceConfigError: unknown source\(s\) extra; configured in .*evidence-hub\.yaml: docs, old/,
    );
    expect(unknown.stderr).not.toContain('Activity task failed');

    // After a restart the worker runs the file as it is now: no warning.
    await killHard(worker);
    worker = spawnWorker(configFile, env_);
    await worker.ready;
    const after = await runCli(['sweep', '--config', configFile, '--wait'], env_);
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('warning');
  });
});
