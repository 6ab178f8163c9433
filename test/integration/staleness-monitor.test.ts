import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker, ensureMonitor } from '../../worker/worker';
import { collectedSignal, monitorStatusQuery, monitorWorkflowId, type MonitorStatus } from '../../workflows/monitor';
import { hubIn, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { monitoredHubYaml, monitorSuite, runMonitor, soaOnly } from '../support/monitor-fixture';
import { waitFor } from '../support/processes';
import { writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const DAY = 86_400_000;
const suite = monitorSuite({ token: 'xoxb-test-token', channels: [{ id: 'C0AIOPS01', name: 'ai-ops' }] });

/** Only A.6.2.6 is in scope (the SoA excludes the rest), with evidence that must be at most 30 days old. */
async function monitoredHub(queue: string, token = 'xoxb-test-token') {
  process.env['EH_TEST_SLACK_TOKEN'] = token;
  return hubIn(
    await tempDir(),
    monitoredHubYaml(
      queue,
      { url: suite.slack.url, tokenEnv: 'EH_TEST_SLACK_TOKEN', defaultChannel: 'C0AIOPS01' },
      { slack: ['    defaultMention: "<!subteam^S0MLOPS>"', '    reminderEvery: 7d'] },
    ),
    {
      'm.yaml':
        'rules:\n  - id: drift-reports\n    controls: [A.6.2.6]\n    select: { source: folder }\n    freshness: { maxAge: 30d, grace: 10d }\n',
      'soa.yaml': soaOnly(['A.6.2.6'], 'out of scope for this monitoring test case'),
    },
  );
}

describe('staleness monitor', () => {
  it('over 90 skipped days: a due-soon notice, an overdue alert, a stale alert, weekly reminders, and a recovery threaded under the stale alert', async () => {
    const queue = `monitor-${randomBytes(4).toString('hex')}`;
    const { hub } = await monitoredHub(queue);
    const env = suite.env;
    const t0 = await env.currentTimeMs();
    // The operator's `keys init`: the worker and the bundles written beside it share the store's one key.
    const key = await signingKey(hub);
    await writeBundle(hub.store, key, hub.mappings, 'b0', { 'monitoring/drift.md': 'drift report 1' }, new Date(t0));
    const before = suite.slack.messages.length;

    await runMonitor(env, hub, key, queue, async (handle) => {
      await env.sleep(60 * DAY);
      // New evidence arrives on day 60: a sweep seals it and signals the monitor.
      await writeBundle(
        hub.store,
        key,
        hub.mappings,
        'b1',
        { 'monitoring/drift.md': 'drift report 2' },
        new Date(await env.currentTimeMs()),
      );
      await handle.signal(collectedSignal);
      await env.sleep(29 * DAY);
      const status: MonitorStatus = await handle.query(monitorStatusQuery);
      expect(status.state).toBe('ok');
      expect(status.runs).toBeGreaterThanOrEqual(85); // daily, plus the one the signal triggered
    });

    const sent = suite.slack.messages.slice(before);
    const text = (m: (typeof sent)[number]) => JSON.stringify(m.blocks ?? m.text);
    expect(sent.every((m) => m.channel === 'C0AIOPS01')).toBe(true);
    // Each message names the control; the alert mentions the owners.
    expect(sent.every((m) => text(m).includes('A.6.2.6'))).toBe(true);
    // By heading first: a due-soon alert also says when its evidence "goes stale on" (mappings/due.ts).
    const kinds = sent.map((m) =>
      m.thread_ts
        ? 'recovery'
        : /Evidence due soon/.test(text(m))
          ? 'due-soon'
          : /Evidence overdue \(grace\)/.test(text(m))
            ? 'overdue'
            : /stale/i.test(text(m))
              ? /remind/i.test(text(m))
                ? 'reminder'
                : 'stale'
              : 'other',
    );
    // 30d max age, 10d grace, warning window 7.5d (a quarter of 30d): due soon on day 22.5, overdue (grace)
    // on day 30 (an alert, reminded after 7 days), stale on day 40 (a new alert, reminded weekly), renewed
    // on day 60 (the recovery), and due soon again on day 82.5. (Updated deliberately for issue 16: the
    // grace period is "overdue", the warning window comes before the due date.)
    expect(kinds).toEqual(['due-soon', 'overdue', 'reminder', 'stale', 'reminder', 'reminder', 'recovery', 'due-soon']);
    expect(text(sent[1]!)).toContain('S0MLOPS');
    const staleAlert = sent[3]!;
    expect(text(staleAlert)).toContain('S0MLOPS');
    const recovery = sent[6]!;
    expect(recovery.thread_ts).toBe(staleAlert.ts);
    expect(recovery.reply_broadcast).not.toBe(true);
  });
});

describe('staleness monitor: Slack problems', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startDevServer();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('posts nothing before the first sweep has sealed (no "38 missing" at start)', async () => {
    const queue = `monitor-empty-${randomBytes(4).toString('hex')}`;
    const { hub } = await monitoredHub(queue);
    const worker = await createHubWorker(hub, await signingKey(hub), quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const before = suite.slack.messages.length;
    await worker.runUntil(async () => {
      const handle = env.client.workflow.getHandle((await ensureMonitor(env.client, hub))!);
      const status = await waitFor(
        'the first evaluation',
        async () => {
          const s: MonitorStatus = await handle.query(monitorStatusQuery);
          return s.runs > 0 ? s : undefined;
        },
        60_000,
        200,
      );
      expect(status).toMatchObject({ state: 'ok', posted: 0 });
      await handle.terminate('test done');
    });
    expect(await hub.store.head()).toBeUndefined();
    expect(suite.slack.messages.slice(before)).toEqual([]);
  });

  it('an invalid Slack token shows as collection-failed on the monitor, with a clear message', async () => {
    const queue = `monitor-bad-${randomBytes(4).toString('hex')}`;
    const { hub } = await monitoredHub(queue, 'xoxb-revoked-or-wrong');
    const key = await signingKey(hub);
    // Alerts wait for the first sealed bundle; with a stale one in the store the monitor has an alert to post.
    const old = new Date(Date.now() - 100 * DAY);
    await writeBundle(hub.store, key, hub.mappings, 'b0', { 'monitoring/drift.md': 'drift report' }, old);
    const worker = await createHubWorker(hub, key, quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    await worker.runUntil(async () => {
      const id = await ensureMonitor(env.client, hub);
      expect(id).toBe(monitorWorkflowId(queue));
      // Idempotent: starting again attaches to the running monitor.
      expect(await ensureMonitor(env.client, hub)).toBe(id);
      const handle = env.client.workflow.getHandle(id!);
      const status = await waitFor(
        'the first evaluation',
        async () => {
          const s: MonitorStatus = await handle.query(monitorStatusQuery);
          return s.runs > 0 ? s : undefined;
        },
        60_000,
        200,
      );
      expect(status.state).toBe('collection-failed');
      expect(status.lastError).toMatchObject({
        type: 'CredentialsError',
        message: expect.stringContaining('alerts.slack.token'),
      });
      await handle.terminate('test done');
    });
  });
});
