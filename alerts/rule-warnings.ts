import type { ControlResult, RuleResult } from '../mappings/evaluate';
import { isProblem } from './types';

/**
 * Warning windows a control's status hides. A control shows its most urgent rule: when a rule without grace
 * enters its warning window (`due-soon`) while another rule makes the control `not-configured`,
 * `design-only`, `unverified` or `not-exercised`, the control never reads due soon, and the evidence would go
 * from current to stale with no notice at all (with grace there is at least the overdue alert). A.3.3 had 13
 * days left this way: its concern procedure was due soon behind a Jira rule with no Jira source configured.
 * So the engine announces such a rule's window itself, once per window.
 */
export function hiddenDueSoonRules(result: Pick<ControlResult, 'status' | 'rules'>): RuleResult[] {
  if (result.status === 'due-soon' || result.status === 'current' || result.status === 'not-applicable') return [];
  // A control that is itself a problem has an alert and reminders already; its owner is on it.
  if (isProblem(result.status)) return [];
  return result.rules
    .filter((r) => r.status === 'due-soon')
    .sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

/** What identifies one warning window of a rule: the end of its max age (a new record moves it). */
export function warningAnchor(rule: RuleResult): string {
  const until = rule.cause.kind === 'due-soon' ? rule.cause.currentUntil : (rule.dueAt ?? '');
  return `rule:${rule.rule}:${until}`;
}
