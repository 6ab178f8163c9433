import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatDuration } from '../core/duration';
import { statuses, type ControlResult, type ControlStatus } from '../mappings/evaluate';
import {
  buildMessage,
  escapeMrkdwn,
  recoveryEmoji,
  slackDate,
  statusEmoji,
  type ControlLine,
  type MessageSection,
  type MessageSpec,
} from './blocks';
import {
  alertStateVersion,
  isProblem,
  type AlertPolicy,
  type AlertState,
  type ControlAlertState,
  type Delivery,
  type ItemKind,
  type MessageKind,
  type PlannedItem,
  type PlannedMessage,
  type PostedRecord,
  type SlackThread,
} from './types';

/**
 * The alert transition engine. Pure and deterministic: no clock, no I/O, no randomness. The same
 * (previous state, results, now, policy) always gives the same messages with the same keys, so a
 * retried or replayed run can tell what it already posted.
 *
 *   status change                        message
 *   fresh/new -> due-soon                 due-soon notice (when policy.dueSoonNotice)
 *   any -> stale | missing               alert (new top-level message; opens an episode)
 *   any -> collection-failed             alert, one per failing source (and channel)
 *   problem or noticed -> fresh, due-soon, not-applicable
 *                                        recovery, a reply in the thread of the episode's alert
 *   unchanged problem                    reminder every policy.reminderEveryMs after the alert or the
 *                                        last reminder; never more often
 *   anything else                        nothing
 */

export const defaultKeyRetentionMs = 30 * 86_400_000;
export const defaultMaxPostedKeys = 2000;

export function emptyAlertState(): AlertState {
  return { version: alertStateVersion, controls: {}, posted: {} };
}

const isoSchema = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO date');
const threadSchema = z.strictObject({ channel: z.string().min(1), ts: z.string().min(1) });
const alertStateSchema = z.strictObject({
  version: z.literal(alertStateVersion),
  controls: z.record(
    z.string(),
    z.strictObject({
      status: z.enum(statuses),
      since: isoSchema,
      alertKey: z.string().optional(),
      alertedAt: isoSchema.optional(),
      thread: threadSchema.optional(),
      remindedAt: isoSchema.optional(),
    }),
  ),
  posted: z.record(z.string(), z.strictObject({ at: isoSchema, channel: z.string(), ts: z.string() })),
});

/** Validates persisted state; `undefined`/`null` (nothing stored yet) gives the empty state. */
export function parseAlertState(json: unknown): AlertState {
  if (json === undefined || json === null) return emptyAlertState();
  const version = (json as { version?: unknown }).version;
  if (version !== alertStateVersion)
    throw new Error(
      `alert state: unsupported version ${JSON.stringify(version)} (this build reads version ${alertStateVersion})`,
    );
  const parsed = alertStateSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`alert state: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data as AlertState;
}

export interface Route {
  channel: string;
  mention?: string;
  /** The route's `match`, or undefined for the default channel. */
  match?: string;
}

/** The most specific route whose match is the control id or a dot-boundary prefix of it; ties: first listed. */
export function routeFor(
  controlId: string,
  policy: Pick<AlertPolicy, 'routes' | 'defaultChannel' | 'defaultMention'>,
): Route {
  let best: Route | undefined;
  let depth = -1;
  for (const r of policy.routes) {
    if (controlId !== r.match && !controlId.startsWith(`${r.match}.`)) continue;
    const d = r.match.split('.').length;
    if (d > depth) {
      best = { channel: r.channel, match: r.match, ...(r.mention ? { mention: r.mention } : {}) };
      depth = d;
    }
  }
  return (
    best ?? { channel: policy.defaultChannel, ...(policy.defaultMention ? { mention: policy.defaultMention } : {}) }
  );
}

/** Orders A.2.10 after A.2.9 and A.10 after A.9. */
export function compareControlIds(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export interface FailingSource {
  source: string;
  outcome: 'failed' | 'collected with problems';
  at: string;
  error: string;
}

const failureRe =
  /source "([^"]+)" (failed|collected with problems) at (\d{4}-\d\d-\d\dT[\d:.]+Z): (.*?)(?:; evidence (?:goes stale in .*|is already [a-z-]+))?$/s;

/** The failing source named in a collection-failed reason (as mappings/evaluate.ts words it). */
export function failingSource(reason: string): FailingSource | undefined {
  const m = failureRe.exec(reason);
  if (!m) return undefined;
  return { source: m[1]!, outcome: m[2] as FailingSource['outcome'], at: m[3]!, error: m[4]! };
}

const sha256 = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

/** Key of one control's transition. Anchored on state (status since, last notice), not on the wall clock. */
export function itemKey(
  kind: ItemKind,
  channel: string,
  control: string,
  from: ControlStatus | undefined,
  fromSince: string | undefined,
  to: ControlStatus,
  anchor = '',
): string {
  return sha256(['evidence-hub/alert-item@1', kind, channel, control, from ?? '', fromSince ?? '', to, anchor]);
}

export function messageKey(
  channel: string,
  threadTs: string | undefined,
  kind: MessageKind,
  itemKeys: readonly string[],
): string {
  return sha256(['evidence-hub/alert-message@1', channel, threadTs ?? '', kind, [...itemKeys].sort()]);
}

interface Entry {
  item: PlannedItem;
  result: ControlResult;
  prev?: ControlAlertState;
  route: Route;
  /** For recoveries: the thread of the alert they answer. */
  thread?: SlackThread;
  failing?: FailingSource;
}

interface Unit {
  kind: ItemKind;
  channel: string;
  threadTs?: string;
  /** Collection-failed alerts and reminders are grouped by the failing source. */
  source?: FailingSource;
  entries: Entry[];
}

export interface AlertPlan {
  messages: PlannedMessage[];
  next: AlertState;
}

/**
 * Decides what to post for one evaluation. `previous` is the state after the last run (with the
 * deliveries recorded), `results` the evaluator's output at `now`. Messages whose key is already in
 * `previous.posted` are left out (they were posted by an earlier attempt), and their threads are taken
 * from there.
 */
export function planAlerts(
  previous: AlertState,
  results: readonly ControlResult[],
  now: Date,
  policy: AlertPolicy,
): AlertPlan {
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) throw new Error('planAlerts: invalid evaluation time');
  if (!(policy.reminderEveryMs > 0)) throw new Error('planAlerts: reminderEveryMs must be positive');
  const at = now.toISOString();
  const posted = prunePosted(previous.posted, nowMs, policy);
  const controls: Record<string, ControlAlertState> = { ...previous.controls };
  const entries: Entry[] = [];
  const seen = new Set<string>();
  const threadOf = (s: ControlAlertState | undefined): SlackThread | undefined => {
    if (s?.thread) return s.thread;
    const rec = s?.alertKey ? posted[s.alertKey] : undefined;
    return rec ? { channel: rec.channel, ts: rec.ts } : undefined;
  };

  for (const result of [...results].sort((a, b) => compareControlIds(a.control.id, b.control.id))) {
    const id = result.control.id;
    if (seen.has(id)) continue; // the first result for a control counts
    seen.add(id);
    const prev = previous.controls[id];
    const status = result.status;
    const route = routeFor(id, policy);
    const failing = status === 'collection-failed' ? failingSource(result.reason) : undefined;
    const entry = (item: PlannedItem, thread?: SlackThread): Entry => ({
      item,
      result,
      route,
      ...(prev ? { prev } : {}),
      ...(thread ? { thread } : {}),
      ...(failing ? { failing } : {}),
    });

    if (prev && prev.status === status) {
      const state: ControlAlertState = { ...prev };
      const thread = threadOf(prev);
      if (thread) state.thread = thread;
      if (isProblem(status)) {
        const anchor = prev.remindedAt ?? prev.alertedAt;
        if (!prev.alertKey || anchor === undefined) {
          // A problem nobody was told about (state written by an older build): alert now.
          const key = itemKey('alert', route.channel, id, prev.status, prev.since, status, 'unannounced');
          Object.assign(state, { alertKey: key, alertedAt: at });
          delete state.remindedAt;
          delete state.thread;
          entries.push(entry({ key, kind: 'alert', control: id, from: prev.status, to: status }));
        } else if (nowMs - Date.parse(anchor) >= policy.reminderEveryMs) {
          const key = itemKey('reminder', route.channel, id, status, prev.since, status, anchor);
          state.remindedAt = at;
          entries.push(entry({ key, kind: 'reminder', control: id, from: status, to: status }));
        }
      }
      controls[id] = state;
      continue;
    }

    // The status changed (or the control is new to the state).
    const fresh: ControlAlertState = { status, since: at };
    const wasNoticed = prev?.alertKey !== undefined;
    const notice = status === 'due-soon' && policy.dueSoonNotice && !isProblem(prev?.status);
    if (isProblem(status) || notice) {
      const key = itemKey('alert', route.channel, id, prev?.status, prev?.since, status);
      fresh.alertKey = key;
      fresh.alertedAt = at;
      entries.push(entry({ key, kind: 'alert', control: id, ...(prev ? { from: prev.status } : {}), to: status }));
    } else if (wasNoticed && prev) {
      const thread = threadOf(prev);
      const channel = thread?.channel ?? route.channel;
      const key = itemKey('recovery', channel, id, prev.status, prev.since, status, prev.alertKey);
      entries.push(entry({ key, kind: 'recovery', control: id, from: prev.status, to: status }, thread));
    }
    controls[id] = fresh;
  }

  // Items an earlier attempt already posted are not planned again; their alert threads are known.
  const pending = entries.filter((e) => posted[e.item.key] === undefined);
  for (const e of entries) {
    const rec = posted[e.item.key];
    if (rec && e.item.kind === 'alert')
      controls[e.item.control] = { ...controls[e.item.control]!, thread: { channel: rec.channel, ts: rec.ts } };
  }

  const messages = buildMessages(groupUnits(pending), policy, now).filter((m) => posted[m.key] === undefined);
  return {
    messages,
    next: { version: alertStateVersion, controls: sortedRecord(controls, compareControlIds), posted },
  };
}

/**
 * Records what Slack accepted: message and item keys, and the thread of each control whose episode
 * alert was in a delivered message. Pure; call it after every delivery to persist progress.
 */
export function recordDeliveries(state: AlertState, deliveries: readonly Delivery[]): AlertState {
  const posted: Record<string, PostedRecord> = { ...state.posted };
  const controls: Record<string, ControlAlertState> = { ...state.controls };
  for (const d of deliveries) {
    const rec: PostedRecord = { at: d.at, channel: d.channel, ts: d.ts };
    posted[d.key] = rec;
    const items = new Set(d.itemKeys);
    for (const k of d.itemKeys) posted[k] = rec;
    for (const [id, c] of Object.entries(controls)) {
      if (c.alertKey !== undefined && items.has(c.alertKey) && !c.thread)
        controls[id] = { ...c, thread: { channel: d.channel, ts: d.ts } };
    }
  }
  return { version: alertStateVersion, controls, posted: sortedRecord(posted) };
}

function prunePosted(
  posted: Record<string, PostedRecord>,
  nowMs: number,
  policy: AlertPolicy,
): Record<string, PostedRecord> {
  const retention = policy.keyRetentionMs ?? defaultKeyRetentionMs;
  const max = policy.maxPostedKeys ?? defaultMaxPostedKeys;
  const kept = Object.entries(posted)
    .filter(([, r]) => nowMs - Date.parse(r.at) <= retention)
    .sort(([ka, a], [kb, b]) => b.at.localeCompare(a.at) || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, max);
  return sortedRecord(Object.fromEntries(kept));
}

function sortedRecord<T>(
  rec: Record<string, T>,
  compare: (a: string, b: string) => number = (a, b) => (a < b ? -1 : a > b ? 1 : 0),
): Record<string, T> {
  return Object.fromEntries(Object.entries(rec).sort(([a], [b]) => compare(a, b)));
}

/** Units: what one message holds when not digesting. */
function groupUnits(entries: Entry[]): Unit[] {
  const units = new Map<string, Unit>();
  for (const e of entries) {
    const { kind } = e.item;
    let key: string;
    let unit: Omit<Unit, 'entries'>;
    if (kind === 'recovery') {
      const channel = e.thread?.channel ?? e.route.channel;
      key = `recovery\u0000${channel}\u0000${e.thread?.ts ?? `top:${e.item.control}`}`;
      unit = { kind, channel, ...(e.thread ? { threadTs: e.thread.ts } : {}) };
    } else if (e.item.to === 'collection-failed') {
      const source = e.failing?.source ?? '(unknown source)';
      key = `${kind}\u0000${e.route.channel}\u0000source:${source}`;
      unit = {
        kind,
        channel: e.route.channel,
        source: e.failing ?? { source, outcome: 'failed', at: '', error: e.result.reason },
      };
    } else {
      key = `${kind}\u0000${e.route.channel}\u0000control:${e.item.control}`;
      unit = { kind, channel: e.route.channel };
    }
    const u = units.get(key);
    if (u) u.entries.push(e);
    else units.set(key, { ...unit, entries: [e] });
  }
  return [...units.values()];
}

const kindOrder: Record<ItemKind, number> = { alert: 0, reminder: 1, recovery: 2 };

function buildMessages(units: Unit[], policy: AlertPolicy, now: Date): PlannedMessage[] {
  const sorted = [...units].sort(
    (a, b) =>
      (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0) ||
      kindOrder[a.kind] - kindOrder[b.kind] ||
      compareControlIds(a.entries[0]!.item.control, b.entries[0]!.item.control) ||
      (a.threadTs ?? '').localeCompare(b.threadTs ?? ''),
  );
  const out: PlannedMessage[] = [];
  if (!policy.digest) {
    for (const u of sorted) out.push(unitMessage(u, policy, now));
    return out;
  }
  // Digest: per channel, every alert and reminder unit in one message; recoveries stay threaded.
  const byChannel = new Map<string, Unit[]>();
  for (const u of sorted) {
    if (u.kind === 'recovery') continue;
    byChannel.set(u.channel, [...(byChannel.get(u.channel) ?? []), u]);
  }
  for (const u of sorted) {
    if (u.kind === 'recovery') {
      out.push(unitMessage(u, policy, now));
      continue;
    }
    const group = byChannel.get(u.channel);
    if (!group) continue; // already emitted
    byChannel.delete(u.channel);
    out.push(group.length === 1 ? unitMessage(group[0]!, policy, now) : digestMessage(u.channel, group, policy, now));
  }
  return out;
}

const statusLabel: Record<ControlStatus, string> = {
  fresh: 'fresh',
  'due-soon': 'due soon',
  stale: 'stale',
  missing: 'missing',
  'collection-failed': 'collection failed',
  'not-applicable': 'not applicable',
};

const alertHeading: Partial<Record<ControlStatus, string>> = {
  stale: 'Evidence stale',
  missing: 'Evidence missing',
  'due-soon': 'Evidence due soon',
};

function line(e: Entry, now: Date): ControlLine {
  const r = e.result;
  const note = noteFor(e, now);
  return {
    id: r.control.id,
    title: r.control.title,
    status: r.status,
    reason: r.reason,
    ...(r.dueAt ? { dueAt: r.dueAt } : {}),
    evidenceCount: r.evidence.length,
    ...(note !== undefined ? { note } : {}),
  };
}

function noteFor(e: Entry, now: Date): string | undefined {
  const prev = e.prev;
  if (!prev) return undefined;
  const span = formatDuration(now.getTime() - Date.parse(prev.since));
  if (e.item.kind === 'reminder') return `${statusLabel[prev.status]} since ${prev.since.slice(0, 10)} (${span})`;
  return `was ${statusLabel[prev.status]} since ${prev.since.slice(0, 10)} (${span})`;
}

function mentionsOf(entries: Entry[]): string[] {
  return [...new Set(entries.map((e) => e.route.mention).filter((m): m is string => m !== undefined))].sort();
}

/** "6 controls will go stale in 4d (2026-03-05); 1 control already stale or missing". */
function failureConsequence(entries: Entry[], now: Date, plain: boolean): string {
  const nowMs = now.getTime();
  const dues = entries
    .map((e) => e.result.dueAt)
    .filter((d): d is string => d !== undefined && Date.parse(d) > nowMs)
    .sort();
  const already = entries.length - dues.length;
  const n = (k: number) => `${k} control${k === 1 ? '' : 's'}`;
  const date = (iso: string) => (plain ? iso.slice(0, 10) : slackDate(iso));
  const first = dues[0];
  const parts: string[] = [];
  if (first !== undefined) {
    const inText = `in ${formatDuration(Date.parse(first) - nowMs)} (${date(first)})`;
    parts.push(
      dues.every((d) => d === first)
        ? `${n(dues.length)} will go stale ${inText}`
        : `${n(dues.length)} will go stale, the first ${inText}`,
    );
  }
  if (already > 0) parts.push(`${n(already)} already stale or missing`);
  return parts.join('; ');
}

/** The collection-failed group heading: "Source github failed: <error>" and what it means for the controls. */
function failureHeading(source: FailingSource, entries: Entry[], now: Date, reminder: boolean): string {
  const when = source.at ? ` at ${slackDate(source.at, '{date_short_pretty} {time}')}` : '';
  const lead = reminder
    ? `:alarm_clock: Still failing: source *${escapeMrkdwn(source.source)}*`
    : `${statusEmoji['collection-failed']} Source *${escapeMrkdwn(source.source)}* ${source.outcome}${when}`;
  return `${lead}: ${escapeMrkdwn(source.error)}\n*${failureConsequence(entries, now, false)}*`;
}

function failureSummary(source: FailingSource, entries: Entry[], now: Date): string {
  return `${source.error}: ${failureConsequence(entries, now, true)} (source ${source.source}: ${entries.map((e) => e.item.control).join(', ')})`;
}

function finish(
  kind: MessageKind,
  channel: string,
  threadTs: string | undefined,
  entries: Entry[],
  spec: Omit<MessageSpec, 'at'>,
  now: Date,
): PlannedMessage {
  const items = entries.map((e) => e.item);
  const { text, blocks } = buildMessage({ ...spec, at: now });
  return {
    key: messageKey(
      channel,
      threadTs,
      kind,
      items.map((i) => i.key),
    ),
    kind,
    channel,
    ...(threadTs ? { threadTs } : {}),
    controls: [...new Set(items.map((i) => i.control))].sort(compareControlIds),
    items,
    text,
    blocks,
    at: now.toISOString(),
  };
}

function unitMessage(u: Unit, policy: AlertPolicy, now: Date): PlannedMessage {
  const entries = [...u.entries].sort((a, b) => compareControlIds(a.item.control, b.item.control));
  const first = entries[0]!;
  const title = `${first.item.control} ${first.result.control.title}`;
  if (u.kind === 'recovery') {
    const header =
      entries.length === 1
        ? `${recoveryEmoji} Recovered: ${title}`
        : `${recoveryEmoji} Recovered: ${entries.length} controls`;
    const intro = entries
      .map(
        (e) =>
          `*${escapeMrkdwn(e.item.control)}* is *${statusLabel[e.item.to]}* now, after ${formatDuration(now.getTime() - Date.parse(e.prev!.since))} ${statusLabel[e.item.from!]}.`,
      )
      .join('\n');
    const summary = `Recovered: ${entries.map((e) => `${e.item.control} ${statusLabel[e.item.to]}`).join(', ')}`;
    return finish(
      'recovery',
      u.channel,
      u.threadTs,
      entries,
      { header, intro, sections: [{ lines: entries.map((e) => line(e, now)) }], summary },
      now,
    );
  }
  const mentions = mentionsOf(entries);
  const reminder = u.kind === 'reminder';
  if (u.source) {
    const header = reminder
      ? `:alarm_clock: Still failing: source "${u.source.source}"`
      : `${statusEmoji['collection-failed']} Collection failed: source "${u.source.source}"`;
    const sections: MessageSection[] = [
      { heading: failureHeading(u.source, entries, now, reminder), lines: entries.map((e) => line(e, now)) },
    ];
    return finish(
      u.kind,
      u.channel,
      undefined,
      entries,
      {
        header,
        sections,
        mentions,
        summary: `${reminder ? 'Reminder: ' : ''}${failureSummary(u.source, entries, now)}`,
      },
      now,
    );
  }
  const status = first.item.to;
  const header = reminder
    ? `:alarm_clock: Still ${statusLabel[status]}: ${title}`
    : `${statusEmoji[status]} ${alertHeading[status] ?? statusLabel[status]}: ${title}`;
  const intro = reminder
    ? `Reminder: *${escapeMrkdwn(first.item.control)}* has been *${statusLabel[status]}* since ${slackDate(first.prev!.since)}. Next reminder in ${formatDuration(policy.reminderEveryMs)} unless it recovers.`
    : `*${escapeMrkdwn(first.item.control)}* ${first.prev ? `went from ${statusLabel[first.prev.status]} to` : 'is'} *${statusLabel[status]}*.`;
  return finish(
    u.kind,
    u.channel,
    undefined,
    entries,
    {
      header,
      intro,
      sections: [{ lines: entries.map((e) => line(e, now)) }],
      mentions,
      summary: `${reminder ? 'Reminder: still ' : ''}${alertHeading[status] ?? statusLabel[status]}: ${title}`,
    },
    now,
  );
}

function digestMessage(channel: string, units: Unit[], policy: AlertPolicy, now: Date): PlannedMessage {
  const entries = units.flatMap((u) => u.entries);
  const newOnes = units.filter((u) => u.kind === 'alert');
  const reminders = units.filter((u) => u.kind === 'reminder');
  const count = (us: Unit[]) => us.reduce((n, u) => n + u.entries.length, 0);
  const sections: MessageSection[] = [];
  const byControl = (us: Unit[]) =>
    us.flatMap((u) => u.entries).sort((a, b) => compareControlIds(a.item.control, b.item.control));
  const plainNew = newOnes.filter((u) => !u.source);
  const problems = byControl(plainNew).filter((e) => e.item.to !== 'due-soon');
  const dueSoon = byControl(plainNew).filter((e) => e.item.to === 'due-soon');
  if (problems.length > 0)
    sections.push({
      heading: `*New: ${problems.length} control${problems.length === 1 ? '' : 's'} stale or missing*`,
      lines: problems.map((e) => line(e, now)),
    });
  for (const u of newOnes.filter((x) => x.source))
    sections.push({
      heading: failureHeading(u.source!, u.entries, now, false),
      lines: u.entries.map((e) => line(e, now)),
    });
  if (dueSoon.length > 0)
    sections.push({
      heading: `*Due soon: ${dueSoon.length} control${dueSoon.length === 1 ? '' : 's'} in the grace window*`,
      lines: dueSoon.map((e) => line(e, now)),
    });
  const plainReminders = byControl(reminders.filter((u) => !u.source));
  if (plainReminders.length > 0) {
    sections.push({
      heading: `:alarm_clock: *Still open: ${plainReminders.length} control${plainReminders.length === 1 ? '' : 's'}* (reminder every ${formatDuration(policy.reminderEveryMs)})`,
      lines: plainReminders.map((e) => line(e, now)),
    });
  }
  for (const u of reminders.filter((x) => x.source))
    sections.push({
      heading: failureHeading(u.source!, u.entries, now, true),
      lines: u.entries.map((e) => line(e, now)),
    });
  const parts = [
    ...(count(newOnes) > 0 ? [`${count(newOnes)} new`] : []),
    ...(count(reminders) > 0 ? [`${count(reminders)} still open`] : []),
  ];
  const header = `:rotating_light: Evidence alerts: ${parts.join(', ')}`;
  const ids = entries.map((e) => `${e.item.control} ${statusLabel[e.item.to]}`);
  return finish(
    'digest',
    channel,
    undefined,
    entries,
    {
      header,
      sections,
      mentions: mentionsOf(entries),
      summary: `Evidence alerts (${parts.join(', ')}): ${ids.join(', ')}`,
    },
    now,
  );
}
