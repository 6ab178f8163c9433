import type { JsonValue } from '../../../core/json';

/**
 * Pure functions from GitHub's answers to normalized records (the artifact bytes, as canonical JSON)
 * and their attributes (what mapping rules select on). No I/O, no clock: `now` is passed in.
 * This file holds the shapes every normalizer returns and the small helpers they share.
 */
export type Attributes = Record<string, JsonValue>;
export interface Normalized {
  record: Record<string, JsonValue>;
  attributes: Attributes;
}

export const sortedUnique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
export const bool = (v: boolean | undefined | null): boolean => v === true;

export function iso(s: string): string {
  return new Date(s).toISOString();
}
