/**
 * Event timestamps as exported by SIEMs, to epoch milliseconds. Every accepted form is explicit, and a
 * time without a zone is UTC: `Date.parse` would read it in the worker's local zone, so the same export
 * would give different evidence on different machines.
 */

/** Events outside this range are malformed: a bogus year would otherwise open a huge gap or span. */
export const minEventTime = Date.UTC(2000, 0, 1);
export const maxEventTime = Date.UTC(2100, 0, 1);

const isoRe =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;
const cefRe =
  /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?: (Z|UTC|GMT|[+-]\d{2}:?\d{2}))?$/;
const numericRe = /^\d{1,20}(?:\.\d{1,9})?$/;
/** .NET / PowerShell `ConvertTo-Json` dates (Windows `TimeCreated`): `/Date(1767225600000)/`, optionally `+0100`; the number is UTC. */
const dotNetDateRe = /^\/Date\((\d{1,15})(?:[+-]\d{4})?\)\/$/;
const explicitZoneRe = /(?:\b(?:GMT|UTC)|Z|[+-]\d{2}:?\d{2})$/;
const months: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * Epoch milliseconds, or NaN when the value is not a time. Numbers (and numeric strings) are epoch
 * seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude (unambiguous for 2000-2100).
 */
export function parseTimestamp(value: unknown): number {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return NaN;
  const s = value.trim();
  if (s.length === 0 || s.length > 64) return NaN;
  if (numericRe.test(s)) return fromEpoch(Number(s));
  const dotNet = dotNetDateRe.exec(s);
  if (dotNet) return Number(dotNet[1]);
  let m = isoRe.exec(s);
  if (m) {
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
    return utc(+m[1]!, +m[2]! - 1, +m[3]!, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, ms, m[8]);
  }
  m = cefRe.exec(s);
  if (m) {
    const month = months[m[1]!];
    if (month === undefined) return NaN;
    return utc(+m[3]!, month, +m[2]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? Number(m[7].padEnd(3, '0')) : 0, m[8]);
  }
  // RFC 2822 and similar, only when the zone is explicit (never the local zone).
  if (explicitZoneRe.test(s) && /[A-Za-z]{3}/.test(s)) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? NaN : t;
  }
  return NaN;
}

function fromEpoch(n: number): number {
  if (!Number.isFinite(n) || n <= 0) return NaN;
  if (n < 1e11) return Math.round(n * 1000);
  if (n < 1e14) return Math.round(n);
  if (n < 1e17) return Math.round(n / 1e3);
  return Math.round(n / 1e6);
}

function utc(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  zone: string | undefined,
): number {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  const t = Date.UTC(y, mo, d, h, mi, Math.min(s, 59), ms);
  if (new Date(t).getUTCDate() !== d) return NaN; // 2026-02-30
  return t - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'z' || zone === 'UTC' || zone === 'GMT') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}

const bsdRe = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * An RFC 3164 (BSD syslog) time, `Dec 12 16:52:41`, has no year and no zone. The year is the one that puts
 * the time at or before `referenceMs` (the export file's mtime: a log line is not written after its file),
 * allowing a day of clock skew; the zone is UTC, like every zone-less time here. NaN when not that shape.
 */
export function parseBsdSyslogTime(text: string, referenceMs: number): number {
  const m = bsdRe.exec(text);
  const month = m ? months[m[1]!] : undefined;
  if (!m || month === undefined || !Number.isFinite(referenceMs)) return NaN;
  const at = (year: number) =>
    utc(year, month, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? Number(m[6].slice(0, 3).padEnd(3, '0')) : 0, undefined);
  const year = new Date(referenceMs).getUTCFullYear();
  const t = at(year);
  return Number.isNaN(t) || t <= referenceMs + dayMs ? t : at(year - 1);
}

export function inEventRange(t: number): boolean {
  return t >= minEventTime && t < maxEventTime;
}

/** A configured date: a date alone is 00:00 UTC, or, as an end (`endOfDay`), the end of that UTC day. */
export function parseConfigDate(text: string, endOfDay: boolean): number {
  const t = parseTimestamp(text);
  if (endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(text.trim())) return t + 86_400_000;
  return t;
}

export const dayMs = 86_400_000;

export function isoDay(dayIndex: number): string {
  return new Date(dayIndex * dayMs).toISOString().slice(0, 10);
}

export function iso(t: number): string {
  return new Date(t).toISOString();
}
