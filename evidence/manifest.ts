import { z } from 'zod';
import { sourceOutcomeSchema, triggerSchema } from '../core/sweep-outcome';
import { operatorActionSchema } from './operator-action-schema';

/**
 * Bundle format v1. One manifest per sweep, written as canonical JSON; its sha256 is the bundle's digest
 * and links the next manifest to it (a hash chain per store). The detached ed25519 signature covers the
 * manifest's exact bytes, so `openssl pkeyutl -verify -rawin` can check it without our software.
 */
export const bundleFormat = 'evidence-hub/bundle@1';

const isoTime = z.iso.datetime({ offset: false });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const json: z.ZodType<unknown> = z.json();

export const provenanceSchema = z.strictObject({
  endpoint: z.string(),
  apiVersion: z.string().optional(),
  etag: z.string().optional(),
  versionId: z.string().optional(),
  collector: z.string(),
});

const hits = {
  count: z.number().int().nonnegative(),
  lines: z.array(z.number().int().positive()),
  linesTruncated: z.literal(true).optional(),
};

/** What redaction removed before hashing: rule, count and line numbers, never the secret itself. */
export const redactionSummarySchema = z.strictObject({
  engine: z.string(),
  ruleset: z.string(),
  scanned: z.boolean(),
  reason: z.string().optional(),
  total: z.number().int().nonnegative(),
  byRule: z.array(z.strictObject({ rule: z.string(), ...hits })),
  jsonPaths: z.array(z.strictObject({ path: z.string(), ...hits })),
  notes: z.array(z.string()),
  /** Size at the source; `size` and `sha256` are those of the redacted bytes that were stored. */
  bytesIn: z.number().int().nonnegative(),
});

export const artifactRecordSchema = z.strictObject({
  /** `<source>:<externalId>`, unique within a bundle. */
  id: z.string(),
  source: z.string(),
  sourceType: z.string(),
  kind: z.string(),
  externalId: z.string(),
  observedAt: isoTime,
  collectedAt: isoTime,
  sha256,
  size: z.number().int().nonnegative(),
  mediaType: z.string(),
  attributes: z.record(z.string(), json),
  provenance: provenanceSchema,
  redaction: redactionSummarySchema.optional(),
});

export const manifestSchema = z.strictObject({
  format: z.literal(bundleFormat),
  bundleId: z.string().regex(/^[A-Za-z0-9._-]+$/),
  sequence: z.number().int().positive(),
  /** sha256 of the previous manifest's bytes; null only for the first bundle of a store. */
  previousDigest: sha256.nullable(),
  startedAt: isoTime,
  finishedAt: isoTime,
  trigger: triggerSchema,
  signing: z.strictObject({ keyId: z.string(), algorithm: z.literal('ed25519') }),
  /** sha256 of the mapping rules that produced `controls`, so the mapping can be reproduced later. */
  mappingDigest: sha256,
  sources: z.array(sourceOutcomeSchema),
  artifacts: z.array(artifactRecordSchema),
  /** Control id to the ids of the artifacts that the mappings select for it. */
  controls: z.record(z.string(), z.array(z.string())),
  /** Merkle root over the artifacts' sha256 in `artifacts` order (RFC 6962 hashing). */
  merkleRoot: sha256,
  /**
   * What people did through the console since the previous bundle (evidence/operator-actions.ts), oldest
   * first; covered by the manifest's signature. Absent when there was nothing (and in older manifests).
   */
  operatorActions: z.array(operatorActionSchema).optional(),
});

export type ArtifactRecord = z.infer<typeof artifactRecordSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/** A manifest from its stored bytes; throws when they are not JSON or not a v1 manifest. */
export function parseManifest(bytes: Buffer): Manifest {
  return manifestSchema.parse(JSON.parse(bytes.toString('utf8')));
}

export function artifactId(source: string, externalId: string): string {
  return `${source}:${externalId}`;
}
