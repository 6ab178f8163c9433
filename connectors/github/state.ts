import { z } from 'zod';
import type { ArtifactMeta } from '../types';
import { jsonValueSchema as json } from '../../core/json';

/**
 * What the connector hands to its next run (`state()` → `previousState`): ETags, `since` watermarks and,
 * for evidence that is re-emitted on a 304, the stored blob's sha256 plus the artifact metadata. Never
 * response bodies. Parsed defensively: a state that does not match is ignored (a full, correct refetch).
 */

const metaSchema = z.object({
  externalId: z.string(),
  kind: z.string(),
  observedAt: z.string(),
  mediaType: z.string(),
  attributes: z.record(z.string(), json),
  provenance: z.object({
    endpoint: z.string(),
    apiVersion: z.string().optional(),
    etag: z.string().optional(),
    versionId: z.string().optional(),
    collector: z.string(),
  }),
});

/** An artifact already in the store, re-emitted via openStoredBlob(sha256) when its source did not change. */
export const storedItemSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  meta: metaSchema,
});
export type StoredItem = { sha256: string; size: number; meta: ArtifactMeta };

/** ETags of every page of a list, to tell "nothing changed" with 304s only. `n` = items on the page. */
const pageEtagsSchema = z.array(z.object({ url: z.string(), etag: z.string(), n: z.number().int().nonnegative() }));
export type PageEtag = z.infer<typeof pageEtagsSchema>[number];

/** Items already processed at or after the watermark: [id, timestamp ms]. */
const seenSchema = z.array(z.tuple([z.union([z.number(), z.string()]), z.number()]));
export type Seen = z.infer<typeof seenSchema>;

const watermarkSchema = z.object({
  etag: z.string().optional(),
  /** Newest source timestamp processed (ms). */
  hw: z.number().optional(),
  seen: seenSchema.default([]),
});
export type Watermark = z.infer<typeof watermarkSchema>;

export const compactRepoSchema = z.object({
  fullName: z.string(),
  defaultBranch: z.string(),
  topics: z.array(z.string()),
  archived: z.boolean(),
  fork: z.boolean(),
  visibility: z.string(),
});
export type CompactRepo = z.infer<typeof compactRepoSchema>;

export const pullsStateSchema = watermarkSchema.extend({
  /** Newest merge time counted in the tally (ms), and the pull requests merged exactly then. */
  mergedHw: z.number().optional(),
  mergedAtHw: z.array(z.number()).default([]),
  days: z.record(z.string(), z.tuple([z.number(), z.number()])).default({}),
  unapproved: z.array(z.tuple([z.number(), z.string()])).default([]),
});
export type PullsState = z.infer<typeof pullsStateSchema>;

export const repoStateSchema = z.object({
  protection: z
    .object({
      classicEtag: z.string().optional(),
      classicAbsent: z.boolean().optional(),
      rules: pageEtagsSchema.optional(),
      item: storedItemSchema,
    })
    .optional(),
  pulls: pullsStateSchema.optional(),
  tree: z
    .object({
      etag: z.string().optional(),
      /** Fingerprint of the codeowners/files settings the state was built with. */
      scope: z.string().optional(),
      codeowners: z.object({ blobSha: z.string().optional(), item: storedItemSchema }).optional(),
      files: z.record(z.string(), z.object({ blobSha: z.string(), item: storedItemSchema })).default({}),
    })
    .optional(),
  releases: watermarkSchema.optional(),
  tags: z.object({ pages: pageEtagsSchema, item: storedItemSchema }).optional(),
  runs: z.record(z.string(), watermarkSchema).optional(),
  dependabot: z.object({ pages: pageEtagsSchema, item: storedItemSchema }).optional(),
  environments: z.object({ pages: pageEtagsSchema, items: z.array(storedItemSchema) }).optional(),
});
export type RepoState = z.infer<typeof repoStateSchema>;

export const listingStateSchema = z.object({
  /** Fingerprint of the scope settings the list was filtered with; a config change refetches. */
  scope: z.string(),
  pages: pageEtagsSchema,
  repos: z.array(compactRepoSchema),
});
export type ListingState = z.infer<typeof listingStateSchema>;

export const githubStateSchema = z.object({
  v: z.literal(1),
  listings: z.record(z.string(), listingStateSchema).default({}),
  repos: z.record(z.string(), repoStateSchema).default({}),
});
export type GithubState = z.infer<typeof githubStateSchema>;

export function emptyState(): GithubState {
  return { v: 1, listings: {}, repos: {} };
}

/** Watermark bookkeeping shared by pull requests, releases and workflow runs. */
export function isSeen(seen: Seen, id: number | string, ts: number): boolean {
  return seen.some(([i, t]) => i === id && t === ts);
}

/** Keeps the processed items at or after `hw - lookbackMs`, so ties and late arrivals are not redone. */
export function advanceWatermark(
  prev: Watermark | undefined,
  processed: Seen,
  etag: string | undefined,
  lookbackMs: number,
): Watermark {
  const all: Seen = [...(prev?.seen ?? []), ...processed];
  const hw = Math.max(prev?.hw ?? -Infinity, ...all.map(([, t]) => t));
  const keep = new Map<string, [number | string, number]>();
  if (Number.isFinite(hw)) for (const [i, t] of all) if (t >= hw - lookbackMs) keep.set(`${i}@${t}`, [i, t]);
  return {
    ...(etag ? { etag } : {}),
    ...(Number.isFinite(hw) ? { hw } : {}),
    seen: [...keep.values()].sort((a, b) => a[1] - b[1] || String(a[0]).localeCompare(String(b[0]))),
  };
}
