/**
 * JQL the connector sends: the configured query's condition, an `updated >=` bound for incremental runs,
 * and a fixed order that keeps pagination stable while people keep editing issues.
 */

/** Issues are read oldest-created first: edits during a run do not move an issue to another page. */
export const stableOrder = 'ORDER BY created ASC, key ASC';

/** Splits a JQL query at its top-level ORDER BY (quoted text such as `summary ~ "order by"` is not split). */
export function splitOrderBy(jql: string): { where: string; orderBy?: string } {
  let quote: string | undefined;
  for (let i = 0; i < jql.length; i++) {
    const ch = jql[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      continue;
    }
    if ((ch === 'o' || ch === 'O') && (i === 0 || /[\s)]/.test(jql[i - 1]!)) && /^order\s+by\b/i.test(jql.slice(i))) {
      return { where: jql.slice(0, i).trim(), orderBy: jql.slice(i).trim() };
    }
  }
  return { where: jql.trim() };
}

/**
 * The JQL for one configured query. `since` is the lower bound on `updated` (already reduced by the
 * safety overlap); the query's own ORDER BY is replaced by {@link stableOrder}.
 */
export function buildJql(configured: string, since: Date | undefined, timeZone: string | undefined): string {
  const { where } = splitOrderBy(configured);
  const clauses: string[] = [];
  if (where) clauses.push(`(${where})`);
  if (since) clauses.push(`updated >= "${formatJqlDate(since, timeZone)}"`);
  return `${clauses.join(' AND ')} ${stableOrder}`;
}

/**
 * Latest UTC offset in use anywhere (Pacific/Kiritimati). JQL reads a date literal in the time zone of
 * the searching user's profile, which the connector cannot see. Written at this offset, the literal is
 * read as an instant at or before the intended one whatever that profile says: a run re-reads up to a
 * day of issues, but never misses one. Configure `timeZone` to make the bound exact.
 */
const earliestReadingOffsetMs = 14 * 3_600_000;

/** `yyyy-MM-dd HH:mm` in `timeZone`, rounded down to the minute (JQL has no seconds). */
export function formatJqlDate(instant: Date, timeZone: string | undefined): string {
  if (timeZone === undefined) {
    const shifted = new Date(instant.getTime() + earliestReadingOffsetMs);
    return shifted.toISOString().slice(0, 16).replace('T', ' ');
  }
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}`;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
