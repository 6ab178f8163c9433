import type { ControlResult, RuleResult } from '../mappings/evaluate';

/**
 * Warning windows a control's status hides. A control shows its most urgent rule: when a rule enters its
 * warning window (`due-soon`) while another rule decides the control (missing, not-configured, design-only
 * ...), the control never reads due soon, and that rule's evidence goes from current to stale with no notice
 * (without grace there is not even the overdue alert; under a missing control not even a stale one). A.3.3
 * had 13 days left this way: its concern procedure was due soon behind a concern register not yet recorded.
 * So the engine announces such a rule's window itself, once per window. The deciding rule's own window is
 * the control's `due-soon` notice.
 */
export function hiddenDueSoonRules(result: Pick<ControlResult, 'status' | 'rules' | 'decidingRule'>): RuleResult[] {
  if (result.status === 'not-applicable') return [];
  return result.rules
    .filter((r) => r.status === 'due-soon' && r.rule !== result.decidingRule)
    .sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

/** What identifies one warning window of a rule: the end of its max age (a new record moves it). */
export function warningAnchor(rule: RuleResult): string {
  const until = rule.cause.kind === 'due-soon' ? rule.cause.currentUntil : (rule.dueAt ?? '');
  return `rule:${rule.rule}:${until}`;
}
