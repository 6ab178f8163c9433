import { dueHeading } from '../mappings/due';
import { statuses, type ControlResult, type ControlStatus } from '../mappings/evaluate';
import { statusText } from '../mappings/reasons';

/** reasons.ts `statusText`, in capitals where someone must act. */
const marks: Record<ControlStatus, string> = {
  current: 'evidence current',
  'due-soon': 'DUE SOON',
  'not-exercised': 'not exercised',
  overdue: 'OVERDUE (grace)',
  'not-configured': 'not configured',
  'design-only': 'DESIGN-ONLY',
  unverified: 'UNVERIFIED',
  stale: 'STALE',
  missing: 'MISSING',
  exception: 'EXCEPTION',
  'collection-failed': 'COLLECTION-FAILED',
  'not-applicable': 'n/a',
};

/**
 * Plain-text table: one line per control, wide reason last so it can wrap without breaking columns.
 * NEWEST, STALE ON and RULE all belong to the deciding rule (mappings/due.ts has STALE ON's meaning).
 */
export function renderStatusTable(results: ControlResult[]): string {
  const rows = results.map((r) => [
    r.control.id,
    marks[r.status],
    r.newest ? r.newest.observedAt.slice(0, 10) : '-',
    r.dueAt ? r.dueAt.slice(0, 10) : '-',
    r.decidingRule ?? '-',
    `${r.control.title}: ${r.reason}`,
  ]);
  const header = ['CONTROL', 'STATUS', 'NEWEST', dueHeading.toUpperCase(), 'RULE', 'TITLE: REASON'];
  const fixed = header.length - 1;
  const widths = header.slice(0, fixed).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < fixed ? c.padEnd(widths[i]!) : c)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function statusCounts(results: ControlResult[]): Record<ControlStatus, number> {
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<ControlStatus, number>;
  for (const r of results) counts[r.status]++;
  return counts;
}

export function renderCounts(results: ControlResult[]): string {
  return Object.entries(statusCounts(results))
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${statusText[s as ControlStatus]}`)
    .join(', ');
}
