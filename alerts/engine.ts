import type { ControlResult } from '../mappings/evaluate';
import { alertDetails, decidingRecordId, type DecidingRecord } from './details';
import { failingSource, groupUnits, type Entry } from './grouping';
import { itemKey } from './keys';
import { buildMessages } from './messages';
import { compareControlIds, routeFor } from './routing';
import { hiddenDueSoonRules, warningAnchor } from './rule-warnings';
import { prunePosted, sortedRecord } from './state';
import {
  alertStateVersion,
  isProblem,
  isRecovered,
  type AlertPolicy,
  type AlertState,
  type ControlAlertState,
  type PlannedItem,
  type PlannedMessage,
  type SlackThread,
} from './types';

/**
 * The alert transition engine. Pure and deterministic: no clock, no I/O, no randomness. The same
 * (previous state, results, now, policy) always gives the same messages with the same keys, so a
 * retried or replayed run can tell what it already posted. Around it: state.ts (reading and recording
 * the state), routing.ts (channels), grouping.ts and messages.ts (what the messages say).
 *
 *   status change                        message
 *   current/new -> due-soon              due-soon notice, ahead of the due date (when policy.dueSoonNotice)
 *   any -> overdue | stale | missing | exception
 *                                        alert (new top-level message; opens an episode)
 *   any -> collection-failed             alert, one per failing source (and channel)
 *   problem or noticed -> current, due-soon, not-applicable
 *                                        recovery, a reply in the thread of the episode's alert
 *   problem or noticed -> design-only, not-configured, unverified, not-exercised
 *                                        nothing: no recovery (nothing shows the control operating);
 *                                        the episode stays open and its thread gets the later recovery
 *   unchanged problem                    reminder every policy.reminderEveryMs after the alert or the
 *                                        last reminder; never more often
 *   a rule that does not decide the control enters due-soon (the control reads something else)
 *                                        due-soon notice for that rule, once per warning window
 *                                        (rule-warnings.ts; when policy.dueSoonNotice)
 *   anything else                        nothing
 *
 * Alerts and reminders carry the control's link and owner (details.ts) from `records`, the deciding
 * records the caller read from the store (keyed by artifact id); without them an alert has neither.
 */

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
  records: ReadonlyMap<string, DecidingRecord> = new Map(),
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
    const failing = status === 'collection-failed' ? failingSource(result) : undefined;
    const recordOf = (r: Parameters<typeof decidingRecordId>[0]) => {
      const recordId = decidingRecordId(r);
      return recordId !== undefined ? records.get(recordId) : undefined;
    };
    const entry = (item: PlannedItem, thread?: SlackThread): Entry => ({
      item,
      result,
      route,
      ...(prev ? { prev } : {}),
      ...(thread ? { thread } : {}),
      ...(failing ? { failing } : {}),
      ...(item.kind !== 'recovery' ? { details: alertDetails(id, recordOf(result), route, policy) } : {}),
    });
    // After the control's own decision (below): warning windows its status hides, each announced once.
    const warnHidden = () => {
      const state = controls[id]!;
      const hidden = policy.dueSoonNotice ? hiddenDueSoonRules(result) : [];
      const keys = hidden.map((rule) => {
        // Not anchored on the control's status: the same window is announced once whatever the control reads.
        const key = itemKey('alert', route.channel, id, undefined, undefined, 'due-soon', warningAnchor(rule));
        if (!prev?.warned?.includes(key))
          entries.push({
            ...entry({ key, kind: 'alert', control: id, from: status, to: 'due-soon', rule: rule.rule }),
            rule,
            details: alertDetails(id, recordOf(rule), route, policy),
          });
        return key;
      });
      if (keys.length > 0) controls[id] = { ...state, warned: keys };
      else if (state.warned) {
        const { warned: _gone, ...rest } = state;
        controls[id] = rest;
      }
    };

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
      warnHidden();
      continue;
    }

    // The status changed (or the control is new to the state).
    const entered: ControlAlertState = { status, since: at };
    const wasNoticed = prev?.alertKey !== undefined;
    const notice = status === 'due-soon' && policy.dueSoonNotice && !isProblem(prev?.status);
    if (isProblem(status) || notice) {
      const key = itemKey('alert', route.channel, id, prev?.status, prev?.since, status);
      entered.alertKey = key;
      entered.alertedAt = at;
      entries.push(entry({ key, kind: 'alert', control: id, ...(prev ? { from: prev.status } : {}), to: status }));
    } else if (wasNoticed && prev && !isRecovered(status)) {
      // Not a recovery: the episode (its alert and thread) carries over to the new status.
      const thread = threadOf(prev);
      Object.assign(entered, {
        ...(prev.alertKey !== undefined ? { alertKey: prev.alertKey } : {}),
        ...(prev.alertedAt !== undefined ? { alertedAt: prev.alertedAt } : {}),
        ...(thread ? { thread } : {}),
      });
    } else if (wasNoticed && prev) {
      const thread = threadOf(prev);
      const channel = thread?.channel ?? route.channel;
      const key = itemKey('recovery', channel, id, prev.status, prev.since, status, prev.alertKey);
      entries.push(entry({ key, kind: 'recovery', control: id, from: prev.status, to: status }, thread));
    }
    controls[id] = entered;
    warnHidden();
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
