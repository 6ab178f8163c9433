import { formatDuration } from '../core/duration';
import type { SystemVerdict } from '../mappings/causes';
import { unknownSystemText } from '../mappings/reasons';
import type { SystemMatrix } from '../mappings/system-matrix';

/** `status --by-system` and `status --system NAME` as plain-text tables (the words follow status-table.ts). */

const day = (iso: string) => iso.slice(0, 10);

/** One cell: capitals where someone must act, as in the status table. */
export function verdictText(v: SystemVerdict | undefined): string {
  if (!v) return '-';
  switch (v.status) {
    case 'current':
      return 'current';
    case 'due-soon':
      return `DUE SOON ${v.dueAt ? day(v.dueAt) : ''}`.trim();
    case 'overdue':
      return `OVERDUE (grace)`;
    case 'stale':
      return `STALE (${formatDuration(v.ageMs)} old)`;
    case 'unverified':
      return 'UNVERIFIED';
    case 'missing':
      return 'MISSING';
    case 'in-grace':
      return `new, grace to ${day(v.graceEndsAt)}`;
    case 'retired':
      return `retired ${day(v.retiredOn)}`;
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Systems across, per-system controls down; then the warnings about unknown system names. */
export function renderSystemMatrix(m: SystemMatrix): string {
  if (m.rows.length === 0) return 'no rule is judged per AI system (per: aiSystem with aiSystems: configured)';
  const rows = m.rows.map((r) => [r.control, r.rule, ...m.systems.map((s) => verdictText(r.systems[s]))]);
  return [
    table(['CONTROL', 'RULE', ...m.systems], rows),
    ...m.unknown.map((u) => `${u.rule}: ${unknownSystemText(u)}`),
  ].join('\n');
}

/** One system's per-system controls, with the record that decides each. */
export function renderSystem(m: SystemMatrix, system: string): string {
  const rows = m.rows.map((r) => {
    const v = r.systems[system];
    return [
      r.control,
      verdictText(v),
      v && 'record' in v ? day(v.record.observedAt) : '-',
      v && 'dueAt' in v && v.dueAt ? day(v.dueAt) : '-',
      r.rule,
      v && 'record' in v ? `${r.title}: ${v.record.id}` : r.title,
    ];
  });
  const header = ['CONTROL', 'STATUS', 'NEWEST', 'STALE ON', 'RULE', 'TITLE: EVIDENCE'];
  const warnings = m.unknown.filter((u) => u.didYouMean === system).map((u) => `${u.rule}: ${unknownSystemText(u)}`);
  return [`AI system ${system}`, table(header, rows), ...warnings].join('\n');
}
