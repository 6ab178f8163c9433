import { formatDuration } from '../core/duration';
import type { CollectionFailedCause, ControlCause, DecidingRecord, FailureConsequence, RuleCause } from './causes';

/**
 * The one place where a cause becomes the English `reason` sentence shown by `status`, Slack and the
 * audit pack. Nothing reads these sentences back: whoever needs a fact takes it from the cause.
 */

const day = (iso: string) => iso.slice(0, 10);

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
    case 'no-evidence':
      return `no evidence matches rule "${cause.rule}"${cause.description ? ` (${cause.description})` : ''}`;
    case 'too-few':
      return `${cause.found} of ${cause.required} required records exist`;
    case 'fresh':
      return `${recordText(cause.deciding)} observed ${day(cause.deciding.observedAt)}, fresh until ${day(cause.freshUntil)} (max age ${cause.maxAge.text})`;
    case 'in-grace':
      return `${recordText(cause.deciding)} is past its max age of ${cause.maxAge.text} (observed ${day(cause.deciding.observedAt)}); grace ends ${day(cause.graceEndsAt)}`;
    case 'too-old':
      return `${recordText(cause.deciding)} is ${formatDuration(cause.ageMs)} old (observed ${day(cause.deciding.observedAt)}); max age ${cause.maxAge.text}`;
    case 'no-changes':
      return `no changes in the last ${formatDuration(cause.windowMs)}; nothing needs a record (${cause.requirement})`;
    case 'changes-recorded':
      return `all ${cause.changes} changes in the last ${formatDuration(cause.windowMs)} have a record (${cause.requirement})`;
    case 'changes-in-grace':
      return `${cause.inGrace.length} change(s) without a record yet, inside grace: ${keyList(cause.inGrace)}`;
    case 'changes-overdue':
      return `${cause.overdue.length} of ${cause.changes} change(s) have no record: ${keyList(cause.overdue)}`;
    case 'collection-failed':
      return `source "${cause.source}" ${failureOutcomeText(cause.outcome)} at ${cause.at}: ${cause.error ?? 'unknown error'}${consequenceText(cause.consequence)}`;
  }
}

export function controlReason(cause: ControlCause): string {
  switch (cause.kind) {
    case 'not-applicable':
      return `not applicable (Statement of Applicability): ${cause.justification}`;
    case 'unmapped':
      return 'no mapping rule covers this control; add one to a mapping file';
    case 'rule':
      return cause.rules > 1 ? `${cause.rule}: ${ruleReason(cause.cause)}` : ruleReason(cause.cause);
  }
}
