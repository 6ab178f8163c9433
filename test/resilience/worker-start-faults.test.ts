import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../fakes/slack-server';
import { hubIn, initKeys } from '../support/hub-fixture';
import { freePort } from '../support/ports';
import { runCli, spawnCli, waitFor } from '../support/processes';
import {
  killHard,
  sleep,
  spawnWorker,
  stagedLines,
  startTemporalProcess,
  type TemporalProcess,
  type WorkerProcess,
} from '../support/resilience';
import { suiteDir } from '../support/tmp';

/**
 * Issue 18 item 9, at the worker's start and around the CLI's wait, with real processes: a wrong Slack
 * token makes the worker not ready and it says why; with Temporal down at start the worker waits and
 * connects when the server comes up (it used to exit after 6 s); a Temporal restart while `sweep --wait`
 * waits leaves the CLI waiting, and it prints the result with exit 0 (it used to exit 1).
 */

let dir: string;
let slack: FakeSlack;
let server: TemporalProcess | undefined;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  dir = await suiteDir('eh-startfaults-');
  slack = await FakeSlack.start({ token: 'xoxb-right', channels: [{ id: 'C0COMPLY1', name: 'compliance' }] });
});

afterAll(async () => {
  if (worker) await killHard(worker);
  await server?.stop('SIGKILL');
  await slack?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a wrong Slack token', () => {
  it('the worker is not ready at start and names the token entry and what Slack said', async () => {
    const { configFile } = await hubIn(
      path.join(dir, 'slack'),
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./k.pem } }',
        'sources: [{ id: docs, type: folder, path: ./docs }]',
        'alerts:',
        '  slack:',
        '    token: { env: EH_WRONG_SLACK }',
        `    apiUrl: ${slack.url}`,
        '    defaultChannel: C0COMPLY1',
        '',
      ].join('\n'),
      { 'docs/policy.md': '# policy\n' },
    );
    await initKeys(configFile);
    const before = slack.requests.length;
    // Temporal is never reached: the worker stops before, at its own checks.
    const run = await runCli(['worker', '--config', configFile], {
      EH_WRONG_SLACK: 'xoxb-wrong',
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('worker not ready');
    expect(run.stderr).toMatch(
      /Slack: Slack rejected the bot token from alerts\.slack\.token \(\{ env: EH_WRONG_SLACK \}\): invalid_auth/,
    );
    expect(run.stderr).not.toContain('xoxb-wrong');
    expect(slack.requests.slice(before).map((r) => r.apiMethod)).toEqual(['auth.test']);
  });
});

describe('Temporal down at start, then restarted while `sweep --wait` waits', () => {
  it('the worker waits and connects when Temporal comes up; the CLI rides out the restart and exits 0', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const sourceCount = 3;
    const perSource = 400;
    const files: Record<string, Buffer> = {};
    for (let s = 0; s < sourceCount; s++)
      for (let i = 0; i < perSource; i++) files[`org/s${s}/doc-${String(i).padStart(4, '0')}.txt`] = randomBytes(256);
    const { hub, configFile } = await hubIn(
      path.join(dir, 'hub'),
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./k.pem } }',
        `temporal: { taskQueue: start-${randomBytes(4).toString('hex')}, concurrency: 3, collectRetry: { maximumAttempts: 20, initialInterval: 1s } }`,
        'integrity: { enabled: false }',
        'sources:',
        ...Array.from({ length: sourceCount }, (_, s) => `  - { id: s${s}, type: folder, path: ./org/s${s} }`),
        '',
      ].join('\n'),
      files,
    );
    await initKeys(configFile);

    // 1. No server yet: the worker says it waits, and is still waiting well past the old 6 s exit.
    worker = spawnWorker(configFile, { TEMPORAL_ADDRESS: address });
    await waitFor(
      'the worker waiting for Temporal',
      async () => (worker!.output().includes(`waiting for Temporal at ${address}`) ? true : undefined),
      60_000,
      100,
    );
    await sleep(8_000);
    expect(worker.child.exitCode).toBeNull();
    expect(worker.isReady()).toBe(false);
    server = await startTemporalProcess({ dbFilename: path.join(dir, 'temporal.db'), port });
    await worker.ready;

    // 2. `sweep --wait` as a real process; the server is killed and restarted under it.
    const cli = spawnCli(['sweep', '--wait', '--config', configFile], { TEMPORAL_ADDRESS: address });
    const workflowId = await waitFor(
      'the sweep started',
      async () => /sweep (sweep-[^:\s]+)\.[0-9a-f]{8}: /.exec(cli.output())?.[1],
      120_000,
      50,
    );
    const staged = async () => {
      const ids = await readdir(path.join(hub.store.location, 'staging')).catch(() => [] as string[]);
      const bundleId = ids.find((b) => b.startsWith(workflowId));
      if (!bundleId) return 0;
      let n = 0;
      for (const s of hub.config.sources) n += await stagedLines(hub.store.location, bundleId, s.id);
      return n;
    };
    await waitFor('collection under way', async () => ((await staged()) >= 150 ? true : undefined), 120_000, 50);
    // Down for longer than the client's own gRPC retries last (10 attempts, about 20 s of backoff): the
    // outage a restarted host or a rolling upgrade of the server gives.
    await server.stop('SIGKILL');
    await sleep(25_000);
    await server.start();
    const code = await cli.exited;
    const out = cli.output();
    expect(code).toBe(0);
    expect(out).toContain('lost the connection to Temporal');
    expect(out).toMatch(/bundle sweep-\S+ \(#1\): 1200 artifacts/);
    expect(out).toContain('readiness:');
    expect(worker.child.exitCode).toBeNull();
  });
});
