import { z } from 'zod';
import { canonicalJson } from '../core/digest';
import { parseManifest, type Manifest } from './manifest';
import { verifyBytes, type Signer } from './signing';
import type { EvidenceStore, KeyRecord } from './store';

/**
 * Retention. Pruning deletes the *blobs* of old bundles and keeps their manifests, so the hash chain
 * stays whole and verifiable; each deleted blob leaves a signed tombstone saying when, why and under
 * which key it was removed. Verify accepts a missing blob only when such a tombstone vouches for it.
 */
export const tombstoneSchema = z.strictObject({
  format: z.literal('evidence-hub/tombstone@1'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  prunedAt: z.string(),
  prunedBefore: z.string(),
  /** Sequences of the bundles that referenced the blob. */
  bundles: z.array(z.number().int().positive()),
  keyId: z.string(),
  reason: z.string(),
});
export type Tombstone = z.infer<typeof tombstoneSchema>;

export class RetentionRefused extends Error {
  override readonly name = 'RetentionRefused';
}

export interface PruneOptions {
  before: Date;
  /** The audit look-back: nothing newer than `now - lookBackMs` may be pruned (default 3 years). */
  lookBackMs: number;
  now?: Date;
  dryRun?: boolean;
  reason?: string;
}

export interface PruneReport {
  before: string;
  bundles: number[];
  blobsDeleted: string[];
  blobsKept: number;
  bytesFreed: number;
  dryRun: boolean;
}

export const threeYearsMs = 3 * 365 * 86_400_000;

export async function prune(store: EvidenceStore, key: Signer, options: PruneOptions): Promise<PruneReport> {
  const now = options.now ?? new Date();
  const earliestAllowed = now.getTime() - options.lookBackMs;
  if (options.before.getTime() > earliestAllowed) {
    throw new RetentionRefused(
      `refusing to prune before ${options.before.toISOString().slice(0, 10)}: that is inside the audit look-back of ${Math.round(options.lookBackMs / 86_400_000)} days (evidence from ${new Date(earliestAllowed).toISOString().slice(0, 10)} on must be kept for the certification cycle); choose a date on or before ${new Date(earliestAllowed).toISOString().slice(0, 10)}`,
    );
  }
  const old = new Map<string, { size: number; bundles: number[] }>();
  const stillUsed = new Set<string>();
  const bundles: number[] = [];
  for (const seq of await store.sequences()) {
    const bytes = await store.readManifest(seq);
    if (!bytes) continue;
    const m: Manifest = parseManifest(bytes);
    const isOld = Date.parse(m.finishedAt) < options.before.getTime();
    if (isOld) bundles.push(seq);
    for (const a of m.artifacts) {
      if (!isOld) {
        stillUsed.add(a.sha256);
        continue;
      }
      const entry = old.get(a.sha256) ?? { size: a.size, bundles: [] };
      if (!entry.bundles.includes(seq)) entry.bundles.push(seq);
      old.set(a.sha256, entry);
    }
  }
  const doomed = [...old.entries()].filter(([sha]) => !stillUsed.has(sha));
  // Check every lock before deleting anything: a refused prune must change nothing.
  const locked: string[] = [];
  for (const [sha] of doomed) {
    const until = await store.blobLockedUntil(sha);
    if (until) locked.push(`${sha.slice(0, 12)} (locked until ${until.toISOString()})`);
  }
  if (locked.length > 0) {
    throw new RetentionRefused(
      `refusing to prune: ${locked.length} blob(s) are under an active Object Lock, e.g. ${locked.slice(0, 3).join(', ')}; nothing was deleted`,
    );
  }
  const report: PruneReport = {
    before: options.before.toISOString(),
    bundles,
    blobsDeleted: [],
    blobsKept: stillUsed.size,
    bytesFreed: 0,
    dryRun: options.dryRun ?? false,
  };
  for (const [sha, info] of doomed) {
    if ((await store.blobSize(sha)) === undefined) continue; // already pruned
    if (!options.dryRun) {
      const tombstone: Tombstone = {
        format: 'evidence-hub/tombstone@1',
        sha256: sha,
        size: info.size,
        prunedAt: now.toISOString(),
        prunedBefore: options.before.toISOString(),
        bundles: info.bundles.sort((a, b) => a - b),
        keyId: key.keyId,
        reason: options.reason ?? 'retention',
      };
      const body = Buffer.from(canonicalJson(tombstone));
      // Tombstone first: a crash in between leaves a tombstone for a blob that still exists (harmless).
      await store.writeTombstone(sha, body, await key.sign(body));
      await store.deleteBlob(sha);
    }
    report.blobsDeleted.push(sha);
    report.bytesFreed += info.size;
  }
  return report;
}

/** A tombstone that is well-formed, names this blob, and is signed by a store key valid when written. */
export function tombstoneValid(
  t: { body: Buffer; signature: Buffer },
  sha256: string,
  keys: KeyRecord[],
): Tombstone | undefined {
  let parsed: Tombstone;
  try {
    parsed = tombstoneSchema.parse(JSON.parse(t.body.toString('utf8')));
  } catch {
    return undefined;
  }
  if (parsed.sha256 !== sha256) return undefined;
  const key = keys.find((k) => k.keyId === parsed.keyId);
  if (!key || !verifyBytes(key.publicKeyPem, t.body, t.signature)) return undefined;
  const at = Date.parse(parsed.prunedAt);
  if (at < Date.parse(key.validFrom) || (key.validUntil && at > Date.parse(key.validUntil))) return undefined;
  return parsed;
}
