import { formatDuration } from '../core/duration';
import { codeUnitOrder } from '../core/order';
import { dueLabel } from '../mappings/due';
import type { ControlStatus } from '../mappings/evaluate';
import { statusText } from '../mappings/reasons';
import { nextStep, ruleNextStep } from './next-step';
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
import { failingSourcesLabel, type Entry, type FailingSource, type Unit } from './grouping';
import { messageKey } from './keys';
import { recollectActions } from './recollect-button';
import { compareControlIds } from './routing';
import type { AlertPolicy, ItemKind, MessageKind, PlannedMessage } from './types';

/**
 * The messages of a plan: one per unit (an alert, a reminder, a recovery reply), or per channel one digest
 * of every alert and reminder. Wording and layout live here; what to say was decided by the engine.
 */

const kindOrder: Record<ItemKind, number> = { alert: 0, reminder: 1, recovery: 2 };

export function buildMessages(units: Unit[], policy: AlertPolicy, now: Date): PlannedMessage[] {
  const sorted = [...units].sort(
    (a, b) =>
      codeUnitOrder(a.channel, b.channel) ||
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

/** The words for each status are reasons.ts's, so Slack says what the CLI and the report say. */
const statusLabel = statusText;

const alertHeading: Partial<Record<ControlStatus, string>> = {
  stale: 'Evidence stale',
  missing: 'Evidence missing',
  exception: 'Control exception',
  overdue: 'Evidence overdue (grace)',
  'due-soon': 'Evidence due soon',
};

function line(e: Entry, now: Date): ControlLine {
  const r = e.result;
  // A rule's own warning: its status, reason and date, while the control reads something else.
  const shown = e.rule ?? r;
  const note = e.rule
    ? `${e.rule.rule} is due soon; the control reads ${statusLabel[r.status]} because of ${r.decidingRule ?? 'another rule'}`
    : noteFor(e, now);
  // Recoveries need no next step; alerts and reminders say what to do, from the cause (next-step.ts).
  const step =
    e.item.kind === 'recovery'
      ? undefined
      : e.rule
        ? ruleNextStep(e.rule.rule, e.rule.cause, now)
        : nextStep(r.cause, now);
  const d = e.details;
  return {
    id: r.control.id,
    title: r.control.title,
    status: shown.status,
    reason: shown.reason,
    ...(shown.dueAt ? { dueAt: shown.dueAt, dueLabel: dueLabel(shown) ?? 'goes stale on' } : {}),
    evidenceCount: shown.evidence.length,
    ...(note !== undefined ? { note } : {}),
    ...(step !== undefined ? { nextStep: step } : {}),
    ...(d?.owner ? { owner: d.owner } : {}),
    ...(d?.link ? { link: d.link } : {}),
  };
}

function noteFor(e: Entry, now: Date): string | undefined {
  const prev = e.prev;
  if (!prev) return undefined;
  const span = formatDuration(now.getTime() - Date.parse(prev.since));
  if (e.item.kind === 'reminder') return `${statusLabel[prev.status]} since ${prev.since.slice(0, 10)} (${span})`;
  return `was ${statusLabel[prev.status]} since ${prev.since.slice(0, 10)} (${span})`;
}

/** The route's mention and the owners' (a document's `owner:` known to Slack), so the fallback text notifies them too. */
function mentionsOf(entries: Entry[]): string[] {
  const all = entries.flatMap((e) => [e.route.mention, e.details?.owner?.mention]);
  return [...new Set(all.filter((m): m is string => m !== undefined))].sort();
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
  const label = failingSourcesLabel(source, (s) => `*${escapeMrkdwn(s)}*`);
  const lead = reminder
    ? `:alarm_clock: Still failing: ${label}`
    : `${statusEmoji['collection-failed']} ${label[0]!.toUpperCase()}${label.slice(1)} ${source.outcome}${when}`;
  // With several sources the error shown is the first one's; say whose it is.
  const whose = source.sources.length > 1 ? ` (${escapeMrkdwn(source.source)})` : '';
  return `${lead}${whose}: ${escapeMrkdwn(source.error)}\n*${failureConsequence(entries, now, false)}*`;
}

function failureSummary(source: FailingSource, entries: Entry[], now: Date): string {
  return `${source.error}: ${failureConsequence(entries, now, true)} (${failingSourcesLabel(source, (s) => s)}: ${entries.map((e) => e.item.control).join(', ')})`;
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
  const reminder = u.kind === 'reminder';
  const spec = u.source
    ? sourceFailureSpec(u.source, entries, reminder, now)
    : controlAlertSpec(first, title, entries, reminder, policy, now);
  const actions = policy.recollectButton && !u.source ? recollectActions(entries) : undefined;
  return finish(
    u.kind,
    u.channel,
    undefined,
    entries,
    { ...spec, mentions: mentionsOf(entries), ...(actions ? { actions } : {}) },
    now,
  );
}

type UnitSpec = Omit<MessageSpec, 'at' | 'mentions'>;

/** An alert or reminder for the controls a failing source leaves without current evidence. */
function sourceFailureSpec(source: FailingSource, entries: Entry[], reminder: boolean, now: Date): UnitSpec {
  const header = reminder
    ? `:alarm_clock: Still failing: ${failingSourcesLabel(source)}`
    : `${statusEmoji['collection-failed']} Collection failed: ${failingSourcesLabel(source)}`;
  const sections: MessageSection[] = [
    { heading: failureHeading(source, entries, now, reminder), lines: entries.map((e) => line(e, now)) },
  ];
  return { header, sections, summary: `${reminder ? 'Reminder: ' : ''}${failureSummary(source, entries, now)}` };
}

/** An alert or reminder for controls that went stale, missing or due soon on their own. */
function controlAlertSpec(
  first: Entry,
  title: string,
  entries: Entry[],
  reminder: boolean,
  policy: AlertPolicy,
  now: Date,
): UnitSpec {
  const status = first.item.to;
  const header = reminder
    ? `:alarm_clock: Still ${statusLabel[status]}: ${title}`
    : `${statusEmoji[status]} ${alertHeading[status] ?? statusLabel[status]}: ${title}`;
  const warned = first.rule;
  const intro = warned
    ? `*${escapeMrkdwn(first.item.control)}* reads *${statusLabel[first.result.status]}*, and its rule *${escapeMrkdwn(warned.rule)}* is *${statusLabel['due-soon']}*: without a new record it goes stale with no other notice.`
    : reminder
      ? `Reminder: *${escapeMrkdwn(first.item.control)}* has been *${statusLabel[status]}* since ${slackDate(first.prev!.since)}. Next reminder in ${formatDuration(policy.reminderEveryMs)} unless it recovers.`
      : `*${escapeMrkdwn(first.item.control)}* ${first.prev ? `went from ${statusLabel[first.prev.status]} to` : 'is'} *${statusLabel[status]}*.`;
  return {
    header,
    intro,
    sections: [{ lines: entries.map((e) => line(e, now)) }],
    summary: `${reminder ? 'Reminder: still ' : ''}${alertHeading[status] ?? statusLabel[status]}: ${title}`,
  };
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
      heading: `*New: ${problems.length} control${problems.length === 1 ? '' : 's'} overdue, stale, missing or in exception*`,
      lines: problems.map((e) => line(e, now)),
    });
  for (const u of newOnes.filter((x) => x.source))
    sections.push({
      heading: failureHeading(u.source!, u.entries, now, false),
      lines: u.entries.map((e) => line(e, now)),
    });
  if (dueSoon.length > 0)
    sections.push({
      heading: `*Due soon: ${dueSoon.length} control${dueSoon.length === 1 ? '' : 's'} inside the warning window*`,
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
  // Stale controls that failed no source of their own: a failing source is fixed first, not re-collected.
  const plain = units.filter((u) => !u.source).flatMap((u) => u.entries);
  const actions = policy.recollectButton ? recollectActions(plain) : undefined;
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
      ...(actions ? { actions } : {}),
    },
    now,
  );
}
