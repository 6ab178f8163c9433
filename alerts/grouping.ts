import { decidingRuleCause } from '../mappings/causes';
import type { ControlResult, RuleResult } from '../mappings/evaluate';
import type { AlertDetails } from './details';
import { failureOutcomeText } from '../mappings/reasons';
import type { Route } from './routing';
import type { ControlAlertState, ItemKind, PlannedItem, SlackThread } from './types';

/** The source whose failed collection made a control collection-failed, as the alert shows it. */
export interface FailingSource {
  /** The first failing source (by id), whose error is shown. */
  source: string;
  /** Every failing source behind the result, sorted by id: the alert names them all, not just the first. */
  sources: string[];
  outcome: 'failed' | 'collected with problems';
  at: string;
  error: string;
}

/** The failing source behind a collection-failed result, read from its cause (never from the sentence). */
export function failingSource(result: Pick<ControlResult, 'cause'>): FailingSource | undefined {
  const cause = decidingRuleCause(result.cause);
  if (cause?.kind !== 'collection-failed') return undefined;
  return {
    source: cause.source,
    sources: cause.sources.map((s) => s.source),
    outcome: failureOutcomeText(cause.outcome),
    at: cause.at,
    error: cause.error ?? 'unknown error',
  };
}

/** One control's planned item with what the message needs to show it. */
export interface Entry {
  item: PlannedItem;
  result: ControlResult;
  prev?: ControlAlertState;
  route: Route;
  /** For recoveries: the thread of the alert they answer. */
  thread?: SlackThread;
  failing?: FailingSource;
  /** For a rule's own due-soon notice (the control's status hides it): that rule's result. */
  rule?: RuleResult;
  /** Link and owner (details.ts); absent for recoveries. */
  details?: AlertDetails;
}

/** What one message holds when not digesting. */
export interface Unit {
  kind: ItemKind;
  channel: string;
  threadTs?: string;
  /** Collection-failed alerts and reminders are grouped by the failing source. */
  source?: FailingSource;
  entries: Entry[];
}

/**
 * Groups entries into units: recoveries by the thread they answer, collection failures by source and
 * channel, everything else one control per unit.
 */
export function groupUnits(entries: Entry[]): Unit[] {
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
      // Grouped by the whole set of failing sources: six failing GitHub sources are one heading naming all
      // six, never filed under the first one's name.
      const sources = e.failing?.sources ?? [source];
      key = `${kind}\u0000${e.route.channel}\u0000sources:${sources.join('\u0000')}`;
      unit = {
        kind,
        channel: e.route.channel,
        source: e.failing ?? { source, sources, outcome: 'failed', at: '', error: e.result.reason },
      };
    } else {
      // A rule's own warning is a message of its own: its heading and intro are about that rule.
      const rule = e.item.rule !== undefined ? `\u0000rule:${e.item.rule}` : '';
      key = `${kind}\u0000${e.route.channel}\u0000control:${e.item.control}${rule}`;
      unit = { kind, channel: e.route.channel };
    }
    const u = units.get(key);
    if (u) u.entries.push(e);
    else units.set(key, { ...unit, entries: [e] });
  }
  return [...units.values()];
}

/**
 * `source "a"`, or `3 sources "a", "b", "c"` / `6 sources "a", "b", "c" and 3 more` (the JSON lists every one).
 * `name` formats each source's name (quotes in plain text, bold in Slack mrkdwn).
 */
export function failingSourcesLabel(f: FailingSource, name: (s: string) => string = (s) => `"${s}"`): string {
  const all = f.sources.length > 0 ? f.sources : [f.source];
  if (all.length === 1) return `source ${name(all[0]!)}`;
  const named = all.slice(0, 3).map(name).join(', ');
  return `${all.length} sources ${named}${all.length > 3 ? ` and ${all.length - 3} more` : ''}`;
}
