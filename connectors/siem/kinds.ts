/**
 * Artifact kinds of the `siem` source type (the descriptor's `kinds`, connectors/siem/index.ts):
 * - `log-export`: a raw export file, bytes as found (gzip stays gzip)
 * - `quarantine`: the malformed records of one export file (line numbers and reasons, no content)
 * - `event-counts`: events per system per UTC day, severities, categories
 * - `log-continuity`: the largest gap between consecutive events per production system
 * - `retention`: the retained time span (first and last event, days covered)
 * - `incident-list`: events selected by the incident rules
 */
export const siemKinds = [
  'log-export',
  'quarantine',
  'event-counts',
  'log-continuity',
  'retention',
  'incident-list',
] as const;
export type SiemKind = (typeof siemKinds)[number];

/** Summary kinds, in the order they are yielded after the export files. */
export const summaryKinds = [
  'event-counts',
  'log-continuity',
  'retention',
  'incident-list',
] as const satisfies readonly SiemKind[];
export type SummaryKind = (typeof summaryKinds)[number];
