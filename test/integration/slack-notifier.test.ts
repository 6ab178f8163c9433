import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '../../alerts/config';
import { planAlerts } from '../../alerts/engine';
import { emptyAlertState, parseAlertState, recordDeliveries } from '../../alerts/state';
import { SlackMessageError, SlackUnavailableError } from '../../alerts/errors';
import { SlackNotifier, type SlackNotifierOptions } from '../../alerts/slack-notifier';
import type { AlertPolicy, AlertState, Delivery, PlannedMessage } from '../../alerts/types';
import { CredentialsError, SourceConfigError } from '../../core/errors';
import { loadCatalog } from '../../mappings/catalog';
import { causeFor } from '../support/causes';
import type { ControlResult, ControlStatus } from '../../mappings/evaluate';
import { FakeSlack } from '../fakes/slack-server';
import { tempDir } from '../support/tmp';

const TOKEN = 'xoxb-0000-test-token';
const DAY = 86_400_000;
const t0 = Date.parse('2026-02-02T08:00:00Z');
const catalog = loadCatalog();

function result(id: string, status: ControlStatus, extra: Partial<ControlResult> = {}): ControlResult {
  const c = catalog.controls.find((x) => x.id === id)!;
  return {
    control: { id, title: c.title, group: c.group, groupTitle: c.groupTitle },
    status,
    cause: causeFor(status),
    reason: `${id} evidence is ${status}`,
    evidence: ['ev:1'],
    rules: [],
    ...extra,
  };
}

const policy: AlertPolicy = {
  defaultChannel: '#compliance',
  routes: [{ match: 'A.6', channel: 'C0MLPLAT1', mention: '<!subteam^S0ML>' }],
  digest: true,
  reminderEveryMs: 7 * DAY,
  dueSoonNotice: true,
};

/** Collects the WebClient's own log lines instead of printing them. */
function quietLogger(): SlackLogger & { lines: string[] } {
  const lines: string[] = [];
  const add =
    (level: string) =>
    (...msg: unknown[]) =>
      void lines.push(`${level} ${msg.join(' ')}`);
  return {
    lines,
    debug: () => undefined,
    info: add('info'),
    warn: add('warn'),
    error: add('error'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

let fake: FakeSlack;
let logger: ReturnType<typeof quietLogger>;

beforeEach(async () => {
  fake = await FakeSlack.start({
    token: TOKEN,
    revokedTokens: ['xoxb-revoked'],
    channels: [
      { id: 'C0COMPLY1', name: 'compliance' },
      { id: 'C0MLPLAT1', name: 'ml-platform' },
      { id: 'C0OUTSIDE', name: 'outside', member: false },
    ],
  });
  logger = quietLogger();
});

afterEach(async () => {
  await fake.close();
});

function notifier(extra: Partial<SlackNotifierOptions> = {}): SlackNotifier {
  return new SlackNotifier({
    token: TOKEN,
    tokenSource: 'alerts.slack.token ({ env: SLACK_BOT_TOKEN })',
    apiUrl: fake.url,
    // Fast backoff for tests; a 429 is still waited out for its full Retry-After by the WebClient.
    retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 20 },
    timeoutMs: 5_000,
    logger,
    ...extra,
  });
}

/** What the monitor activity does: plan, post one by one persisting after each, then store the next state. */
async function monitorRun(file: string, results: ControlResult[], now: number, n: SlackNotifier, pol = policy) {
  const previous = parseAlertState(JSON.parse(await readFile(file, 'utf8').catch(() => 'null')));
  const plan = planAlerts(previous, results, new Date(now), pol);
  let progress: AlertState = previous;
  const save = (s: AlertState) => writeFile(file, JSON.stringify(s));
  const deliveries = await n.deliver(plan.messages, previous, async (d: Delivery) => {
    progress = recordDeliveries(progress, [d]);
    await save(progress);
  });
  const next = recordDeliveries(plan.next, deliveries);
  await save(next);
  return { plan, deliveries, next };
}

describe('SlackNotifier against a fake Slack over HTTP', () => {
  it('posts Block Kit alerts, then a recovery as a non-broadcast reply in the original thread', async () => {
    const file = path.join(await tempDir(), 'alerts-state.json');
    const n = notifier();
    const first = await monitorRun(
      file,
      [result('A.2.2', 'stale'), result('A.6.2.6', 'missing'), result('A.6.2.8', 'stale'), result('A.7.2', 'current')],
      t0,
      n,
    );
    expect(first.plan.messages.map((m) => [m.kind, m.channel])).toEqual([
      ['alert', '#compliance'],
      ['digest', 'C0MLPLAT1'],
    ]);
    const calls = fake.postCalls();
    expect(calls).toHaveLength(2);
    for (const c of calls) {
      expect(c.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(c.contentType).toBe('application/x-www-form-urlencoded');
      expect(c.status).toBe(200);
    }
    // The payload Slack received is exactly the planned one.
    const [alert, digest] = first.plan.messages as [PlannedMessage, PlannedMessage];
    expect(calls[0]!.params).toMatchObject({
      channel: '#compliance',
      text: alert.text,
      blocks: alert.blocks,
      unfurl_links: false,
    });
    expect(calls[0]!.params['thread_ts']).toBeUndefined();
    expect(calls[0]!.params['metadata']).toEqual({
      event_type: 'evidence_hub_alert',
      event_payload: { key: alert.key, kind: 'alert', controls: 'A.2.2' },
    });
    expect(calls[1]!.params).toMatchObject({ channel: 'C0MLPLAT1', blocks: digest.blocks });
    expect(String(calls[1]!.params['text'])).toMatch(
      /^<!subteam\^S0ML> Evidence alerts \(2 new\): A\.6\.2\.6 missing, A\.6\.2\.8 stale$/,
    );
    expect(first.deliveries.map((d) => [d.channel, d.ts, d.skipped])).toEqual([
      ['C0COMPLY1', fake.messages[0]!.ts, false],
      ['C0MLPLAT1', fake.messages[1]!.ts, false],
    ]);
    // The state on disk knows where each alert lives, by channel id.
    const stored = parseAlertState(JSON.parse(await readFile(file, 'utf8')));
    expect(stored.controls['A.2.2']!.thread).toEqual({ channel: 'C0COMPLY1', ts: fake.messages[0]!.ts });
    expect(stored.controls['A.6.2.8']!.thread).toEqual({ channel: 'C0MLPLAT1', ts: fake.messages[1]!.ts });

    // Recovery three days later.
    const second = await monitorRun(
      file,
      [
        result('A.2.2', 'current'),
        result('A.6.2.6', 'missing'),
        result('A.6.2.8', 'current'),
        result('A.7.2', 'current'),
      ],
      t0 + 3 * DAY,
      n,
    );
    expect(second.plan.messages.map((m) => m.kind)).toEqual(['recovery', 'recovery']);
    const replies = fake.postCalls().slice(2);
    expect(replies.map((c) => [c.params['channel'], c.params['thread_ts'], c.params['reply_broadcast']])).toEqual([
      ['C0COMPLY1', fake.messages[0]!.ts, false],
      ['C0MLPLAT1', fake.messages[1]!.ts, false],
    ]);
    expect(fake.replies('C0COMPLY1', fake.messages[0]!.ts)).toHaveLength(1);
    expect(fake.replies('C0MLPLAT1', fake.messages[1]!.ts)[0]!.blocks![0]).toMatchObject({
      type: 'header',
      text: { text: ':white_check_mark: Recovered: A.6.2.8 AI system recording of event logs' },
    });
  });

  it('what Slack receives says what to do, whose it is and where to look', async () => {
    const stale = (id: string, rule: string, record: string): ControlResult =>
      result(id, 'stale', {
        cause: {
          kind: 'rule',
          rule,
          rules: 1,
          cause: {
            kind: 'too-old',
            deciding: { id: record, observedAt: '2025-01-01T00:00:00.000Z', count: 1, dateKind: 'effective' },
            maxAge: { ms: 365 * DAY, text: '365d' },
            ageMs: 397 * DAY,
          },
        },
      });
    const records = new Map([
      [
        'docs:policies/ai.md',
        { id: 'docs:policies/ai.md', attributes: { frontMatter: { owner: 'jane@example.com' } } },
      ],
      ['gh:acme/api#7', { id: 'gh:acme/api#7', attributes: {}, url: 'https://github.com/acme/api/pull/7' }],
    ]);
    const pol: AlertPolicy = { ...policy, owners: { 'jane@example.com': '<@U0JANE001>' } };
    const plan = planAlerts(
      emptyAlertState(),
      [stale('A.2.2', 'ai-policy-review', 'docs:policies/ai.md'), stale('A.6.2.8', 'log-reviews', 'gh:acme/api#7')],
      new Date(t0),
      pol,
      records,
    );
    await notifier().deliver(plan.messages, emptyAlertState());
    const [policyAlert, logAlert] = fake.postCalls().map((c) => ({
      text: String(c.params['text']),
      blocks: JSON.stringify(c.params['blocks']),
    }));
    // The document's owner, known to Slack: mentioned in the line and in the notification text.
    expect(policyAlert!.blocks).toContain('*Next step:* refresh ai-policy-review now: it was due by 2026-01-01');
    expect(policyAlert!.blocks).toContain('*Owner:* <@U0JANE001>');
    expect(policyAlert!.text.startsWith('<@U0JANE001> ')).toBe(true);
    // A document has no address of its own and no console URL is configured: no link rather than a broken one.
    expect(policyAlert!.blocks).not.toContain('|Open');
    // The pull request's own URL; no owner in a document, so the route's mention.
    expect(logAlert!.blocks).toContain('<https://github.com/acme/api/pull/7|Open the record>');
    expect(logAlert!.blocks).toContain('*Owner:* <!subteam^S0ML>');
    expect(logAlert!.blocks).toContain('*Next step:* refresh log-reviews now: it was due by 2026-01-01');
  });

  it('never posts a key twice: replaying a plan against the stored state sends nothing', async () => {
    const n = notifier();
    const plan = planAlerts(emptyAlertState(), [result('A.2.2', 'stale'), result('A.6.2.6', 'stale')], new Date(t0), {
      ...policy,
      digest: false,
    });
    const delivered = await n.deliver(plan.messages, emptyAlertState());
    const state = recordDeliveries(plan.next, delivered);
    const again = await n.deliver(plan.messages, state);
    expect(again.map((d) => d.skipped)).toEqual([true, true]);
    expect(again.map((d) => d.ts)).toEqual(delivered.map((d) => d.ts));
    expect(fake.postCalls()).toHaveLength(2);
    // And the engine plans nothing on the stored state with the same inputs.
    expect(
      planAlerts(state, [result('A.2.2', 'stale'), result('A.6.2.6', 'stale')], new Date(t0), policy).messages,
    ).toEqual([]);
  });

  it('a run stopped by a failing channel keeps what it posted; after the fix only the rest goes out', async () => {
    const file = path.join(await tempDir(), 'alerts-state.json');
    const pol: AlertPolicy = { ...policy, digest: false, routes: [{ match: 'A.6', channel: '#outside' }] };
    const results = [result('A.2.2', 'stale'), result('A.2.3', 'missing'), result('A.6.2.8', 'stale')];
    const err = await monitorRun(file, results, t0, notifier(), pol).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceConfigError);
    expect((err as Error).message).toMatch(
      /^Slack channel "#outside", routed for A\.6\.2\.8: not_in_channel \(the app is not a member: run \/invite @<app> in that channel\)/,
    );
    // The two #compliance alerts were posted and their keys saved before the failure.
    expect(fake.messages.map((m) => m.channel)).toEqual(['C0COMPLY1', 'C0COMPLY1']);
    const saved = parseAlertState(JSON.parse(await readFile(file, 'utf8')));
    expect(Object.values(saved.posted).map((p) => p.ts)).toContain(fake.messages[1]!.ts);
    expect(saved.controls).toEqual({}); // the transitions themselves were not committed

    fake.putChannel({ id: 'C0OUTSIDE', name: 'outside', member: true });
    const retry = await monitorRun(file, results, t0 + 60 * 60_000, notifier(), pol);
    expect(retry.plan.messages.map((m) => m.controls)).toEqual([['A.6.2.8']]);
    expect(fake.messages.map((m) => m.channel)).toEqual(['C0COMPLY1', 'C0COMPLY1', 'C0OUTSIDE']);
    expect(retry.next.controls['A.2.2']!.thread).toEqual({ channel: 'C0COMPLY1', ts: fake.messages[0]!.ts });
  });

  it('honours 429 Retry-After, then posts once', async () => {
    const waits: number[] = [];
    const n = notifier({ onRateLimited: (s) => waits.push(s) });
    fake.rateLimit(1, 1, 'chat.postMessage');
    const plan = planAlerts(emptyAlertState(), [result('A.2.2', 'stale')], new Date(t0), policy);
    const started = Date.now();
    const [d] = await n.deliver(plan.messages, emptyAlertState());
    const calls = fake.postCalls();
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.receivedAt - calls[0]!.receivedAt).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(waits).toEqual([1]);
    expect(d).toMatchObject({ channel: 'C0COMPLY1', ts: fake.messages[0]!.ts, skipped: false });
    expect(fake.messages).toHaveLength(1);
  });

  it('still rate-limited after every retry: a retryable SlackUnavailableError', async () => {
    fake.rateLimit(0, 10);
    const plan = planAlerts(emptyAlertState(), [result('A.2.2', 'stale')], new Date(t0), policy);
    const err = await notifier()
      .deliver(plan.messages, emptyAlertState())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackUnavailableError);
    expect((err as SlackUnavailableError).retryable).toBe(true);
    expect((err as Error).message).toContain('still rate-limited by Slack after every retry');
    expect(fake.postCalls()).toHaveLength(3); // 1 + retries: 2
  });

  it('an invalid, missing or revoked token is a CredentialsError naming the config entry, not retried', async () => {
    const plan = planAlerts(emptyAlertState(), [result('A.2.2', 'stale')], new Date(t0), policy);
    for (const [token, code] of [
      ['xoxb-wrong', 'invalid_auth'],
      ['xoxb-revoked', 'token_revoked'],
    ] as const) {
      const before = fake.postCalls().length;
      const err = await notifier({ token })
        .deliver(plan.messages, emptyAlertState())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CredentialsError);
      expect((err as Error).message).toBe(
        `Slack rejected the bot token from alerts.slack.token ({ env: SLACK_BOT_TOKEN }): ${code}; issue a new bot token (xoxb-) with chat:write and update that secret`,
      );
      expect(fake.postCalls().length - before).toBe(1);
    }
    // No token at all (the header is omitted): not_authed.
    const err = await notifier({ token: '' })
      .deliver(plan.messages, emptyAlertState())
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain(': not_authed;');
    expect(fake.postCalls().at(-1)!.headers.authorization).toBeUndefined();
    // An injected invalid_auth (e.g. the token expired mid-run) is the same.
    fake.failWith('invalid_auth');
    expect(
      await notifier()
        .deliver(plan.messages, emptyAlertState())
        .catch((e: unknown) => e),
    ).toBeInstanceOf(CredentialsError);
    expect(fake.messages).toHaveLength(0);
    // checkAuth lets a worker fail at start.
    await expect(notifier({ token: 'xoxb-wrong' }).checkAuth()).rejects.toThrow(CredentialsError);
    await expect(notifier().checkAuth()).resolves.toEqual({
      team: 'Fake Workspace',
      user: 'evidence-hub',
      botId: 'B0FAKEBOT',
    });
  });

  it('an unknown channel is a SourceConfigError naming the channel, not retried', async () => {
    const plan = planAlerts(emptyAlertState(), [result('A.2.2', 'stale')], new Date(t0), {
      ...policy,
      defaultChannel: '#no-such-channel',
    });
    const err = await notifier()
      .deliver(plan.messages, emptyAlertState())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceConfigError);
    expect((err as Error).message).toBe(
      'Slack channel "#no-such-channel", routed for A.2.2: channel_not_found (no such channel, or a private channel the app was not invited to); fix alerts.slack.defaultChannel / alerts.slack.routes or the channel',
    );
    expect(fake.postCalls()).toHaveLength(1);
    fake.failWith('channel_not_found');
    const ok = planAlerts(emptyAlertState(), [result('A.2.2', 'stale')], new Date(t0), policy);
    expect(
      await notifier()
        .deliver(ok.messages, emptyAlertState())
        .catch((e: unknown) => e),
    ).toBeInstanceOf(SourceConfigError);
  });

  it('a message Slack refuses is a non-retryable SlackMessageError; a 503 is retried and then retryable', async () => {
    const plan = planAlerts(emptyAlertState(), [result('A.2.2', 'stale')], new Date(t0), policy);
    const broken: PlannedMessage = {
      ...plan.messages[0]!,
      blocks: Array.from({ length: 51 }, () => ({ type: 'divider' as const })),
    };
    const err = await notifier()
      .post(broken)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackMessageError);
    expect((err as Error).message).toMatch(/: Slack refused message [0-9a-f]{12}: invalid_blocks$/);
    expect(fake.postCalls().at(-1)!.response).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
      errors: ['no more than 50 items allowed [json-pointer:/blocks]'],
    });

    fake.failStatus(503, 3);
    const down = await notifier()
      .post(plan.messages[0]!)
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(SlackUnavailableError);
    expect((down as Error).message).toContain('Slack answered HTTP 503');
    fake.failStatus(503, 1);
    await expect(notifier().post(plan.messages[0]!)).resolves.toMatchObject({ channel: 'C0COMPLY1' });
  });

  it('an unreachable Slack is a retryable SlackUnavailableError naming the URL', async () => {
    const url = fake.url;
    await fake.close();
    const plan = planAlerts(emptyAlertState(), [result('A.2.2', 'stale')], new Date(t0), policy);
    const err = await notifier({ apiUrl: url })
      .post(plan.messages[0]!)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackUnavailableError);
    expect((err as Error).message).toContain(`cannot reach Slack at ${url}`);
    fake = await FakeSlack.start({ token: TOKEN, channels: [] }); // for afterEach
  });

  it('fromConfig resolves the token secret and uses apiUrl', async () => {
    const cfg = alertsConfigSchema.parse({
      slack: { token: { env: 'EH_TEST_SLACK_TOKEN' }, apiUrl: fake.url, defaultChannel: '#compliance' },
    });
    await expect(SlackNotifier.fromConfig(cfg, '/')).rejects.toThrow(
      /alerts\.slack\.token \(\{ env: EH_TEST_SLACK_TOKEN \}\): environment variable EH_TEST_SLACK_TOKEN is not set/,
    );
    const dir = await tempDir();
    await writeFile(path.join(dir, 'slack-token'), `${TOKEN}\n`);
    const fromFile = alertsConfigSchema.parse({
      slack: { token: { file: 'slack-token' }, apiUrl: fake.url, defaultChannel: '#compliance' },
    });
    const n = await SlackNotifier.fromConfig(fromFile, dir, { logger, retryConfig: { retries: 0 } });
    await expect(n.checkAuth()).resolves.toMatchObject({ botId: 'B0FAKEBOT' });
  });

  it('the fake also takes JSON bodies (Authorization header required), as Slack does', async () => {
    const post = (body: unknown, auth?: string) =>
      fetch(`${fake.url}chat.postMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(await post({ channel: 'C0COMPLY1', text: 'hi', token: TOKEN })).toEqual({ ok: false, error: 'not_authed' });
    const ok = await post(
      { channel: 'compliance', text: 'hi', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] },
      `Bearer ${TOKEN}`,
    );
    expect(ok).toMatchObject({
      ok: true,
      channel: 'C0COMPLY1',
      ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
      message: { type: 'message', bot_id: 'B0FAKEBOT', text: 'hi' },
    });
    expect(await post({ channel: 'C0COMPLY1' }, `Bearer ${TOKEN}`)).toEqual({ ok: false, error: 'no_text' });
  });
});
