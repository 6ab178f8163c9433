import {
  auditInstant,
  auditsInOrder,
  type AuditCalendar,
  type AuditEntry,
  type ControlForecast,
  type ReadinessForecast,
} from '../mappings/readiness';
import { buildMessage, type ControlLine } from './blocks';
import { alertDetails, decidingRecordId, type DecidingRecord } from './details';
import { nextStep, refreshBefore } from './next-step';
import { routeFor } from './routing';
import type { AlertPolicy, AlertState, PlannedMessage } from './types';

/**
 * The readiness digest: some days before each audit (audits.digestDaysBefore, default 30, 14 and 3) one
 * Slack message lists the controls (and the management-system clauses, when the pack maps them) that will not be ready on the audit day if nothing new arrives. Pure;
 * activities/readiness-digest.ts evaluates and posts. Once per audit per threshold: the key is recorded in
 * the alert state like every other message's, so a retry or a second run never posts it again.
 */

const DAY = 86_400_000;

/** The audit whose digest is due at `now`, with its threshold; one per audit (the smallest threshold reached). */
export interface DueDigest {
  audit: AuditEntry;
  daysBefore: number;
  key: string;
}

export const digestKeyPrefix = 'readiness-digest:';
export const digestKey = (auditId: string, daysBefore: number) => `${digestKeyPrefix}${auditId}:${daysBefore}d`;

/**
 * Audits ahead of `now` that reached a threshold and whose digest for it was not posted. Only the smallest
 * threshold reached counts: a monitor that was down on day 30 posts the 14-day digest on day 14, never both.
 */
export function dueDigests(calendar: AuditCalendar, state: Pick<AlertState, 'posted'>, now: Date): DueDigest[] {
  const thresholds = [...new Set(calendar.digestDaysBefore)].sort((a, b) => a - b);
  const due: DueDigest[] = [];
  for (const audit of auditsInOrder(calendar)) {
    const left = auditInstant(audit.date).getTime() - now.getTime();
    if (left < 0) continue;
    const daysBefore = thresholds.find((d) => left <= d * DAY);
    if (daysBefore === undefined) continue;
    const key = digestKey(audit.id, daysBefore);
    if (!state.posted[key]) due.push({ audit, daysBefore, key });
  }
  return due;
}

function line(
  c: ControlForecast,
  policy: AlertPolicy,
  records: ReadonlyMap<string, DecidingRecord>,
  now: Date,
): ControlLine {
  const r = c.refresh;
  const until = r?.currentUntil ?? r?.staleOn;
  // Ready today: refresh before it lapses. Not ready today: what today's cause asks for (next-step.ts).
  const step = r ? refreshBefore(r.rule, until) : nextStep(c.now.cause, now);
  const recordId = decidingRecordId(c.now);
  const details = alertDetails(
    c.control.id,
    recordId !== undefined ? records.get(recordId) : undefined,
    routeFor(c.control.id, policy),
    policy,
  );
  return {
    ...(step !== undefined ? { nextStep: step } : {}),
    ...(details.owner ? { owner: details.owner } : {}),
    ...(details.link ? { link: details.link } : {}),
    id: c.control.id,
    title: c.control.title,
    status: c.atAudit.status,
    reason: c.atAudit.reason,
    ...(c.atAudit.dueAt ? { dueAt: c.atAudit.dueAt } : {}),
    evidenceCount: c.now.evidence.length,
    // The refresh itself is the next step, shown on its own line.
    note: r ? `${c.now.status} today` : `already ${c.now.status} today`,
  };
}

/**
 * The digest message, or undefined when every control (and clause, when `withClauses`) will be ready on the
 * day (nothing is posted then). Annex A first, then the management-system clauses, in each section.
 * Its `at` is the audit instant: the alert state keeps posted keys for a retention after their `at`, so
 * the key outlives every threshold of its audit.
 */
export function readinessDigestMessage(
  due: DueDigest,
  forecast: ReadinessForecast,
  policy: AlertPolicy,
  now: Date,
  records: ReadonlyMap<string, DecidingRecord> = new Map(),
  withClauses = false,
): PlannedMessage | undefined {
  const parts = withClauses ? [forecast, forecast.clauses] : [forecast];
  const notReady = parts.flatMap((p) => p.notReady);
  if (notReady.length === 0) return undefined;
  const byId = new Map(parts.flatMap((p) => p.controls).map((c) => [c.control.id, c]));
  const refresh = parts.flatMap((p) => p.mustRefresh).map((id) => byId.get(id)!);
  const already = parts
    .flatMap((p) => p.notReady.filter((id) => !p.mustRefresh.includes(id)))
    .map((id) => byId.get(id)!);
  const toLine = (c: ControlForecast) => line(c, policy, records, now);
  const a = due.audit;
  const days = Math.ceil((Date.parse(forecast.auditAt) - now.getTime()) / DAY);
  const what = withClauses ? 'control(s) and clause(s)' : 'control(s)';
  const summary = `${a.type} audit ${a.id} on ${a.date} (in ${days} days): ${notReady.length} ${what} will not be ready on the day`;
  const { text, blocks } = buildMessage({
    header: `Audit readiness: ${a.type} ${a.date} (in ${days} days)`,
    intro: `*${a.id}* by ${a.certificationBody}${a.scope ? ` (${a.scope})` : ''}: ${notReady.length} ${what} will be stale or missing on the day unless new evidence arrives. \`evidence-hub readiness --audit ${a.id}\` shows the forecast.`,
    sections: [
      ...(refresh.length > 0 ? [{ heading: '*Refresh before the audit*', lines: refresh.map(toLine) }] : []),
      ...(already.length > 0 ? [{ heading: '*Not ready today either*', lines: already.map(toLine) }] : []),
    ],
    at: now,
    summary,
    ...(policy.defaultMention ? { mentions: [policy.defaultMention] } : {}),
  });
  return {
    key: due.key,
    kind: 'digest',
    channel: policy.defaultChannel,
    controls: notReady,
    items: [],
    text,
    blocks,
    at: forecast.auditAt,
  };
}
