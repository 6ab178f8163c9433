import type { ControlCause, RuleCause } from './causes';
import type { ControlStatus } from './evaluate';

/**
 * DUE has one meaning everywhere (status table and JSON, HTML and PDF, OSCAL, Slack): the instant the
 * deciding rule's evidence goes stale, or went stale. Which of the two follows from the status, so every
 * renderer labels the same date the same way (docs/mappings.md, "How a control's status is decided").
 */
export type DueLabel = 'goes stale on' | 'stale since';

/** The column heading for the DUE date in tables. */
export const dueHeading = 'Stale on';

/** How a result's `dueAt` reads: undefined when it has none. */
export function dueLabel(r: {
  status: ControlStatus;
  cause: ControlCause | RuleCause;
  dueAt?: string;
}): DueLabel | undefined {
  if (r.dueAt === undefined) return undefined;
  if (r.status === 'stale') return 'stale since';
  const c = r.cause;
  const cause = c.kind === 'rule' ? c.cause : c.kind === 'not-applicable' || c.kind === 'unmapped' ? undefined : c;
  return cause?.kind === 'collection-failed' && cause.consequence.kind === 'already' ? 'stale since' : 'goes stale on';
}

/** "goes stale on 2027-01-31" / "stale since 2025-03-02" (UTC day), or undefined without a date. */
export function dueText(r: {
  status: ControlStatus;
  cause: ControlCause | RuleCause;
  dueAt?: string;
}): string | undefined {
  const label = dueLabel(r);
  return label && r.dueAt ? `${label} ${r.dueAt.slice(0, 10)}` : undefined;
}
