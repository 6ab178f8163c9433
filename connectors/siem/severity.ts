import { severityNames, type SeverityName } from './config';

/** 0 unknown, then 1..5 for info, low, medium, high, critical. */
export type Severity = 0 | 1 | 2 | 3 | 4 | 5;

export const severityLabels = ['unknown', ...severityNames] as const;

export function severityRank(name: SeverityName): Severity {
  return (severityNames.indexOf(name) + 1) as Severity;
}

const words: Record<string, Severity> = {
  unknown: 0,
  debug: 1,
  trace: 1,
  info: 1,
  information: 1,
  informational: 1,
  notice: 1,
  low: 2,
  minor: 2,
  medium: 3,
  moderate: 3,
  warn: 3,
  warning: 3,
  high: 4,
  major: 4,
  error: 4,
  err: 4,
  severe: 4,
  critical: 5,
  crit: 5,
  fatal: 5,
  alert: 5,
  emerg: 5,
  emergency: 5,
  'very-high': 5,
  'very high': 5,
  very_high: 5,
};

/**
 * Numbers are read on the CEF scale (0-3 low, 4-6 medium, 7-8 high, 9-10 very high), except for OCSF,
 * whose `severity_id` is 1 informational .. 5 critical, 6 fatal, 99 other.
 */
export function normalizeSeverity(value: unknown, ocsfScale: boolean): Severity {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    const w = words[s];
    if (w !== undefined) return w;
    if (!/^\d{1,3}(\.\d+)?$/.test(s)) return 0;
    n = Number(s);
  } else return 0;
  if (!Number.isFinite(n)) return 0;
  if (ocsfScale) {
    if (n >= 1 && n <= 5) return Math.floor(n) as Severity;
    return n === 6 ? 5 : 0;
  }
  if (n < 0 || n > 10) return 0;
  if (n < 4) return 2;
  if (n < 7) return 3;
  if (n < 9) return 4;
  return 5;
}
