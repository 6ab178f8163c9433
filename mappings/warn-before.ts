import { formatDuration, parseDuration } from '../core/duration';
import type { FileProblem, YamlSource } from '../core/yaml-source';
import type { RawRule } from './schema';

/**
 * The warning window of max-age rules (docs/mappings.md, "Due soon, overdue, stale"): the last stretch
 * of the max age, in which the rule is `due-soon` so the owner renews the evidence before it is overdue.
 */

const day = 24 * 3600 * 1000;

/**
 * The warning window: as written, else 14 days or a quarter of the max age, whichever is smaller (a
 * 7-day record is due soon in its last 42 hours, a yearly review in its last 14 days).
 */
export function warnBeforeOf(
  written: string | undefined,
  maxAgeMs: number,
): { warnBeforeMs: number; warnBeforeText: string } {
  if (written !== undefined) return { warnBeforeMs: parseDuration(written)!, warnBeforeText: written };
  const ms = Math.min(14 * day, Math.floor(maxAgeMs / 4));
  // Whole days as days, else hours (formatDuration would round 42h up to "2d").
  return { warnBeforeMs: ms, warnBeforeText: ms % day === 0 ? formatDuration(ms) : `${Math.round(ms / 3_600_000)}h` };
}

/** A warning window must be shorter than the max age it warns about, and only max-age rules have one. */
export function checkWarnBefore(
  src: YamlSource,
  raw: RawRule,
  fileDefault: string | undefined,
  at: (...p: PropertyKey[]) => PropertyKey[],
  problems: FileProblem[],
): void {
  const f = raw.freshness;
  if (raw.warnBefore !== undefined && typeof f === 'object' && 'perChange' in f) {
    problems.push(
      src.problem(
        at('warnBefore'),
        'warnBefore applies to max-age rules only',
        "a per-change rule's grace is already the time a record is due in; remove warnBefore",
      ),
    );
    return;
  }
  const written = raw.warnBefore ?? fileDefault;
  if (written === undefined || (typeof f === 'object' && 'perChange' in f)) return;
  const maxAge = typeof f === 'string' ? f : f.maxAge;
  if (parseDuration(written)! >= parseDuration(maxAge)!) {
    problems.push(
      src.problem(
        raw.warnBefore !== undefined ? at('warnBefore') : ['warnBefore'],
        `warnBefore ${written} is not shorter than the max age ${maxAge} of rule "${raw.id}": its evidence would be due soon from the day it is recorded`,
        'use a warning window shorter than the max age (default: 14d or a quarter of the max age)',
      ),
    );
  }
}
