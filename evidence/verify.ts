import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { mapLimit } from '../core/map-limit';
import { sha256Hex, sha256OfStream } from '../core/digest';
import { fastBlobReads, type FastBlobReads } from './blob-reads';
import { FilesystemStore } from './fs-store';
import { parseManifest, type Manifest } from './manifest';
import { merkleRoot } from './merkle';
import { operatorActionProblems } from './operator-actions';
import { tombstoneValid } from './retention';
import { verifyBytes } from './signing';
import type { EvidenceStore, KeyRecord } from './store';
import { trustedRecords, untrustedReason } from './trust/anchors';
import { resolveStoreTrust } from './trust/store-trust';
import { verifyCheckpoints } from './verify-checkpoints';
import { verifyWitnesses, type WitnessCheckOptions } from './witness/verify-witness';

export type ProblemCode =
  | 'manifest-unreadable'
  | 'bundle-missing'
  | 'sequence-mismatch'
  | 'chain-broken'
  | 'signature-missing'
  | 'signature-invalid'
  | 'key-unknown'
  | 'key-not-valid'
  | 'merkle-mismatch'
  | 'blob-missing'
  | 'blob-altered'
  | 'tombstone-invalid'
  | 'segment-marker-invalid'
  | 'untrusted-key'
  | 'key-id-mismatch'
  | 'transition-invalid'
  | 'checkpoint-invalid'
  | 'truncated'
  | 'forked'
  | 'export-altered'
  | 'timestamp-invalid'
  | 'unreferenced-blob'
  | 'empty-store'
  | 'witness-missing'
  | 'operator-actions-invalid';

export interface VerifyProblem {
  code: ProblemCode;
  sequence?: number;
  bundleId?: string;
  artifact?: string;
  message: string;
  /** Set on problems that do not fail verification (`witness-missing`: the witness may be catching up). */
  level?: 'warning';
}

export interface VerifyReport {
  ok: boolean;
  /**
   * True only when `ok` and at least one trust anchor (pinned fingerprint) was given: then every bundle was
   * signed by a pinned key or one it endorsed. False means integrity only: a writer of the store could have
   * re-signed everything with a key of their own.
   */
  authenticated: boolean;
  /** The pinned fingerprints the check used (none: authenticity was not checked). */
  trustedKeys: string[];
  store: string;
  bundlesChecked: number;
  blobsChecked: number;
  /** Blobs deleted by retention, each vouched for by a valid signed tombstone. */
  blobsPruned: number;
  problems: VerifyProblem[];
  /** Set when only a segment of a chain was checked (an audit pack): where it starts and what it hangs from. */
  segment?: ChainSegment;
}

/**
 * A chain segment: the bundles from `fromSequence` on, the first of which links to a manifest that is not
 * present (`previousDigest`). An audit pack (evidence/export) carries only the bundles of its window and
 * says so in `export.json`; verify then checks the first bundle against that digest instead of reporting
 * the earlier bundles as missing. The digest is the anchor an auditor compares with the previous pack's
 * last manifest, or with the live store.
 */
export interface ChainSegment {
  fromSequence: number;
  previousDigest: string | null;
}

/** The marker file at the root of an exported store (an audit pack). */
export const segmentMarkerFile = 'export.json';
export const segmentMarkerFormat = 'evidence-hub/export@1';
const segmentMarkerSchema = z.object({
  format: z.literal(segmentMarkerFormat),
  fromSequence: z.number().int().positive(),
  previousDigest: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
});

export interface VerifyOptions {
  /** Only these sequence numbers (their links to the previous bundle are still checked). */
  sequences?: number[];
  /** Only bundles sealed (finishedAt) at or after this time. */
  from?: Date;
  /** Only bundles sealed at or before this time. */
  to?: Date;
  /** Check a chain segment; default: the store's `export.json` marker when it has one, else the whole chain. */
  segment?: ChainSegment;
  /** Pinned fingerprints (hex, no prefix; evidence/trust/fingerprint.ts): keys in the store are candidates only. */
  trust?: readonly string[];
  /** A store with no bundle at all is OK instead of `empty-store` (a new deployment, an empty window). */
  allowEmpty?: boolean;
  /** Checkpoint files kept from an earlier pack or a witness (`--checkpoint`): the chain must still reach them. */
  checkpoints?: readonly string[];
  /** Witnesses to compare the chain with (evidence/witness/verify-witness.ts): RFC 3161 tokens, S3 Object Lock. */
  witnesses?: Omit<WitnessCheckOptions, 'acceptable'> | undefined;
}

/**
 * Checks everything an auditor relies on, and reports every problem rather than stopping at the first:
 * blob bytes against their hashes, Merkle roots, signatures against the key valid at signing time, and
 * chain continuity (no bundle removed, reordered or altered).
 */
export async function verifyStore(store: EvidenceStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const segment = options.segment ?? (await readSegmentMarker(store, problems));
  // Keys in the store are candidates only; trust comes from pins held outside it (evidence/trust/anchors.ts).
  const trust = await resolveStoreTrust(store, options.trust ?? []);
  problems.push(...trust.problems);
  const keys = trust.candidates;
  const all = await store.sequences();
  if (all.length === 0 && !segment && !options.allowEmpty) {
    problems.push({
      code: 'empty-store',
      message: `${store.location} holds no bundle: a wrong path or S3 prefix, a store never swept, or one whose bundles were all removed (--allow-empty if an empty store is expected)`,
    });
  }
  const wanted = options.sequences ? new Set(options.sequences) : undefined;
  const blobResults = new Map<string, BlobCheck>();
  const fast = fastBlobReads(store);
  const actionsRecorded = new Map<string, number>(); // operator action id -> the bundle that recorded it
  let bundlesChecked = 0;

  // Gaps in the numbering mean a bundle file was removed.
  const last = all.at(-1) ?? 0;
  const present = new Set(all);
  for (let seq = segment?.fromSequence ?? 1; seq <= last; seq++) {
    if (!present.has(seq) && (!wanted || wanted.has(seq) || wanted.has(seq + 1))) {
      problems.push({
        code: 'bundle-missing',
        sequence: seq,
        message: `bundle #${seq} is missing from the chain (removed?)`,
      });
    }
  }

  let previousDigest: string | undefined;
  let previousSeq: number | undefined;
  for (const seq of all) {
    // An incremental run (`sequences`) reads only the bundles it checks and the one before each (for the
    // link): reading and parsing the whole chain every time made the integrity monitor grow with the store.
    if (wanted && !wanted.has(seq) && !wanted.has(seq + 1) && !options.from && !options.to) {
      previousDigest = undefined;
      previousSeq = undefined;
      continue;
    }
    const bytes = await store.readManifest(seq);
    const digest = bytes ? sha256Hex(bytes) : undefined;
    let manifest: Manifest | undefined;
    let unreadable: string | undefined;
    try {
      manifest = parseManifest(bytes!);
    } catch (err) {
      unreadable = (err as Error).message.split('\n')[0];
    }
    const finished = manifest ? Date.parse(manifest.finishedAt) : undefined;
    const inRange =
      finished === undefined ||
      ((!options.from || finished >= options.from.getTime()) && (!options.to || finished <= options.to.getTime()));
    if ((wanted && !wanted.has(seq)) || !inRange) {
      previousDigest = digest;
      previousSeq = seq;
      continue;
    }
    bundlesChecked++;
    if (unreadable !== undefined) {
      problems.push({
        code: 'manifest-unreadable',
        sequence: seq,
        message: `bundle #${seq}: manifest is not a valid v1 manifest (${unreadable})`,
      });
    }
    if (manifest && digest) {
      const where = { sequence: seq, bundleId: manifest.bundleId };
      if (manifest.sequence !== seq) {
        problems.push({
          ...where,
          code: 'sequence-mismatch',
          message: `bundle #${seq} (${manifest.bundleId}) says it is #${manifest.sequence}: bundles were reordered or renamed`,
        });
      }
      const expectedPrev =
        previousSeq === seq - 1
          ? (previousDigest ?? null)
          : seq === segment?.fromSequence
            ? segment.previousDigest
            : seq === 1
              ? null
              : undefined;
      if (expectedPrev !== undefined && manifest.previousDigest !== expectedPrev) {
        const target =
          previousSeq !== seq - 1 && seq === segment?.fromSequence
            ? `the anchor in ${segmentMarkerFile}`
            : `bundle #${seq - 1}`;
        problems.push({
          ...where,
          code: 'chain-broken',
          message: `bundle #${seq} (${manifest.bundleId}) does not link to ${target}: previous digest ${short(manifest.previousDigest)} != ${short(expectedPrev)} (a bundle was altered, replaced or reordered)`,
        });
      }
      await checkSignature(store, manifest, bytes!, digest, keys, problems);
      const why =
        trust.anchored && keys.some((k) => k.keyId === manifest.signing.keyId)
          ? untrustedReason(trust, manifest.signing.keyId, manifest.finishedAt)
          : undefined;
      if (why) problems.push({ ...where, code: 'untrusted-key', message: `bundle #${seq}: ${why}` });
      for (const message of operatorActionProblems(manifest, actionsRecorded))
        problems.push({ ...where, code: 'operator-actions-invalid', message });
      const root = merkleRoot(manifest.artifacts.map((a) => a.sha256));
      if (root !== manifest.merkleRoot) {
        problems.push({
          ...where,
          code: 'merkle-mismatch',
          message: `bundle #${seq}: Merkle root ${short(manifest.merkleRoot)} does not match its artifacts (${short(root)})`,
        });
      }
      // The bundle's new blobs are hashed several at a time (a store of small blobs is bound by the
      // round trips of opening and reading each, not by hashing); problems are still reported in order.
      const blobKeys = trust.anchored ? trustedRecords(trust) : keys;
      const todo = [...new Set(manifest.artifacts.map((a) => a.sha256))].filter((h) => !blobResults.has(h));
      const checked = await mapLimit(todo, blobCheckConcurrency, (h) => checkBlob(store, h, blobKeys, fast));
      todo.forEach((h, i) => blobResults.set(h, checked[i]!));
      for (const a of manifest.artifacts) {
        const result = blobResults.get(a.sha256)!;
        if (result.ok === 'pruned') continue;
        if (result.ok === 'bad-tombstone') {
          problems.push({
            ...where,
            artifact: a.id,
            code: 'tombstone-invalid',
            message: `bundle #${seq}: blob of ${a.id} is gone and its tombstone is not validly signed by a store key (deleted without authority?)`,
          });
          continue;
        }
        if (!result.ok) {
          problems.push(
            result.reason === 'missing'
              ? {
                  ...where,
                  artifact: a.id,
                  code: 'blob-missing',
                  message: `bundle #${seq}: blob ${a.sha256} of ${a.id} is missing`,
                }
              : {
                  ...where,
                  artifact: a.id,
                  code: 'blob-altered',
                  message: `bundle #${seq}: blob of ${a.id} was altered (stored bytes hash to ${short(result.actual ?? '')}, expected ${short(a.sha256)})`,
                },
          );
        } else if (result.size !== a.size) {
          problems.push({
            ...where,
            artifact: a.id,
            code: 'blob-altered',
            message: `bundle #${seq}: blob of ${a.id} has ${result.size} bytes, manifest says ${a.size}`,
          });
        }
      }
    }
    previousDigest = digest;
    previousSeq = seq;
  }
  // Signed checkpoints and, in an audit pack, its signed export.json (evidence/verify-checkpoints.ts).
  const acceptable = trust.anchored ? trustedRecords(trust) : keys;
  problems.push(...(await verifyCheckpoints(store, { acceptable, checkpointFiles: options.checkpoints ?? [] })));
  if (options.witnesses) {
    // A class already reported for a sequence (e.g. truncated by a stored checkpoint) is not repeated.
    const seen = new Set(problems.map((p) => `${p.code}@${p.sequence}`));
    const witnessed = await verifyWitnesses(store, { acceptable, ...options.witnesses });
    problems.push(...witnessed.filter((p) => !seen.has(`${p.code}@${p.sequence}`)));
  }
  // Warning-level problems (witness-missing: a checkpoint may still be pending) are reported, not failures.
  const failing = problems.filter((p) => p.level !== 'warning').length;
  const pruned = [...blobResults.values()].filter((r) => r.ok === 'pruned').length;
  return {
    ok: failing === 0,
    authenticated: failing === 0 && trust.anchored,
    trustedKeys: [...new Set(options.trust ?? [])],
    store: store.location,
    bundlesChecked,
    blobsChecked: blobResults.size - pruned,
    blobsPruned: pruned,
    problems,
    ...(segment ? { segment } : {}),
  };
}

/** The `export.json` of an exported folder store; undefined for a normal store (or any non-filesystem one). */
async function readSegmentMarker(store: EvidenceStore, problems: VerifyProblem[]): Promise<ChainSegment | undefined> {
  if (!(store instanceof FilesystemStore)) return undefined;
  let text: string;
  try {
    text = await readFile(path.join(store.root, segmentMarkerFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const marker = segmentMarkerSchema.parse(JSON.parse(text));
    return { fromSequence: marker.fromSequence, previousDigest: marker.previousDigest };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    problems.push({
      code: 'segment-marker-invalid',
      message: `${segmentMarkerFile} is not a valid ${segmentMarkerFormat} marker (${message}); the whole chain was checked`,
    });
    return undefined;
  }
}

async function checkSignature(
  store: EvidenceStore,
  m: Manifest,
  bytes: Buffer,
  digest: string,
  keys: KeyRecord[],
  problems: VerifyProblem[],
): Promise<void> {
  const where = { sequence: m.sequence, bundleId: m.bundleId };
  const sig = await store.readSignature(digest);
  if (!sig) {
    problems.push({
      ...where,
      code: 'signature-missing',
      message: `bundle #${m.sequence}: no signature for manifest digest ${short(digest)} (the manifest was changed after signing, or its .sig removed)`,
    });
    return;
  }
  const key = keys.find((k) => k.keyId === m.signing.keyId);
  if (!key) {
    problems.push({
      ...where,
      code: 'key-unknown',
      message: `bundle #${m.sequence}: signed with key ${m.signing.keyId}, which is not among the store's public keys`,
    });
    return;
  }
  if (!verifyBytes(key.publicKeyPem, bytes, sig)) {
    problems.push({
      ...where,
      code: 'signature-invalid',
      message: `bundle #${m.sequence}: signature does not verify with key ${key.keyId} (wrong key or altered manifest)`,
    });
    return;
  }
  const signedAt = Date.parse(m.finishedAt);
  if (signedAt < Date.parse(key.validFrom) - 5 * 60_000 || (key.validUntil && signedAt > Date.parse(key.validUntil))) {
    problems.push({
      ...where,
      code: 'key-not-valid',
      message: `bundle #${m.sequence}: key ${key.keyId} was not valid at signing time ${m.finishedAt} (valid ${key.validFrom} to ${key.validUntil ?? 'now'})`,
    });
  }
}

type BlobCheck =
  | { ok: true; size: number }
  | { ok: 'pruned' }
  | { ok: 'bad-tombstone' }
  | { ok: false; reason: 'missing' | 'altered'; actual?: string };

/** Blobs read and hashed at once by verify: enough to overlap file opens and reads, few file handles. */
const blobCheckConcurrency = 16;

async function checkBlob(
  store: EvidenceStore,
  sha256: string,
  keys: KeyRecord[],
  fast: FastBlobReads | undefined,
): Promise<BlobCheck> {
  // A small blob of a filesystem store is read whole in one go (evidence/blob-reads.ts): no stream.
  const whole = await fast?.read(sha256);
  if (whole?.kind === 'whole') {
    const actual = sha256Hex(whole.bytes);
    return actual === sha256 ? { ok: true, size: whole.bytes.length } : { ok: false, reason: 'altered', actual };
  }
  const size = whole ? (whole.kind === 'large' ? whole.size : undefined) : await store.blobSize(sha256);
  if (size === undefined) {
    const tombstone = await store.readTombstone(sha256);
    if (!tombstone) return { ok: false, reason: 'missing' };
    return tombstoneValid(tombstone, sha256, keys) ? { ok: 'pruned' } : { ok: 'bad-tombstone' };
  }
  const actual = await sha256OfStream(store.openBlob(sha256));
  return actual === sha256 ? { ok: true, size } : { ok: false, reason: 'altered', actual };
}

function short(d: string | null | undefined): string {
  return d ? d.slice(0, 12) : 'none';
}
