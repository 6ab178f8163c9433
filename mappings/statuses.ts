/**
 * Every status a control or rule can have, from good to bad (docs/mappings.md, "How a control's status is
 * decided"): `current` (shown as "evidence current"), `due-soon` (current, but its max age ends within
 * the warning window), `not-exercised` (a per-change rule with no change in its window), `overdue` (past
 * its max age, inside grace: shown as "overdue (grace)"), `not-configured` (the rule's source or query is
 * not set up), `design-only` (a design document, no operating record), `unverified` (a document without
 * an effective, approval or review date), `stale`, `missing`, `exception` (the current state breaks a
 * state rule), `collection-failed`, and `not-applicable` (excluded in the SoA). The words shown for each
 * are in reasons.ts (`statusText`).
 */
export const statuses = [
  'current',
  'due-soon',
  'not-exercised',
  'overdue',
  'not-configured',
  'design-only',
  'unverified',
  'stale',
  'missing',
  'exception',
  'collection-failed',
  'not-applicable',
] as const;
export type ControlStatus = (typeof statuses)[number];
