import { sinceLastAuditHeadings, type SinceLastAudit, type WindowRecord } from '../mappings/since-last-audit';

/**
 * What a surveillance auditor reviews since the previous audit, as `readiness` prints it: each heading
 * with its records in the window (oldest first), or "none recorded" so an empty list is visibly empty.
 */
export function renderSinceLastAudit(s: SinceLastAudit): string[] {
  const lines = ['since the previous audit (records dated in the observation window):'];
  for (const heading of sinceLastAuditHeadings) {
    const records = s[heading];
    lines.push(`  ${heading} (${records.length})${records.length === 0 ? ': none recorded' : ':'}`);
    for (const r of records) lines.push(`    ${recordLine(r)}`);
  }
  return lines;
}

function recordLine(r: WindowRecord): string {
  const facts = [
    r.status !== undefined ? r.status : undefined,
    r.due !== undefined ? `due ${r.due.slice(0, 10)}` : undefined,
    `${r.sourceType} ${r.kind}`,
    `rule ${r.rule}`,
  ].filter((x): x is string => x !== undefined);
  return `${r.observedAt.slice(0, 10)}  ${r.name ?? r.id}  (${facts.join(', ')})`;
}
