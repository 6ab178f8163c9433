import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../core/digest';
import { parseManifest, type Manifest } from './manifest';
import type { Signer } from './signing';
import type { ChainHead, CommittedBundle, KeyRecord, StoredTransition } from './store';
import { SigningKeyError } from '../core/errors';
import { readIntentsSince, readSealIntent, writeSealIntent, type SealIntentOps } from './seal-intent';

/**
 * The chain, key and pointer logic shared by every store. A backend supplies a handful of primitive
 * operations on small named objects; the one primitive that matters for correctness is
 * `putManifestIfAbsent`, an atomic create-if-absent (link(2) on a filesystem, `If-None-Match: *` on S3),
 * which lets concurrent writers race for a sequence number without forking the chain.
 */
/** Includes the seal-intent primitives (evidence/seal-intent.ts): durable before the manifest they announce. */
export interface ChainOps extends SealIntentOps {
  sequences(): Promise<number[]>;
  readManifest(sequence: number): Promise<Buffer | undefined>;
  /** Atomically creates the manifest for `sequence`; false when that sequence is already taken. */
  putManifestIfAbsent(sequence: number, bytes: Buffer): Promise<boolean>;
  putSignature(digest: string, signature: Buffer): Promise<void>;
  readPointer(bundleId: string): Promise<Buffer | undefined>;
  writePointer(bundleId: string, bytes: Buffer): Promise<void>;
  readKeyRecords(): Promise<Buffer[]>;
  writeKeyRecord(record: KeyRecord): Promise<void>;
  readKeyTransitions(): Promise<StoredTransition[]>;
  /** Create-if-absent; false when a statement for that new key exists already. */
  writeKeyTransitionIfAbsent(transition: StoredTransition): Promise<boolean>;
  /** Where a manifest lives, for people (a path or a URL). */
  manifestLocation(sequence: number): string;
}

export const seqWidth = 12;
export const seqName = (sequence: number) => String(sequence).padStart(seqWidth, '0');
export const seqPattern = new RegExp(`^\\d{${seqWidth}}\\.json$`);

/**
 * How far back from the head a commit looks for its own bundle when the pointer is missing and the
 * bundle may predate seal intents (a store written before them; evidence/seal-intent.ts).
 */
const findScanDepth = 256;

const keyRecordSchema = z.strictObject({
  keyId: z.string(),
  algorithm: z.literal('ed25519'),
  publicKeyPem: z.string(),
  validFrom: z.string(),
  validUntil: z.string().optional(),
});

const pointerSchema = z.strictObject({
  bundleId: z.string(),
  sequence: z.number().int().positive(),
  digest: z.string(),
});

export async function chainHead(ops: ChainOps): Promise<ChainHead | undefined> {
  const last = (await ops.sequences()).at(-1);
  if (last === undefined) return undefined;
  const bytes = await ops.readManifest(last);
  return bytes ? { sequence: last, digest: sha256Hex(bytes) } : undefined;
}

export async function findBundle(ops: ChainOps, bundleId: string): Promise<CommittedBundle | undefined> {
  try {
    const raw = await ops.readPointer(bundleId);
    if (raw) {
      const pointer = pointerSchema.parse(JSON.parse(raw.toString('utf8')));
      const bytes = await ops.readManifest(pointer.sequence);
      if (bytes && sha256Hex(bytes) === pointer.digest)
        return { ...pointer, location: ops.manifestLocation(pointer.sequence) };
    }
  } catch {
    // Corrupt or stale pointer: fall back to the intent and the manifests.
  }
  return scanForBundle(ops, bundleId, await sequencesToScan(ops, bundleId));
}

/** Which manifests can hold `bundleId` when its pointer is missing; [] in the common case of a new bundle. */
async function sequencesToScan(ops: ChainOps, bundleId: string): Promise<number[]> {
  let from: number | undefined;
  let since: number | undefined;
  try {
    from = await readSealIntent(ops, bundleId);
    since = await readIntentsSince(ops);
  } catch {
    from = undefined; // an unreadable intent proves nothing: scan as a store without intents would
    since = undefined;
  }
  // An intent bounds every manifest of this bundle from below; without a marker, the store predates
  // intents and only the old bounded scan is possible.
  const seqs = await ops.sequences();
  if (from !== undefined) {
    const earliest = from;
    return seqs.filter((s) => s >= earliest);
  }
  if (since === undefined) return seqs.slice(-findScanDepth);
  // No intent in a store that writes them: never attempted, except a bundle committed before the
  // upgrade, which only the part of the old window below the marker can hold.
  const before = since;
  return seqs.slice(-findScanDepth).filter((s) => s < before);
}

async function scanForBundle(ops: ChainOps, bundleId: string, seqs: number[]): Promise<CommittedBundle | undefined> {
  for (const seq of [...seqs].reverse()) {
    const bytes = await ops.readManifest(seq);
    if (!bytes) continue;
    // A byte search for the id as a JSON string skips parsing manifests that cannot be it (a deep
    // sweep's manifest is megabytes). A manifest holding the string is parsed and checked.
    if (bytes.indexOf(JSON.stringify(bundleId)) < 0) continue;
    let parsed: Manifest;
    try {
      parsed = parseManifest(bytes);
    } catch {
      continue; // not a manifest: not the bundle looked for
    }
    if (parsed.bundleId === bundleId) {
      const found = { bundleId, sequence: seq, digest: sha256Hex(bytes) };
      await ops.writePointer(bundleId, Buffer.from(canonicalJson(found)));
      return { ...found, location: ops.manifestLocation(seq) };
    }
  }
  return undefined;
}

export async function commitBundle(
  ops: ChainOps,
  bundleId: string,
  build: (head: ChainHead | undefined) => Promise<{ bytes: Buffer; signature: Buffer }>,
): Promise<CommittedBundle> {
  const existing = await findBundle(ops, bundleId);
  if (existing) return existing;
  // Durable before any manifest of this bundle can exist, so the next lookup knows whether to scan.
  await writeSealIntent(ops, bundleId, (await ops.sequences()).at(-1) ?? 0);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const head = await chainHead(ops);
    const { bytes, signature } = await build(head);
    const sequence = (head?.sequence ?? 0) + 1;
    const digest = sha256Hex(bytes);
    // The signature goes first, named by the manifest digest: once the manifest is visible it is
    // complete and verifiable. A writer that loses the race leaves only an unreferenced signature.
    await ops.putSignature(digest, signature);
    if (await ops.putManifestIfAbsent(sequence, bytes)) {
      // The commit point: from here the bundle IS committed, so no later failure may report otherwise
      // (a caller told "failed" would think nothing was sealed, and a non-retried failure such as a full
      // disk never finds out). The pointer is only a cache: without it `findBundle` still finds this
      // manifest through the intent written above, scanning only from the intent's sequence. So a failed
      // pointer write is left for the next lookup to live without, never reported as a failed commit.
      const pointer = { bundleId, sequence, digest };
      await ops.writePointer(bundleId, Buffer.from(canonicalJson(pointer))).catch(() => undefined);
      return { ...pointer, location: ops.manifestLocation(sequence) };
    }
    // Another writer took this sequence number: rebuild on top of its manifest.
  }
  throw new Error(`could not append bundle ${bundleId}: too much contention`);
}

export async function listKeys(ops: ChainOps): Promise<KeyRecord[]> {
  const records = (await ops.readKeyRecords()).map((b) => keyRecordSchema.parse(JSON.parse(b.toString('utf8'))));
  return records.sort((a, b) => a.validFrom.localeCompare(b.validFrom) || a.keyId.localeCompare(b.keyId));
}

/**
 * Registers the signing key of a store that has no current key (`evidence-hub keys init`). It never
 * rotates: a different current key means another signer owns this store, and silently closing that key
 * (as sealing used to) made two workers close each other's keys until every bundle failed verification.
 * Rotation is `keys rotate`, an endorsed transition (evidence/trust/rotate.ts).
 */
export async function registerKey(ops: ChainOps, key: Signer, at: Date): Promise<void> {
  const existing = await listKeys(ops);
  const current = existing.filter((k) => k.validUntil === undefined);
  if (current.some((k) => k.keyId === key.keyId)) return;
  if (current.length > 0)
    throw new SigningKeyError(
      `the store already has current key ${current.map((k) => k.keyId).join(', ')}; key ${key.keyId} is not registered (rotate with \`evidence-hub keys rotate\` on the host holding the current key)`,
    );
  if (existing.some((k) => k.keyId === key.keyId))
    throw new SigningKeyError(`key ${key.keyId} was retired from this store; a retired key is never reused`);
  await ops.writeKeyRecord({
    keyId: key.keyId,
    algorithm: 'ed25519',
    publicKeyPem: key.publicKeyPem,
    validFrom: at.toISOString(),
  });
}

export async function writeKeyTransition(ops: ChainOps, transition: StoredTransition): Promise<void> {
  if (!(await ops.writeKeyTransitionIfAbsent(transition)))
    throw new SigningKeyError(`a key transition to ${transition.newKeyId} exists already; it is never overwritten`);
}
