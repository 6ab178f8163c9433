/**
 * Five-field cron validation (minute hour day-of-month month day-of-week), the dialect Temporal
 * Schedules accept in `cronExpressions`. Returns a problem description, or undefined when valid.
 */
const fields = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

const macros = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

export function cronProblem(expr: string): string | undefined {
  const trimmed = expr.trim();
  if (macros.has(trimmed)) return undefined;
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
  for (let i = 0; i < 5; i++) {
    const spec = fields[i]!;
    for (const item of parts[i]!.split(',')) {
      const problem = itemProblem(item, spec);
      if (problem) return `${spec.name} field "${parts[i]}": ${problem}`;
    }
  }
  return undefined;
}

function itemProblem(item: string, spec: (typeof fields)[number]): string | undefined {
  const [range, step, ...rest] = item.split('/');
  if (rest.length > 0 || range === undefined || range === '') return 'malformed';
  if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `step "${step}" must be a positive number`;
  if (range === '*' || range === '?') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return `malformed range "${range}"`;
  const values = bounds.map((b) => toNumber(b, spec));
  for (const [i, v] of values.entries()) {
    if (v === undefined) return `"${bounds[i]}" is not a number or name`;
    if (v < spec.min || v > spec.max) return `${v} is outside ${spec.min}-${spec.max}`;
  }
  if (values.length === 2 && values[0]! > values[1]!) return `range "${range}" runs backwards`;
  return undefined;
}

function toNumber(token: string, spec: (typeof fields)[number]): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  if ('names' in spec) {
    const idx = (spec.names as readonly string[]).indexOf(token.toUpperCase());
    if (idx >= 0) return idx + spec.min;
  }
  return undefined;
}
