import { formatDuration } from '../core/duration';
import type { ControlStatus } from './statuses';
import type { DateKind } from './date-kind';
import type {
  CollectionFailedCause,
  ControlCause,
  DecidingRecord,
  FailureConsequence,
  Mismatch,
  RuleCause,
  ScopeMismatch,
  SoaApproval,
  SystemVerdict,
  UnknownSystemName,
} from './causes';

/**
 * The one place where a cause becomes the English `reason` sentence shown by `status`, Slack and the
 * audit pack. Nothing reads these sentences back: whoever needs a fact takes it from the cause.
 */

const day = (iso: string) => iso.slice(0, 10);

/**
 * How each status is shown (CLI, HTML, PDF, Slack): words that say what the evidence shows, never that the
 * control conforms ("evidence current", not "fresh" or "compliant").
 */
export const statusText: Record<ControlStatus, string> = {
  current: 'evidence current',
  'due-soon': 'due soon',
  'not-exercised': 'not exercised',
  overdue: 'overdue (grace)',
  'not-configured': 'not configured',
  'design-only': 'design only',
  unverified: 'unverified',
  stale: 'stale',
  missing: 'missing',
  exception: 'exception',
  'collection-failed': 'collection failed',
  'not-applicable': 'not applicable',
};

/** What a record's date is, as the sentence names it (date-kind.ts has the kinds). */
export const dateKindText: Record<DateKind, string> = {
  effective: 'effective',
  approved: 'approved',
  reviewed: 'reviewed',
  'pdf-modified': 'PDF modified',
  'pdf-created': 'PDF created',
  published: 'published',
  event: 'event time',
  snapshot: 'snapshot taken',
  committed: 'last commit',
  'file-time': 'file time',
  unknown: 'observed',
};

/** "effective 2026-01-12", "event time 2026-01-12", "file time 2026-01-12" ("observed" when unknown). */
export function datedText(r: { observedAt: string; dateKind: DateKind }): string {
  return `${dateKindText[r.dateKind]} ${day(r.observedAt)}`;
}

/** "newest evidence <id>", or "the 3 newest records" when a rule wants several. */
function recordText(d: DecidingRecord): string {
  return d.count > 1 ? `the ${d.count} newest records` : `newest evidence ${d.id}`;
}

/** At most five keys, then how many more. */
function keyList(keys: readonly string[]): string {
  return keys.slice(0, 5).join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');
}

/** How a failed run is worded: "failed" or "collected with problems". */
export function failureOutcomeText(outcome: CollectionFailedCause['outcome']): 'failed' | 'collected with problems' {
  return outcome === 'partial' ? 'collected with problems' : 'failed';
}

const opText: Record<string, string> = { ne: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' };

/** "maxGapHours is 33404.94, rule needs ≤ 24"; "protected is false" (a boolean says it all). */
export function mismatchText(m: Mismatch): string {
  switch (m.op) {
    case 'none-of':
      return `none of: ${m.alternatives.map((a) => a.map(mismatchText).join(' and ')).join('; or ')}`;
    case 'excluded':
      return `matches the excluded ${m.where}`;
  }
  const is = `${m.path} is ${m.actual ?? 'absent'}`;
  const bound = Array.isArray(m.expected)
    ? m.expected.map((x) => JSON.stringify(x)).join(', ')
    : JSON.stringify(m.expected);
  switch (m.op) {
    case 'eq':
      return typeof m.expected === 'boolean' && m.actual !== undefined ? is : `${is}, rule needs ${bound}`;
    case 'in':
      return `${is}, rule needs one of ${bound}`;
    case 'glob':
      return `${is}, rule needs glob ${bound}`;
    case 'regex':
      return `${is}, rule needs regex ${bound}`;
    case 'exists':
      return m.expected === true ? `${m.path} is absent` : `${is}, rule needs it absent`;
    default:
      return `${is}, rule needs ${opText[m.op]} ${typeof m.expected === 'number' ? m.expected : bound}`;
  }
}

/** "newest github branch-protection record gh:x (observed 2026-03-01): protected is false". */
function scopeMismatchText(c: ScopeMismatch): string {
  const why = c.mismatches.length > 0 ? c.mismatches.map(mismatchText).join(', ') : 'no test failed';
  return `newest ${c.scope} record ${c.record.id} (${datedText({ ...c.record, dateKind: c.record.dateKind ?? 'unknown' })}): ${why}`;
}

/** "github branch-protection acme/app main (source gh) as of 2026-03-01 (gh:x): protected is false". */
function subjectMismatchText(c: ScopeMismatch): string {
  const why = c.mismatches.length > 0 ? c.mismatches.map(mismatchText).join(', ') : 'no test failed';
  const kind =
    c.record.dateKind !== undefined && c.record.dateKind !== 'snapshot' && c.record.dateKind !== 'unknown'
      ? `, ${dateKindText[c.record.dateKind]}`
      : '';
  return `${c.scope} as of ${day(c.record.observedAt)}${kind} (${c.record.id}): ${why}`;
}

/** "3 sources failed: a, b, c" and "and 2 more"; the cause lists every one. */
function failedSourcesText(cause: CollectionFailedCause): string {
  const all = cause.sources;
  if (all.length === 1) return `source "${cause.source}" ${failureOutcomeText(cause.outcome)}`;
  const outcomes = new Set(all.map((s) => failureOutcomeText(s.outcome)));
  const names = all.slice(0, 3).map((s) => s.source);
  const more = all.length > 3 ? ` and ${all.length - 3} more` : '';
  return `${all.length} sources ${[...outcomes].sort().reverse().join(' or ')}: ${names.join(', ')}${more}; "${cause.source}" ${failureOutcomeText(cause.outcome)}`;
}

function consequenceText(c: FailureConsequence): string {
  switch (c.kind) {
    case 'goes-stale':
      return `; evidence goes stale in ${formatDuration(c.inMs)} (${day(c.at)})`;
    case 'no-due-date':
      return '';
    case 'already':
      return `; evidence is already ${c.status}`;
  }
}

export function ruleReason(cause: RuleCause): string {
  switch (cause.kind) {
    case 'needs-upload':
      return `needs a manual upload${cause.description ? `: ${cause.description}` : ''}${cause.uploadTopics.length > 0 ? ` (evidence-hub upload FILE --topic ${cause.uploadTopics.join('|')})` : ''}`;
    case 'nothing-collected':
      return `nothing collected for rule "${cause.rule}"${cause.description ? ` (${cause.description})` : ''} from ${cause.scopes.join(' or ')}`;
    case 'no-match':
      return `collected, but no record matches rule "${cause.rule}"${cause.description ? ` (${cause.description})` : ''}: ${cause.checked.map(scopeMismatchText).join('; ')}`;
    case 'state-exception':
      return `exception: the current state breaks rule "${cause.rule}"${cause.description ? ` (${cause.description})` : ''}: ${cause.subjects.map(subjectMismatchText).join('; ')}`;
    case 'too-few':
      return `${cause.found} of ${cause.required} required records exist`;
    case 'current':
      return `${recordText(cause.deciding)} ${datedText(cause.deciding)}, current until ${day(cause.currentUntil)} (max age ${cause.maxAge.text})`;
    case 'due-soon':
      return `due soon: ${recordText(cause.deciding)} ${datedText(cause.deciding)}, current until ${day(cause.currentUntil)} (max age ${cause.maxAge.text}, warning ${cause.warnBefore.text} before); a new record is due by then${cause.staleAt !== cause.currentUntil ? `, stale after grace on ${day(cause.staleAt)}` : ''}`;
    case 'in-grace':
      return `overdue (grace): ${recordText(cause.deciding)} is past its max age of ${cause.maxAge.text} (${datedText(cause.deciding)}); grace ends ${day(cause.graceEndsAt)}`;
    case 'too-old':
      return `${recordText(cause.deciding)} is ${formatDuration(cause.ageMs)} old (${datedText(cause.deciding)}); max age ${cause.maxAge.text}`;
    case 'version-mismatch':
      return `${cause.record.id} ${cause.record.version !== undefined ? `is for version ${cause.record.version}` : 'names no version'}, but the current version is ${cause.current.version} (${cause.current.id}, rule "${cause.current.rule}"): new records for version ${cause.current.version} are needed`;
    case 'undated':
      return `unverified: document ${cause.record.id} has no effective, approval or review date, only its ${datedText(cause.record)}, which is not counted (max age ${cause.maxAge.text}); add effective_date, approved or review_date to its front matter (or a .meta.yaml sidecar)`;
    case 'design-only':
      return `design only: no operating record; "${cause.designRule}" is current (${cause.design.id}, ${datedText(cause.design)}), but "${cause.operatingRule}": ${ruleReason(cause.operating)}`;
    case 'not-configured':
      return `not configured: no ${cause.sourceTypes.join(' or ')} source feeds rule "${cause.rule}"${cause.description ? ` (${cause.description})` : ''}`;
    case 'no-changes':
      return `not exercised: no changes in the last ${formatDuration(cause.windowMs)} (${cause.requirement})`;
    case 'changes-recorded':
      return `all ${cause.changes} changes in the last ${formatDuration(cause.windowMs)} have a record (${cause.requirement})`;
    case 'changes-in-grace':
      return `${cause.inGrace.length} change(s) without a record yet, inside grace: ${keyList(cause.inGrace)}`;
    case 'changes-overdue':
      return `${cause.overdue.length} of ${cause.changes} change(s) have no record: ${keyList(cause.overdue)}`;
    case 'per-system':
      return perSystemText(cause);
    case 'collection-failed':
      return `${failedSourcesText(cause)} at ${cause.at}: ${cause.error ?? 'unknown error'}${consequenceText(cause.consequence)}`;
    case 'source-problems':
      return `${ruleReason(cause.evidence)}; ${cause.sources
        .map((s) => `source "${s.source}" collected with problems at ${s.at}: ${s.error ?? 'no detail'}`)
        .join('; ')}`;
  }
}

/** How each AI system's state is worded, worst first: the systems that need work lead the sentence. */
const systemGroups: [SystemVerdict['status'], string, (v: SystemVerdict) => string][] = [
  ['missing', 'missing for', (v) => v.system],
  ['stale', 'stale for', (v) => ('ageMs' in v ? `${v.system} (${formatDuration(v.ageMs)} old)` : v.system)],
  ['unverified', 'unverified (undated) for', (v) => v.system],
  [
    'overdue',
    'overdue (grace) for',
    (v) => ('dueAt' in v && v.dueAt ? `${v.system} (stale on ${day(v.dueAt)})` : v.system),
  ],
  ['due-soon', 'due soon for', (v) => ('dueAt' in v && v.dueAt ? `${v.system} (stale on ${day(v.dueAt)})` : v.system)],
  [
    'in-grace',
    'new, in grace for',
    (v) => ('graceEndsAt' in v ? `${v.system} (missing after ${day(v.graceEndsAt)})` : v.system),
  ],
  ['current', 'current for', (v) => v.system],
];

/** "stale for route-optimizer (400d old), missing for chat-assistant; current for fraud-scoring (per AI system, max age 365d)". */
function perSystemText(cause: Extract<RuleCause, { kind: 'per-system' }>): string {
  const parts = systemGroups
    .map(([status, words, item]) => {
      const these = cause.systems.filter((v) => v.status === status);
      return these.length > 0 ? `${words} ${keyList(these.map(item))}` : undefined;
    })
    .filter((p): p is string => p !== undefined);
  const retired = cause.systems.flatMap((v) => (v.status === 'retired' ? [`${v.system} (${day(v.retiredOn)})`] : []));
  const head =
    parts.length > 0
      ? `${parts.join(', ')} (per AI system, max age ${cause.requirement})`
      : `not exercised: no AI system in scope (per AI system, max age ${cause.requirement})`;
  return [
    head,
    ...(retired.length > 0 ? [`retired: ${keyList(retired)}`] : []),
    ...cause.unknown.map(unknownSystemText),
    ...(cause.unnamed > 0 ? [`${cause.unnamed} matching record(s) name no AI system`] : []),
  ].join('; ');
}

/** 'warning: ia-old.md names unknown AI system "route-optimiser" (did you mean route-optimizer?)'. */
export function unknownSystemText(u: UnknownSystemName): string {
  return `warning: ${u.record} names unknown AI system "${u.system}"${u.didYouMean !== undefined ? ` (did you mean ${u.didYouMean}?)` : ' (not in the inventory)'}`;
}

/** "Statement of Applicability v2026.1, approved by J. Doe on 2026-01-05"; says what the file does not state. */
export function soaText(soa: SoaApproval): string {
  const version = soa.version !== undefined ? ` v${soa.version}` : ' (version not stated)';
  const approval =
    soa.approvedBy !== undefined || soa.approvedOn !== undefined
      ? `, approved${soa.approvedBy !== undefined ? ` by ${soa.approvedBy}` : ''}${soa.approvedOn !== undefined ? ` on ${soa.approvedOn}` : ''}`
      : ', approval not recorded';
  return `Statement of Applicability${version}${approval}`;
}

export function controlReason(cause: ControlCause): string {
  switch (cause.kind) {
    case 'not-applicable':
      return `not applicable (${soaText(cause.soa)}): ${cause.justification}`;
    case 'unmapped':
      return 'no mapping rule covers this control; add one to a mapping file';
    case 'rule':
      return cause.rules > 1 ? `${cause.rule}: ${ruleReason(cause.cause)}` : ruleReason(cause.cause);
  }
}
