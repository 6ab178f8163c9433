import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMessage, slackLimits } from '../../alerts/blocks';
import { alertPolicyFromConfig, alertsConfigSchema, unknownRouteMatches } from '../../alerts/config';
import { planAlerts } from '../../alerts/engine';
import { AlertDeliveryError, SlackMessageError, SlackUnavailableError } from '../../alerts/errors';
import { failingSource } from '../../alerts/grouping';
import { itemKey } from '../../alerts/keys';
import { routeFor } from '../../alerts/routing';
import { emptyAlertState, parseAlertState, recordDeliveries } from '../../alerts/state';
import type { AlertPolicy, AlertState, Block, Delivery, PlannedMessage } from '../../alerts/types';
import { ConnectorError } from '../../core/errors';
import { loadCatalog } from '../../mappings/catalog';
import { evaluate, type ControlResult, type ControlStatus, type SourceRun } from '../../mappings/evaluate';
import { alertOptions } from '../../workflows/activity-options';
import { blockProblems } from '../fakes/slack-server';
import { causeFor, sourceFailure } from '../support/causes';
import { DAY, doc, mappingsFrom } from '../support/mapping-fixture';
import { assertProperty } from '../support/property';

const HOUR = 3_600_000;
const t0 = Date.parse('2026-01-05T09:00:00Z');
const at = (ms: number) => new Date(ms);
const catalog = loadCatalog();
const byId = new Map(catalog.controls.map((c) => [c.id, c]));

function result(id: string, status: ControlStatus, extra: Partial<ControlResult> = {}): ControlResult {
  const c = byId.get(id);
  if (!c) throw new Error(`no control ${id}`);
  return {
    control: { id, title: c.title, group: c.group, groupTitle: c.groupTitle },
    status,
    cause: causeFor(status),
    reason: `${id} is ${status}`,
    evidence: status === 'missing' ? [] : [`ev:${id}:1`, `ev:${id}:2`],
    rules: [],
    ...extra,
  };
}

const basePolicy: AlertPolicy = {
  defaultChannel: '#compliance',
  routes: [],
  digest: false,
  reminderEveryMs: 7 * DAY,
  dueSoonNotice: true,
};
const policy = (p: Partial<AlertPolicy> = {}): AlertPolicy => ({ ...basePolicy, ...p });

/** Stands in for Slack in the pure tests: assigns ts, turns names into ids, fails on any key posted twice. */
class PretendSlack {
  readonly posted: PlannedMessage[] = [];
  private readonly tsByKey = new Map<string, string>();
  private readonly keys = new Set<string>();
  private readonly items = new Set<string>();
  private n = 0;

  deliver(messages: readonly PlannedMessage[], state: AlertState): Delivery[] {
    return messages.map((m) => {
      const rec = state.posted[m.key];
      if (rec)
        return {
          key: m.key,
          channel: rec.channel,
          ts: rec.ts,
          skipped: true,
          itemKeys: m.items.map((i) => i.key),
          at: rec.at,
        };
      if (this.keys.has(m.key)) throw new Error(`message ${m.key} posted twice`);
      for (const i of m.items) {
        if (this.items.has(i.key)) throw new Error(`item ${i.kind} ${i.control} (${i.key}) posted twice`);
        this.items.add(i.key);
      }
      this.keys.add(m.key);
      this.posted.push(m);
      this.n++;
      const channel = m.channel.startsWith('#')
        ? `C${m.channel
            .slice(1)
            .toUpperCase()
            .replace(/[^A-Z0-9]/g, '')}`
        : m.channel;
      const ts = `${1_700_000_000 + this.n}.000100`;
      this.tsByKey.set(m.key, ts);
      return { key: m.key, channel, ts, skipped: false, itemKeys: m.items.map((i) => i.key), at: m.at };
    });
  }

  tsOf(key: string): string | undefined {
    return this.tsByKey.get(key);
  }
}

/** One monitor run: plan, post, record. */
function run(state: AlertState, results: ControlResult[], now: number, pol: AlertPolicy, slack: PretendSlack) {
  const plan = planAlerts(state, results, at(now), pol);
  const deliveries = slack.deliver(plan.messages, state);
  return { plan, deliveries, state: recordDeliveries(plan.next, deliveries) };
}

const allTexts = (blocks: Block[]): string[] =>
  blocks.flatMap((b) =>
    b.type === 'header' || b.type === 'section'
      ? [b.text.text]
      : b.type === 'context'
        ? b.elements.map((e) => e.text)
        : [],
  );
const blockText = (m: PlannedMessage) => allTexts(m.blocks).join('\n');

function expectWithinSlackLimits(m: PlannedMessage) {
  expect(m.blocks.length).toBeLessThanOrEqual(50);
  expect(blockProblems(m.blocks)).toEqual([]);
  expect(m.text.length).toBeLessThanOrEqual(3000);
}

describe('alerts: transitions', () => {
  it('no previous state: problems are announced once, current and not-applicable controls are quiet', () => {
    const slack = new PretendSlack();
    const r = run(
      emptyAlertState(),
      [
        result('A.2.2', 'current'),
        result('A.2.3', 'stale'),
        result('A.2.4', 'missing'),
        result('A.3.2', 'not-applicable'),
      ],
      t0,
      policy(),
      slack,
    );
    expect(r.plan.messages.map((m) => [m.kind, m.controls, m.items[0]!.to])).toEqual([
      ['alert', ['A.2.3'], 'stale'],
      ['alert', ['A.2.4'], 'missing'],
    ]);
    expect(Object.keys(r.state.controls)).toEqual(['A.2.2', 'A.2.3', 'A.2.4', 'A.3.2']);
    expect(r.state.controls['A.2.3']).toMatchObject({
      status: 'stale',
      since: at(t0).toISOString(),
      thread: { channel: 'CCOMPLIANCE', ts: r.deliveries[0]!.ts },
    });
    for (const m of r.plan.messages) expectWithinSlackLimits(m);
  });

  it('no message when nothing changed', () => {
    const slack = new PretendSlack();
    const results = [
      result('A.2.2', 'current'),
      result('A.2.3', 'stale'),
      result('A.2.4', 'due-soon'),
      result('A.3.2', 'not-applicable'),
    ];
    const first = run(emptyAlertState(), results, t0, policy(), slack);
    for (let h = 1; h < 7 * 24; h++) {
      const again = planAlerts(first.state, results, at(t0 + h * HOUR), policy());
      expect(again.messages).toEqual([]);
    }
  });

  it('current -> due-soon is a notice ahead of the due date when dueSoonNotice is on, silent when off', () => {
    const slack = new PretendSlack();
    const s0 = run(emptyAlertState(), [result('A.2.2', 'current')], t0, policy(), slack).state;
    const due = result('A.2.2', 'due-soon', {
      dueAt: at(t0 + 20 * DAY).toISOString(),
      reason:
        'due soon: newest evidence effective 2025-01-25, current until 2026-01-25 (max age 365d, warning 14d before)',
    });
    const on = planAlerts(s0, [due], at(t0 + DAY), policy());
    expect(on.messages).toHaveLength(1);
    expect(on.messages[0]!.items[0]).toMatchObject({ kind: 'alert', from: 'current', to: 'due-soon' });
    expect(on.messages[0]!.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: ':large_yellow_circle: Evidence due soon: A.2.2 AI policy' },
    });
    expect(blockText(on.messages[0]!)).toContain('(in 19d)');
    expect(planAlerts(s0, [due], at(t0 + DAY), policy({ dueSoonNotice: false })).messages).toEqual([]);
  });

  it('any -> stale and any -> missing alert; a change between problems alerts again', () => {
    const slack = new PretendSlack();
    let s = run(
      emptyAlertState(),
      [result('A.2.2', 'current'), result('A.2.3', 'due-soon'), result('A.2.4', 'not-applicable')],
      t0,
      policy({ dueSoonNotice: false }),
      slack,
    ).state;
    const r1 = run(
      s,
      [result('A.2.2', 'stale'), result('A.2.3', 'stale'), result('A.2.4', 'missing')],
      t0 + DAY,
      policy(),
      slack,
    );
    expect(r1.plan.messages.map((m) => `${m.controls[0]} ${m.items[0]!.from}->${m.items[0]!.to}`)).toEqual([
      'A.2.2 current->stale',
      'A.2.3 due-soon->stale',
      'A.2.4 not-applicable->missing',
    ]);
    expect(r1.plan.messages[0]!.blocks[0]).toMatchObject({
      text: { text: ':red_circle: Evidence stale: A.2.2 AI policy' },
    });
    s = r1.state;
    const r2 = run(
      s,
      [result('A.2.2', 'missing'), result('A.2.3', 'stale'), result('A.2.4', 'missing')],
      t0 + 2 * DAY,
      policy(),
      slack,
    );
    expect(r2.plan.messages.map((m) => `${m.controls[0]} ${m.items[0]!.from}->${m.items[0]!.to}`)).toEqual([
      'A.2.2 stale->missing',
    ]);
    // The newest alert is the one a recovery answers.
    expect(r2.state.controls['A.2.2']!.thread!.ts).toBe(r2.deliveries[0]!.ts);
  });

  it('any -> collection-failed: one message per failing source, saying how soon the controls go stale', () => {
    const slack = new PretendSlack();
    const ids = ['A.6.2.2', 'A.6.2.3', 'A.6.2.4', 'A.6.2.5', 'A.6.2.6', 'A.6.2.7'];
    const s = run(
      emptyAlertState(),
      [...ids, 'A.2.2'].map((id) => result(id, 'current')),
      t0,
      policy(),
      slack,
    ).state;
    const failedAt = at(t0 + DAY - HOUR).toISOString();
    const gh = ids.map((id, i) =>
      result(id, 'collection-failed', {
        cause: sourceFailure({ source: 'github', at: failedAt, error: 'CredentialsError: GitHub token expired' }),
        reason: `source "github" failed at ${failedAt}: CredentialsError: GitHub token expired; evidence goes stale in ${4 + i}d (2026-01-1${i})`,
        dueAt: at(t0 + DAY + (4 + i) * DAY).toISOString(),
      }),
    );
    const jira = result('A.2.2', 'collection-failed', {
      cause: sourceFailure({ source: 'jira', at: failedAt, error: '2 of 40 issues unreadable', outcome: 'partial' }),
      reason: `source "jira" collected with problems at ${failedAt}: 2 of 40 issues unreadable; evidence is already stale`,
      dueAt: at(t0 - DAY).toISOString(),
    });
    const r = run(s, [...gh, jira], t0 + DAY, policy(), slack);
    expect(r.plan.messages).toHaveLength(2);
    const [jiraMsg, ghMsg] = r.plan.messages; // sorted by channel, then first control: A.2.2 before A.6
    expect(jiraMsg!.controls).toEqual(['A.2.2']);
    expect(ghMsg!.controls).toEqual(ids);
    expect(ghMsg!.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: ':warning: Collection failed: source "github"' },
    });
    expect(blockText(ghMsg!)).toContain(
      'CredentialsError: GitHub token expired\n*6 controls will go stale, the first in 4d (',
    );
    expect(ghMsg!.text).toBe(
      'CredentialsError: GitHub token expired: 6 controls will go stale, the first in 4d (2026-01-10) (source github: A.6.2.2, A.6.2.3, A.6.2.4, A.6.2.5, A.6.2.6, A.6.2.7)',
    );
    expect(blockText(jiraMsg!)).toContain('Source *jira* collected with problems');
    expect(blockText(jiraMsg!)).toContain('1 control already stale or missing');
    // A second run with the same failure is quiet; the source recovering is a recovery in each thread.
    expect(planAlerts(r.state, [...gh, jira], at(t0 + DAY + HOUR), policy()).messages).toEqual([]);
    const back = planAlerts(
      r.state,
      [...ids, 'A.2.2'].map((id) => result(id, 'current')),
      at(t0 + 2 * DAY),
      policy(),
    );
    expect(back.messages.map((m) => [m.kind, m.threadTs, m.controls.length])).toEqual([
      ['recovery', r.deliveries[0]!.ts, 1],
      ['recovery', r.deliveries[1]!.ts, 6],
    ]);
  });

  it('six failing sources are one group whose heading names them all, never filed under the first', () => {
    const slack = new PretendSlack();
    const ids = ['A.6.2.2', 'A.6.2.3'];
    const s = run(
      emptyAlertState(),
      ids.map((id) => result(id, 'current')),
      t0,
      policy(),
      slack,
    ).state;
    const failedAt = at(t0 + HOUR).toISOString();
    const more = ['gh-b', 'gh-c', 'gh-d', 'gh-e', 'gh-f'];
    const failed = ids.map((id) =>
      result(id, 'collection-failed', {
        cause: sourceFailure({ source: 'gh-a', at: failedAt, error: 'CredentialsError: token expired', more }),
      }),
    );
    // A control failing on a different set of sources is a different group.
    const onlyA = result('A.2.2', 'collection-failed', {
      cause: sourceFailure({ source: 'gh-a', at: failedAt, error: 'CredentialsError: token expired' }),
    });
    const r = run(s, [...failed, onlyA], t0 + DAY, policy(), slack);
    expect(r.plan.messages).toHaveLength(2);
    const six = r.plan.messages.find((m) => m.controls.length === 2)!;
    expect(six.blocks[0]).toMatchObject({
      text: { text: ':warning: Collection failed: 6 sources "gh-a", "gh-b", "gh-c" and 3 more' },
    });
    expect(blockText(six)).toContain('6 sources *gh-a*, *gh-b*, *gh-c* and 3 more failed');
    expect(blockText(six)).toContain('(gh-a): CredentialsError: token expired');
    const one = r.plan.messages.find((m) => m.controls.length === 1)!;
    expect(one.blocks[0]).toMatchObject({ text: { text: ':warning: Collection failed: source "gh-a"' } });
  });

  it("the failing source is read from the evaluator's cause", async () => {
    const m = await mappingsFrom(
      `rules:\n  - id: ai-policy\n    controls: [A.2.2]\n    select: { source: folder }\n    freshness: { maxAge: 365d, grace: 30d }\n`,
    );
    const runs: SourceRun[] = [
      {
        source: 'docs',
        sourceType: 'folder',
        at: t0 - DAY,
        status: 'failed',
        error: 'CredentialsError: token expired',
      },
    ];
    const evaluated = (r: SourceRun[], artifacts = [doc('p.md', t0 - 361 * DAY)]) =>
      evaluate({
        artifacts,
        sourceRuns: r,
        mappings: m,
        notApplicable: [],
        now: at(t0),
      }).find((x) => x.control.id === 'A.2.2')!;
    expect(failingSource(evaluated(runs))).toEqual({
      source: 'docs',
      sources: ['docs'],
      outcome: 'failed',
      at: at(t0 - DAY).toISOString(),
      error: 'CredentialsError: token expired',
    });
    const partial: SourceRun[] = [
      { source: 'docs', sourceType: 'folder', at: t0, status: 'partial', error: '1 of 3 export file(s) failed' },
    ];
    // A partial run that still supplied the evidence names its problem but is no failing source (#15)...
    expect(failingSource(evaluated(partial))).toBeUndefined();
    // ...one that yielded nothing usable for the rule is.
    expect(failingSource(evaluated(partial, []))).toMatchObject({
      outcome: 'collected with problems',
      error: '1 of 3 export file(s) failed',
    });
    expect(
      failingSource({
        cause: sourceFailure({ source: 'a b', at: '2026-01-01T00:00:00.000Z', error: 'x: y; z', rules: 2 }),
      }),
    ).toMatchObject({ source: 'a b', error: 'x: y; z' });
    expect(failingSource(result('A.2.2', 'stale'))).toBeUndefined();
  });

  it('recovery to evidence current is a reply in the thread of the alert, never broadcast; to not-applicable as well', () => {
    const slack = new PretendSlack();
    const r1 = run(emptyAlertState(), [result('A.2.2', 'stale'), result('A.2.3', 'missing')], t0, policy(), slack);
    const r2 = run(
      r1.state,
      [result('A.2.2', 'current'), result('A.2.3', 'not-applicable')],
      t0 + 3 * DAY,
      policy(),
      slack,
    );
    expect(
      r2.plan.messages.map((m) => ({ kind: m.kind, channel: m.channel, threadTs: m.threadTs, controls: m.controls })),
    ).toEqual([
      { kind: 'recovery', channel: 'CCOMPLIANCE', threadTs: r1.deliveries[0]!.ts, controls: ['A.2.2'] },
      { kind: 'recovery', channel: 'CCOMPLIANCE', threadTs: r1.deliveries[1]!.ts, controls: ['A.2.3'] },
    ]);
    expect(r2.plan.messages[0]!.blocks[0]).toMatchObject({
      text: { text: ':white_check_mark: Recovered: A.2.2 AI policy' },
    });
    expect(blockText(r2.plan.messages[0]!)).toContain('*A.2.2* is *evidence current* now, after 3d stale.');
    // The episode is closed: no more reminders, and going stale again is a new alert with a new thread.
    expect(r2.state.controls['A.2.2']).toEqual({ status: 'current', since: at(t0 + 3 * DAY).toISOString() });
    const r3 = run(
      r2.state,
      [result('A.2.2', 'stale'), result('A.2.3', 'not-applicable')],
      t0 + 4 * DAY,
      policy(),
      slack,
    );
    expect(r3.plan.messages.map((m) => [m.kind, m.threadTs])).toEqual([['alert', undefined]]);
  });

  it('a recovery whose alert was never recorded as posted goes to the channel top level', () => {
    const r1 = planAlerts(emptyAlertState(), [result('A.2.2', 'stale')], at(t0), policy());
    const r2 = planAlerts(r1.next, [result('A.2.2', 'current')], at(t0 + DAY), policy());
    expect(r2.messages.map((m) => [m.kind, m.channel, m.threadTs])).toEqual([['recovery', '#compliance', undefined]]);
  });

  it('due-soon noticed, then renewed: the notice thread gets the recovery; stale -> due-soon also closes the alert', () => {
    const slack = new PretendSlack();
    const r1 = run(emptyAlertState(), [result('A.2.2', 'due-soon'), result('A.2.3', 'stale')], t0, policy(), slack);
    const r2 = run(r1.state, [result('A.2.2', 'current'), result('A.2.3', 'due-soon')], t0 + DAY, policy(), slack);
    expect(r2.plan.messages.map((m) => [m.kind, m.controls[0], m.items[0]!.from, m.items[0]!.to, m.threadTs])).toEqual([
      ['recovery', 'A.2.2', 'due-soon', 'current', r1.deliveries[0]!.ts],
      ['recovery', 'A.2.3', 'stale', 'due-soon', r1.deliveries[1]!.ts],
    ]);
  });
});

describe('alerts: overdue and what is not a recovery', () => {
  it('current -> overdue (grace) is an alert, louder than a due-soon notice, and is reminded; overdue -> stale alerts again', () => {
    const slack = new PretendSlack();
    const s0 = run(emptyAlertState(), [result('A.2.2', 'current')], t0, policy(), slack).state;
    const r1 = run(s0, [result('A.2.2', 'overdue')], t0 + DAY, policy({ defaultMention: '<@U1>' }), slack);
    expect(r1.plan.messages.map((m) => [m.kind, m.items[0]!.from, m.items[0]!.to])).toEqual([
      ['alert', 'current', 'overdue'],
    ]);
    expect(r1.plan.messages[0]!.blocks[0]).toMatchObject({
      text: { text: ':hourglass: Evidence overdue (grace): A.2.2 AI policy' },
    });
    expect(blockText(r1.plan.messages[0]!)).toContain('<@U1>');
    const r2 = run(r1.state, [result('A.2.2', 'overdue')], t0 + 8 * DAY, policy(), slack);
    expect(r2.plan.messages.map((m) => m.kind)).toEqual(['reminder']);
    const r3 = run(r2.state, [result('A.2.2', 'stale')], t0 + 9 * DAY, policy(), slack);
    expect(r3.plan.messages.map((m) => [m.kind, m.items[0]!.from, m.items[0]!.to])).toEqual([
      ['alert', 'overdue', 'stale'],
    ]);
  });

  // From a problem (or a noticed due-soon) to each status: is it announced as a recovery?
  it.each([
    ['missing', 'design-only', false],
    ['missing', 'not-configured', false],
    ['stale', 'design-only', false],
    ['stale', 'not-configured', false],
    ['stale', 'unverified', false],
    ['stale', 'not-exercised', false],
    ['collection-failed', 'design-only', false],
    ['due-soon', 'design-only', false],
    ['stale', 'current', true],
    ['missing', 'due-soon', true],
    ['overdue', 'current', true],
    ['exception', 'not-applicable', true],
  ] as const)('%s -> %s: recovery %s', (from, to, recovery) => {
    const slack = new PretendSlack();
    const r1 = run(emptyAlertState(), [result('A.2.2', from)], t0, policy(), slack);
    expect(r1.plan.messages.map((m) => m.kind)).toEqual(['alert']);
    const r2 = run(r1.state, [result('A.2.2', to)], t0 + DAY, policy(), slack);
    expect(r2.plan.messages.map((m) => m.kind)).toEqual(recovery ? ['recovery'] : []);
    if (recovery) return;
    // The episode stays open, silently (no reminders), and its thread gets the real recovery later.
    expect(r2.state.controls['A.2.2']).toMatchObject({ status: to, alertKey: r1.state.controls['A.2.2']!.alertKey });
    expect(run(r2.state, [result('A.2.2', to)], t0 + 30 * DAY, policy(), slack).plan.messages).toEqual([]);
    const r3 = run(r2.state, [result('A.2.2', 'current')], t0 + 31 * DAY, policy(), slack);
    expect(r3.plan.messages.map((m) => [m.kind, m.threadTs, m.items[0]!.from])).toEqual([
      ['recovery', r1.deliveries[0]!.ts, to],
    ]);
  });

  it('a persisted state written before the rename reads fresh as current', () => {
    const state = parseAlertState({
      version: 1,
      controls: { 'A.2.2': { status: 'fresh', since: '2026-01-01T00:00:00.000Z' } },
      posted: {},
    });
    expect(state.controls['A.2.2']!.status).toBe('current');
  });
});

describe('alerts: reminders', () => {
  it('90 simulated days: current 30, due-soon 15, stale 40, then current: exactly the expected messages', () => {
    const script = (d: number): ControlStatus =>
      d < 30 ? 'current' : d < 45 ? 'due-soon' : d < 85 ? 'stale' : 'current';
    for (const stepHours of [24, 6]) {
      const slack = new PretendSlack();
      let state = emptyAlertState();
      const log: { day: number; kind: string; status: string; threadTs?: string; ts: string }[] = [];
      for (let h = 0; h < 90 * 24; h += stepHours) {
        const now = t0 + h * HOUR;
        const d = Math.floor(h / 24);
        const results = [
          result('A.6.2.8', script(d), { dueAt: at(t0 + 45 * DAY).toISOString() }),
          result('A.2.2', 'current'),
        ];
        const r = run(state, results, now, policy(), slack);
        r.plan.messages.forEach((m, i) =>
          log.push({
            day: d + (h % 24) / 24,
            kind: m.kind,
            status: m.items[0]!.to,
            ...(m.threadTs ? { threadTs: m.threadTs } : {}),
            ts: r.deliveries[i]!.ts,
          }),
        );
        state = r.state;
      }
      const staleAlert = log.find((l) => l.kind === 'alert' && l.status === 'stale')!;
      expect(
        log.map(({ day, kind, status, threadTs }) => ({ day, kind, status, ...(threadTs ? { threadTs } : {}) })),
      ).toEqual([
        { day: 30, kind: 'alert', status: 'due-soon' },
        { day: 45, kind: 'alert', status: 'stale' },
        { day: 52, kind: 'reminder', status: 'stale' },
        { day: 59, kind: 'reminder', status: 'stale' },
        { day: 66, kind: 'reminder', status: 'stale' },
        { day: 73, kind: 'reminder', status: 'stale' },
        { day: 80, kind: 'reminder', status: 'stale' },
        { day: 85, kind: 'recovery', status: 'current', threadTs: staleAlert.ts },
      ]);
      expect(
        slack.posted
          .filter((m) => m.kind === 'reminder')
          .every((m) => m.text.startsWith('Reminder: still Evidence stale: A.6.2.8')),
      ).toBe(true);
      expect(state.controls['A.6.2.8']).toEqual({ status: 'current', since: at(t0 + 85 * DAY).toISOString() });
    }
  });

  it('the cadence counts from the last reminder, whatever the run times; never more often', () => {
    const slack = new PretendSlack();
    let state = run(
      emptyAlertState(),
      [result('A.2.2', 'missing')],
      t0,
      policy({ reminderEveryMs: 3 * DAY }),
      slack,
    ).state;
    const times: number[] = [];
    // Irregular runs: every 5 to 29 hours.
    let now = t0;
    for (let i = 0; i < 40; i++) {
      now += (5 + ((i * 7) % 25)) * HOUR;
      const r = run(state, [result('A.2.2', 'missing')], now, policy({ reminderEveryMs: 3 * DAY }), slack);
      if (r.plan.messages.length > 0) times.push(now);
      state = r.state;
    }
    expect(times.length).toBeGreaterThan(3);
    let prev = t0;
    for (const t of times) {
      expect(t - prev).toBeGreaterThanOrEqual(3 * DAY);
      expect(t - prev).toBeLessThan(3 * DAY + 29 * HOUR); // the first run after it is due
      prev = t;
    }
  });

  it('failures are grouped by the source in the cause: rewording the reason sentence changes nothing', () => {
    const failedAt = at(t0 - HOUR).toISOString();
    const failed = (id: string, source: string, reason: string) =>
      result(id, 'collection-failed', {
        cause: sourceFailure({ source, at: failedAt, error: 'HTTP 401', rules: 2 }),
        reason,
        dueAt: at(t0 + 5 * DAY).toISOString(),
      });
    const plan = (reasons: (id: string) => string) =>
      planAlerts(
        emptyAlertState(),
        [
          failed('A.6.2.2', 'github', reasons('A.6.2.2')),
          failed('A.6.2.3', 'github', reasons('A.6.2.3')),
          failed('A.6.2.4', 'jira', reasons('A.6.2.4')),
        ],
        at(t0),
        policy(),
      );
    // Sentences that share no wording with the evaluator's, and one that names a different source.
    const reworded = plan((id) => `Quelle für ${id} ist ausgefallen`);
    const misleading = plan(() => 'source "jira" failed at 2020-01-01T00:00:00.000Z: not this one');
    for (const p of [reworded, misleading]) {
      expect(p.messages.map((m) => [m.controls, m.blocks[0]])).toEqual([
        [
          ['A.6.2.2', 'A.6.2.3'],
          { type: 'header', text: expect.objectContaining({ text: ':warning: Collection failed: source "github"' }) },
        ],
        [
          ['A.6.2.4'],
          { type: 'header', text: expect.objectContaining({ text: ':warning: Collection failed: source "jira"' }) },
        ],
      ]);
      expect(p.messages[0]!.text).toContain('HTTP 401: 2 controls will go stale in 5d');
    }
    // Same causes, same plan: only the quoted sentences differ.
    expect(reworded.messages.map((m) => m.key)).toEqual(misleading.messages.map((m) => m.key));
  });

  it('collection-failed reminders stay grouped by source', () => {
    const slack = new PretendSlack();
    const failed = (id: string) =>
      result(id, 'collection-failed', {
        cause: sourceFailure({ source: 'github', at: at(t0).toISOString(), error: 'HTTP 401' }),
        reason: `source "github" failed at ${at(t0).toISOString()}: HTTP 401; evidence goes stale in 9d (x)`,
        dueAt: at(t0 + 9 * DAY).toISOString(),
      });
    const s = run(emptyAlertState(), [failed('A.6.2.2'), failed('A.6.2.3')], t0, policy(), slack).state;
    const r = planAlerts(s, [failed('A.6.2.2'), failed('A.6.2.3')], at(t0 + 7 * DAY), policy());
    expect(r.messages.map((m) => [m.kind, m.controls])).toEqual([['reminder', ['A.6.2.2', 'A.6.2.3']]]);
    expect(r.messages[0]!.blocks[0]).toMatchObject({ text: { text: ':alarm_clock: Still failing: source "github"' } });
    expect(blockText(r.messages[0]!)).toContain('2 controls will go stale in 2d');
  });
});

describe('alerts: digest and routing', () => {
  const routes = [
    { match: 'A.6', channel: '#ml-platform', mention: '<!subteam^S0ML>' },
    { match: 'A.6.2.8', channel: 'C0LOGS99', mention: '<@U0LOGS>' },
    { match: 'A.2', channel: '#policy' },
  ];

  it('routing: the most specific match wins, at dot boundaries, with the default for the rest', () => {
    const pol = policy({ routes, defaultMention: '<@U0LEAD>' });
    expect(routeFor('A.6.2.8', pol)).toEqual({ channel: 'C0LOGS99', match: 'A.6.2.8', mention: '<@U0LOGS>' });
    expect(routeFor('A.6.2.6', pol)).toEqual({ channel: '#ml-platform', match: 'A.6', mention: '<!subteam^S0ML>' });
    expect(routeFor('A.2.2', pol)).toEqual({ channel: '#policy', match: 'A.2' });
    expect(routeFor('A.20.1', pol)).toEqual({ channel: '#compliance', mention: '<@U0LEAD>' });
    expect(routeFor('A.10.2', pol)).toEqual({ channel: '#compliance', mention: '<@U0LEAD>' });
    // Order in the config does not matter, only specificity.
    expect(routeFor('A.6.2.8', policy({ routes: [...routes].reverse() }))).toMatchObject({ channel: 'C0LOGS99' });
    const plan = planAlerts(
      emptyAlertState(),
      ['A.2.2', 'A.6.2.6', 'A.6.2.8', 'A.10.2'].map((id) => result(id, 'stale')),
      at(t0),
      pol,
    );
    expect(plan.messages.map((m) => [m.channel, m.controls[0], m.text.split(' ')[0]])).toEqual([
      ['#compliance', 'A.10.2', '<@U0LEAD>'],
      ['#ml-platform', 'A.6.2.6', '<!subteam^S0ML>'],
      ['#policy', 'A.2.2', 'Evidence'],
      ['C0LOGS99', 'A.6.2.8', '<@U0LOGS>'],
    ]);
    // Mentions are in a section too (they notify from blocks), unescaped.
    expect(plan.messages[1]!.blocks[1]).toMatchObject({
      type: 'section',
      text: { text: '<!subteam^S0ML> *A.6.2.6* is *stale*.' },
    });
  });

  it('digest: all alerts and reminders for a channel in one run become one message; recoveries stay threaded', () => {
    const slack = new PretendSlack();
    const pol = policy({ routes, digest: true });
    const s = run(
      emptyAlertState(),
      [
        result('A.6.1.2', 'stale'),
        result('A.6.1.3', 'current'),
        result('A.2.2', 'missing'),
        result('A.6.2.8', 'stale'),
      ],
      t0,
      pol,
      slack,
    );
    // Three channels, one control each: single messages, no digest wrapper needed.
    expect(s.plan.messages.map((m) => [m.kind, m.channel])).toEqual([
      ['alert', '#ml-platform'],
      ['alert', '#policy'],
      ['alert', 'C0LOGS99'],
    ]);
    const failed = (id: string) =>
      result(id, 'collection-failed', {
        cause: sourceFailure({ source: 'mlflow', at: at(t0).toISOString(), error: 'connect ECONNREFUSED' }),
        reason: `source "mlflow" failed at ${at(t0).toISOString()}: connect ECONNREFUSED; evidence goes stale in 3d (x)`,
        dueAt: at(t0 + 10 * DAY).toISOString(),
      });
    const later = [
      result('A.6.1.2', 'stale'),
      result('A.6.1.3', 'due-soon'),
      failed('A.6.2.2'),
      failed('A.6.2.3'),
      result('A.6.2.4', 'missing'),
      result('A.2.2', 'current'),
      result('A.6.2.8', 'stale'),
    ];
    const r = run(s.state, later, t0 + 7 * DAY, pol, slack);
    // Ordered by channel: the recovery goes to the channel id Slack answered for #policy.
    expect(r.plan.messages.map((m) => [m.kind, m.channel, m.controls, m.threadTs])).toEqual([
      ['digest', '#ml-platform', ['A.6.1.2', 'A.6.1.3', 'A.6.2.2', 'A.6.2.3', 'A.6.2.4'], undefined],
      ['reminder', 'C0LOGS99', ['A.6.2.8'], undefined],
      ['recovery', 'CPOLICY', ['A.2.2'], s.deliveries[1]!.ts],
    ]);
    const digest = r.plan.messages[0]!;
    expect(digest.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: ':rotating_light: Evidence alerts: 4 new, 1 still open' },
    });
    const text = blockText(digest);
    expect(text).toContain('*New: 1 control overdue, stale, missing or in exception*');
    expect(text).toContain('Source *mlflow* failed');
    expect(text).toContain('*Due soon: 1 control inside the warning window*');
    expect(text).toContain(':alarm_clock: *Still open: 1 control* (reminder every 7d)');
    // A section per control, with id, title, emoji, due date, evidence count, the next step (from the cause)
    // and the owner (the route's mention: no document names one), then the reason.
    const sec = digest.blocks.find((b) => b.type === 'section' && b.text.text.startsWith('*A.6.2.4*'));
    expect(sec).toMatchObject({
      text: {
        type: 'mrkdwn',
        text: '*A.6.2.4* AI system verification and validation\n:black_circle: *missing* · 0 evidence records\n*Next step:* add the record for fixture-rule where the hub collects it (fixture), then sweep · *Owner:* <!subteam^S0ML>\n>A.6.2.4 is missing',
      },
    });
    expect(digest.blocks.at(-2)).toMatchObject({ type: 'context' });
    expect(allTexts([digest.blocks.at(-2)!])[0]).toMatch(
      /^Evaluated <!date\^\d+\^\{date_short_pretty\} \{time\}\|2026-01-12 09:00 UTC>$/,
    );
    expect(digest.text.startsWith('<!subteam^S0ML> Evidence alerts (4 new, 1 still open)')).toBe(true);
    for (const m of r.plan.messages) expectWithinSlackLimits(m);
    // Every control's alert thread is the digest it was announced in.
    expect(r.state.controls['A.6.2.4']!.thread).toEqual({ channel: 'CMLPLATFORM', ts: r.deliveries[0]!.ts });
  });

  it('Slack limits: 80 controls fit in 50 blocks, long and hostile text is cut and escaped', () => {
    const many = Array.from({ length: 80 }, (_, i) => ({
      id: `A.99.${i + 1}`,
      title: 'x'.repeat(300),
      status: 'stale' as const,
      reason: `<!channel> & ${'r'.repeat(5000)}`,
      evidenceCount: i,
    }));
    const { blocks, text } = buildMessage({
      header: 'h'.repeat(400),
      sections: [{ heading: '*group*', lines: many }],
      at: at(t0),
      summary: 's <b> '.repeat(2000),
      mentions: ['<@U1>'],
    });
    expect(blocks).toHaveLength(50);
    expect(blockProblems(blocks)).toEqual([]);
    expect(allTexts(blocks).join('\n')).not.toContain('<!channel>');
    expect(allTexts(blocks).join('\n')).toContain('&lt;!channel&gt; &amp; rrr');
    expect(blocks.at(-3)).toMatchObject({
      type: 'section',
      text: { text: expect.stringMatching(/^…and 36 more controls: A\.99\.45, A\.99\.46, .*, A\.99\.80$/) },
    });
    expect(text.length).toBeLessThanOrEqual(slackLimits.fallbackText);
    expect(text.startsWith('<@U1> s &lt;b&gt;')).toBe(true);
    for (const t of allTexts(blocks)) expect(t.length).toBeLessThanOrEqual(3000);
  });

  it('a digest of every control of the catalog stays within Slack limits', () => {
    const plan = planAlerts(
      emptyAlertState(),
      catalog.controls.map((c) => result(c.id, 'stale', { reason: 'y'.repeat(4000) })),
      at(t0),
      policy({ digest: true }),
    );
    expect(plan.messages).toHaveLength(1);
    expect(plan.messages[0]!.controls).toHaveLength(38);
    expectWithinSlackLimits(plan.messages[0]!);
  });
});

describe('alerts: idempotency', () => {
  const results = [result('A.2.2', 'stale'), result('A.2.3', 'missing'), result('A.6.2.8', 'stale')];

  it('keys are stable across replays and retries: anchored on state, not on the wall clock', () => {
    const a = planAlerts(emptyAlertState(), results, at(t0), policy());
    const b = planAlerts(emptyAlertState(), structuredClone(results).reverse(), at(t0), policy());
    expect(b).toEqual(a);
    const retry = planAlerts(emptyAlertState(), results, at(t0 + 17 * 60_000), policy());
    expect(retry.messages.map((m) => m.key)).toEqual(a.messages.map((m) => m.key));
    // The key format is part of the persisted state: changing it re-posts after an upgrade.
    // (The status was renamed fresh -> current: this expected key changed with it, deliberately; a persisted
    // `fresh` reads as `current`, state.ts.)
    expect(itemKey('alert', '#compliance', 'A.2.2', 'current', '2026-01-01T00:00:00.000Z', 'stale')).toBe(
      '146a144abc96dbb21385197dcb04aaa051dbe9a2d07c45ac36a36e74b52a4236',
    );
    // Different channel, transition or episode: a different key.
    const k = (ch: string, from: ControlStatus, since: string, to: ControlStatus) =>
      itemKey('alert', ch, 'A.2.2', from, since, to);
    const keys = new Set([
      k('#a', 'current', 's1', 'stale'),
      k('#b', 'current', 's1', 'stale'),
      k('#a', 'due-soon', 's1', 'stale'),
      k('#a', 'current', 's2', 'stale'),
      k('#a', 'current', 's1', 'missing'),
    ]);
    expect(keys.size).toBe(5);
  });

  it('a run that crashed after posting some messages posts only the rest, and learns the threads', () => {
    const slack = new PretendSlack();
    const prev = emptyAlertState();
    const plan = planAlerts(prev, results, at(t0), policy());
    expect(plan.messages).toHaveLength(3);
    // Posted the first, stored its key (recordDeliveries on the *previous* state), then crashed.
    const first = slack.deliver(plan.messages.slice(0, 1), prev);
    const saved = JSON.parse(JSON.stringify(recordDeliveries(prev, first))) as unknown;
    const retry = run(parseAlertState(saved), results, t0 + 5 * 60_000, policy(), slack);
    expect(retry.plan.messages.map((m) => m.controls[0])).toEqual(['A.2.3', 'A.6.2.8']);
    expect(retry.state.controls['A.2.2']!.thread).toEqual({ channel: first[0]!.channel, ts: first[0]!.ts });
    expect(slack.posted).toHaveLength(3);
    // The notifier-side guard: a stale plan replayed against the stored state skips what was posted.
    const replayed = slack.deliver(plan.messages, retry.state);
    expect(replayed.every((d) => d.skipped)).toBe(true);
  });

  it('digest: a crash after posting, then a later run with one more problem, posts only the new control', () => {
    const slack = new PretendSlack();
    const pol = policy({ digest: true });
    const prev = emptyAlertState();
    const plan = planAlerts(prev, results, at(t0), pol);
    expect(plan.messages.map((m) => m.kind)).toEqual(['digest']);
    const stored = recordDeliveries(prev, slack.deliver(plan.messages, prev)); // next was never stored
    const later = run(stored, [...results, result('A.2.4', 'missing')], t0 + HOUR, pol, slack);
    expect(later.plan.messages.map((m) => [m.kind, m.controls])).toEqual([['alert', ['A.2.4']]]);
    expect(later.state.controls['A.2.2']!.thread!.ts).toBe(
      slack.posted[0] && later.state.posted[plan.messages[0]!.key]!.ts,
    );
  });

  it('posted keys are pruned by age and count; the state is small, plain, versioned JSON', () => {
    const slack = new PretendSlack();
    let state = emptyAlertState();
    for (let d = 0; d < 120; d++) {
      const flip: ControlStatus = d % 2 === 0 ? 'stale' : 'current';
      const r = run(
        state,
        catalog.controls.map((c) => result(c.id, flip)),
        t0 + d * DAY,
        policy({ digest: true, keyRetentionMs: 10 * DAY, maxPostedKeys: 300 }),
        slack,
      );
      // At most maxPostedKeys are carried into a plan; one run's deliveries (here 38 items + 1 digest) come on top.
      expect(Object.keys(r.plan.next.posted).length).toBeLessThanOrEqual(300);
      expect(Object.keys(r.state.posted).length).toBeLessThanOrEqual(300 + 39);
      state = r.state;
    }
    const posted = Object.values(state.posted);
    expect(Math.min(...posted.map((p) => Date.parse(p.at)))).toBeGreaterThanOrEqual(t0 + 109 * DAY);
    const json = JSON.stringify(state);
    expect(parseAlertState(JSON.parse(json))).toEqual(state);
    expect(json.length).toBeLessThan(120_000);
    expect(() => parseAlertState({ ...state, version: 2 })).toThrow(/unsupported version 2/);
    expect(() =>
      parseAlertState({ version: 1, controls: { 'A.2.2': { status: 'bogus', since: 'x' } }, posted: {} }),
    ).toThrow(/controls.A.2.2.status/);
    expect(parseAlertState(undefined)).toEqual(emptyAlertState());
  });

  it('property: replaying the same inputs gives the same plan, nothing is posted twice, no alert is lost', () => {
    const ids = ['A.2.2', 'A.6.2.6', 'A.6.2.8', 'A.7.2'];
    const statusArb = fc.constantFrom<ControlStatus>(
      'current',
      'due-soon',
      'stale',
      'missing',
      'collection-failed',
      'not-applicable',
    );
    const stepArb = fc.record({
      hours: fc.integer({ min: 1, max: 10 * 24 }),
      statuses: fc.array(statusArb, { minLength: ids.length, maxLength: ids.length }),
      source: fc.constantFrom('github', 'jira'),
      // A crash after k posts: only their keys reach the store. Then either the activity is retried a
      // little later with the same inputs, or the run is abandoned and the next scheduled one goes on.
      crash: fc.option(
        fc.record({ after: fc.nat({ max: 3 }), retry: fc.boolean(), delayMin: fc.integer({ min: 0, max: 90 }) }),
        { nil: undefined },
      ),
    });
    assertProperty(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 25 }),
        fc.boolean(),
        fc.boolean(),
        (steps, digest, dueSoonNotice) => {
          // Keys are remembered for keyRetentionMs (30d by default): a transition a crashed run posted and
          // that is seen again after that is news again and is posted again. The property holds within it.
          const pol = policy({
            digest,
            dueSoonNotice,
            reminderEveryMs: 3 * DAY,
            routes: [{ match: 'A.6', channel: '#ml' }],
            keyRetentionMs: 400 * DAY,
          });
          const slack = new PretendSlack();
          let state = emptyAlertState();
          let now = t0;
          for (const step of steps) {
            now += step.hours * HOUR;
            const results = ids.map((id, i) =>
              result(
                id,
                step.statuses[i]!,
                step.statuses[i] === 'collection-failed'
                  ? {
                      cause: sourceFailure({ source: step.source, at: at(now).toISOString(), error: 'boom' }),
                      reason: `source "${step.source}" failed at ${at(now).toISOString()}: boom`,
                      dueAt: at(now + DAY).toISOString(),
                    }
                  : {},
              ),
            );
            let plan = planAlerts(state, results, at(now), pol);
            expect(planAlerts(structuredClone(state), structuredClone(results), at(now), pol)).toEqual(plan);
            const before = slack.posted.length;
            if (step.crash && step.crash.after < plan.messages.length) {
              state = recordDeliveries(state, slack.deliver(plan.messages.slice(0, step.crash.after), state));
              if (!step.crash.retry) continue;
              plan = planAlerts(state, results, at(now + step.crash.delayMin * 60_000), pol);
            }
            state = recordDeliveries(plan.next, slack.deliver(plan.messages, state)); // PretendSlack throws on any repost
            // Stored state + the same inputs: nothing more to post.
            expect(planAlerts(state, results, at(now), pol).messages).toEqual([]);
            // No alert lost: every open episode's alert reached Slack, and its thread is known.
            for (const id of ids) {
              const c = state.controls[id]!;
              expect(c.status).toBe(step.statuses[ids.indexOf(id)]);
              if (c.status === 'stale' || c.status === 'missing' || c.status === 'collection-failed') {
                expect(c.alertKey).toBeDefined();
                const alert = slack.posted.find((m) => m.items.some((i) => i.key === c.alertKey));
                expect(alert).toBeDefined();
                expect(c.thread?.ts).toBe(slack.tsOf(alert!.key));
              }
            }
            for (const m of slack.posted.slice(before)) expect(blockProblems(m.blocks)).toEqual([]);
          }
        },
      ),
      { numRuns: 500, minRuns: 500 },
    );
  });
});

describe('alerts: config', () => {
  it('parses the alerts section with defaults and turns it into a policy', () => {
    const cfg = alertsConfigSchema.parse({
      slack: {
        token: { env: 'SLACK_BOT_TOKEN' },
        defaultChannel: '#compliance',
        routes: [{ match: 'A.6', channel: 'C0123ML99', mention: '<!subteam^S0123>' }],
      },
    });
    expect(cfg.slack).toMatchObject({ digest: true, reminderEvery: '7d', dueSoonNotice: true });
    expect(alertPolicyFromConfig(cfg)).toEqual({
      defaultChannel: '#compliance',
      routes: [{ match: 'A.6', channel: 'C0123ML99', mention: '<!subteam^S0123>' }],
      digest: true,
      reminderEveryMs: 7 * DAY,
      dueSoonNotice: true,
    });
    expect(
      unknownRouteMatches(
        cfg,
        catalog.controls.map((c) => c.id),
      ),
    ).toEqual([]);
    const typo = alertsConfigSchema.parse({
      slack: { token: { file: 't' }, defaultChannel: 'C0123ABCD', routes: [{ match: 'A.6.2.88', channel: '#x' }] },
    });
    expect(
      unknownRouteMatches(
        typo,
        catalog.controls.map((c) => c.id),
      ),
    ).toEqual(['alerts.slack.routes[0].match: A.6.2.88 matches no control; did you mean A.6.2.8?']);
  });

  it('rejects literal tokens, bad channels, mentions, matches, durations and duplicate routes', () => {
    const bad = (slack: Record<string, unknown>) => {
      const r = alertsConfigSchema.safeParse({ slack: { token: { env: 'T' }, defaultChannel: '#c', ...slack } });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(bad({ token: 'xoxb-123' })[0]).toContain('secrets are never written in the config');
    expect(bad({ defaultChannel: 'compliance' })[0]).toContain('expected a channel id');
    expect(bad({ routes: [{ match: 'A.6', channel: '#x', mention: '@ml-team' }] })[0]).toContain(
      'expected a user mention',
    );
    expect(bad({ routes: [{ match: 'A6', channel: '#x' }] })[0]).toContain('expected a control group');
    expect(bad({ routes: [{ match: '9.', channel: '#x' }] })[0]).toContain('or a clause (9.3)');
    // Management-system clauses route like controls: a clause group (9) or a clause (9.3).
    expect(
      bad({
        routes: [
          { match: '9', channel: '#x' },
          { match: '9.3', channel: '#y' },
        ],
      }),
    ).toEqual([]);
    const pol = policy({
      routes: [
        { match: '9', channel: '#mgmt' },
        { match: '9.3', channel: '#review' },
      ],
    });
    expect(routeFor('9.2', pol).channel).toBe('#mgmt');
    expect(routeFor('9.3', pol).channel).toBe('#review');
    expect(routeFor('10.2', pol).channel).toBe('#compliance');
    expect(bad({ reminderEvery: '1 week' })[0]).toContain('not a positive duration');
    expect(bad({ reminderEvery: '0d' })[0]).toContain('not a positive duration');
    expect(bad({ apiUrl: 'not a url' })[0]).toMatch(/^slack\.apiUrl/);
    expect(
      bad({
        routes: [
          { match: 'A.6', channel: '#x' },
          { match: 'A.6', channel: '#y' },
        ],
      }),
    ).toEqual(['slack.routes.1.match: duplicate route for A.6 (also routes[0])']);
  });
});

describe('alerts: errors', () => {
  it('Slack errors are alert errors, not connector errors, and keep the names retry policies match', () => {
    const refused = new SlackMessageError('invalid_blocks');
    const down = new SlackUnavailableError('503');
    for (const e of [refused, down]) {
      expect(e).toBeInstanceOf(AlertDeliveryError);
      expect(e).not.toBeInstanceOf(ConnectorError);
    }
    expect(refused).toMatchObject({ name: 'SlackMessageError', retryable: false });
    expect(down).toMatchObject({ name: 'SlackUnavailableError', retryable: true });
    expect(alertOptions.retry?.nonRetryableErrorTypes).toContain(refused.name);
    expect(alertOptions.retry?.nonRetryableErrorTypes).not.toContain(down.name);
  });
});
