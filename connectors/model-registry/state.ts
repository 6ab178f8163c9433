import { z } from 'zod';
import { fingerprint } from '../../core/digest';
import { codeUnitOrder } from '../../core/order';
import type { RegistryModelVersion } from './types';

/**
 * State handed from one sealed run to the next. Per version: a fingerprint of what the registry listing
 * says about it, its stage and aliases (to tell transitions), when each production designation was first
 * observed, and for production versions with gaps a hash of their run and card listing (to recheck them).
 */
const designationSchema = z.object({
  since: z.number(),
  observed: z.boolean(),
  from: z.string().optional(),
  /** Approval tags at entry (JSON), null when there were none: the entry record is rebuilt from these only. */
  approval: z.string().nullable().optional(),
});
const versionStateSchema = z.object({
  fp: z.string(),
  stage: z.string(),
  aliases: z.array(z.string()),
  updatedAt: z.number().optional(),
  designations: z.record(z.string(), designationSchema),
  content: z.string().optional(),
  recheck: z.boolean().optional(),
  /** Fingerprint of the listing without tags and aliases: equal means only tags or aliases changed. */
  cfp: z.string().optional(),
  /** Gaps found when the run and cards were last read (for the production-state record of later runs). */
  gaps: z.array(z.string()).optional(),
  /** sha256 of the last model-version record, re-read from the store when only tags or aliases change. */
  versionSha: z.string().optional(),
  /** Approval tags last observed (JSON), null when there were none; absent in states of older collectors. */
  approval: z.string().nullable().optional(),
});
const modelStateSchema = z.object({
  fp: z.string(),
  updatedAt: z.number().optional(),
  versions: z.record(z.string(), versionStateSchema),
});
export const stateSchema = z.object({
  format: z.literal('model-registry-state@1'),
  at: z.number(),
  /** Fingerprint of the options that shape attributes: changing them re-collects every version. */
  config: z.string(),
  models: z.record(z.string(), modelStateSchema),
});
export type VersionState = z.infer<typeof versionStateSchema>;
export type ModelState = z.infer<typeof modelStateSchema>;
export type RegistryState = z.infer<typeof stateSchema>;
export type Designation = z.infer<typeof designationSchema>;

/** Resume point: model name, version ('' for the model itself) and the artifact's place within it. */
export type Cursor = [model: string, version: string, seq: number];

/** What the registry listing says about a version; unchanged means the version need not be collected again. */
export function versionFingerprint(v: RegistryModelVersion): string {
  return fingerprint(
    {
      u: v.updatedAt ?? null,
      s: v.stage,
      st: v.status ?? null,
      a: v.aliases,
      t: v.tags,
      d: v.description ?? null,
      src: v.source ?? null,
      r: v.runId ?? null,
    },
    32,
  );
}

/** The listing's fingerprint without tags and aliases, which change nothing the run or cards say. */
export function contentFingerprint(v: RegistryModelVersion): string {
  return fingerprint(
    {
      u: v.updatedAt ?? null,
      s: v.stage,
      st: v.status ?? null,
      d: v.description ?? null,
      src: v.source ?? null,
      r: v.runId ?? null,
    },
    32,
  );
}

/** Numeric versions numerically, anything else in byte order; '' (the model itself) first. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return codeUnitOrder(a, b);
}

export function compareCursors(a: Cursor, b: Cursor): number {
  return codeUnitOrder(a[0], b[0]) || compareVersions(a[1], b[1]) || a[2] - b[2];
}

export function parseCursor(text: string): Cursor {
  try {
    const v: unknown = JSON.parse(text);
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      typeof v[2] === 'number'
    )
      return [v[0], v[1], v[2]];
  } catch {
    // fall through
  }
  throw new Error(`model-registry: unreadable resume cursor ${JSON.stringify(text)}`);
}
