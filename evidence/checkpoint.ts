import { sha256Hex } from '../core/digest';
import { seqName } from './chain';
import { verifyBytes, type Signer } from './signing';
import type { ChainHead, EvidenceStore } from './store';
import { fingerprintOf } from './trust/fingerprint';

/**
 * A signed checkpoint, in the spirit of the transparency-log "signed note": a few lines of text that say
 * "at this time, the chain of store S had bundle n with manifest digest D", signed with the store's key.
 * Once a copy lives somewhere the store's writer cannot rewrite (an earlier audit pack, a witness), cutting
 * bundles off the chain (`truncated`) or rewriting it (`forked`) shows. The body is plain text with LF line
 * ends and a final LF, so `openssl pkeyutl -verify -rawin` checks the raw signature over its exact bytes.
 *
 *   evidence-hub checkpoint v1
 *   store <storeId>
 *   sequence <n>
 *   head <64 hex manifest sha256 at n>
 *   time <ISO 8601 UTC>
 *   key <keyId> sha256:<fingerprint>
 */
export interface Checkpoint {
  /** sha256 (hex) of the store's first manifest: immutable, so it names the store without extra state. */
  storeId: string;
  sequence: number;
  /** sha256 (hex) of the manifest at `sequence`. */
  head: string;
  /** When the checkpoint was made, ISO 8601 UTC. */
  time: string;
  keyId: string;
  /** Lowercase hex sha256 of the raw 32-byte ed25519 public key (evidence/trust/fingerprint.ts). */
  fingerprint: string;
}

export const checkpointHeader = 'evidence-hub checkpoint v1';

/** Object names below the store root (`checkpoints/<12-digit sequence>.txt` and `.sig`). */
export const checkpointBodyPath = (sequence: number) => `checkpoints/${seqName(sequence)}.txt`;
export const checkpointSigPath = (sequence: number) => `checkpoints/${seqName(sequence)}.sig`;
export const checkpointNamePattern = /^(\d{12})\.txt$/;

const hex64 = /^[0-9a-f]{64}$/;
const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The store id: the sha256 of manifest #1's exact bytes. */
export function storeIdOf(firstManifest: Uint8Array): string {
  return sha256Hex(firstManifest);
}

export function encodeCheckpoint(cp: Checkpoint): Buffer {
  check(cp);
  return Buffer.from(
    [
      checkpointHeader,
      `store ${cp.storeId}`,
      `sequence ${cp.sequence}`,
      `head ${cp.head}`,
      `time ${cp.time}`,
      `key ${cp.keyId} sha256:${cp.fingerprint}`,
      '',
    ].join('\n'),
  );
}

/**
 * Parses a checkpoint body strictly: exactly the six lines, in order, LF only, final LF. Anything else is
 * refused, so two different byte strings can never carry the same checkpoint (the signature covers bytes).
 */
export function parseCheckpoint(body: Uint8Array | string): Checkpoint {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  const lines = text.split('\n');
  if (lines.length !== 7 || lines[6] !== '' || lines[0] !== checkpointHeader)
    throw new Error(`not an ${checkpointHeader} body (six LF-terminated lines expected)`);
  const field = (i: number, name: string, pattern: RegExp): RegExpExecArray => {
    const m = pattern.exec(lines[i]!);
    if (!m) throw new Error(`line ${i + 1}: expected "${name} ...", got ${JSON.stringify(lines[i]!.slice(0, 80))}`);
    return m;
  };
  const store = field(1, 'store', /^store ([0-9a-f]{64})$/);
  const seq = field(2, 'sequence', /^sequence ([1-9]\d{0,11})$/);
  const head = field(3, 'head', /^head ([0-9a-f]{64})$/);
  const time = field(4, 'time', /^time (\S+)$/);
  const key = field(5, 'key', /^key ([0-9a-f]{16}) sha256:([0-9a-f]{64})$/);
  const cp: Checkpoint = {
    storeId: store[1]!,
    sequence: Number(seq[1]),
    head: head[1]!,
    time: time[1]!,
    keyId: key[1]!,
    fingerprint: key[2]!,
  };
  check(cp);
  if (!encodeCheckpoint(cp).equals(Buffer.from(text))) throw new Error('checkpoint body is not in canonical form');
  return cp;
}

function check(cp: Checkpoint): void {
  if (!hex64.test(cp.storeId)) throw new Error(`checkpoint store id is not a sha256: ${cp.storeId}`);
  if (!Number.isSafeInteger(cp.sequence) || cp.sequence < 1) throw new Error(`bad checkpoint sequence ${cp.sequence}`);
  if (!hex64.test(cp.head)) throw new Error(`checkpoint head is not a sha256: ${cp.head}`);
  if (!isoUtc.test(cp.time) || Number.isNaN(Date.parse(cp.time)))
    throw new Error(`checkpoint time is not ISO 8601 UTC: ${cp.time}`);
  if (!/^[0-9a-f]{16}$/.test(cp.keyId)) throw new Error(`bad checkpoint key id ${cp.keyId}`);
  if (!hex64.test(cp.fingerprint)) throw new Error(`bad checkpoint key fingerprint ${cp.fingerprint}`);
}

/** Encodes and signs (raw 64-byte ed25519 over the body's exact bytes). */
export async function signCheckpoint(key: Signer, cp: Checkpoint): Promise<{ body: Buffer; signature: Buffer }> {
  if (cp.keyId !== key.keyId || cp.fingerprint !== fingerprintOf(key.publicKeyPem))
    throw new Error(`checkpoint names key ${cp.keyId}, but it is being signed with key ${key.keyId}`);
  const body = encodeCheckpoint(cp);
  return { body, signature: await key.sign(body) };
}

export function verifyCheckpoint(body: Uint8Array, signature: Uint8Array, publicKeyPem: string): boolean {
  return verifyBytes(publicKeyPem, body, signature);
}

/**
 * Writes the signed checkpoint for `head` after a seal. Its time is the manifest's seal time (`finishedAt`),
 * so the body is a pure function of the chain and the key: ed25519 is deterministic, a retried or racing
 * write produces the same bytes, and create-if-absent never meets a different checkpoint for one sequence.
 * An existing checkpoint is kept (a witness may already hold it). Returns the checkpoint now in the store.
 */
export async function writeCheckpoint(
  store: EvidenceStore,
  key: Signer,
  head: ChainHead,
  sealedAt: string,
): Promise<Checkpoint> {
  const existing = await store.readCheckpoint(head.sequence);
  if (existing) return parseCheckpoint(existing.body);
  const first = head.sequence === 1 ? undefined : await store.readManifest(1);
  if (head.sequence !== 1 && !first)
    throw new Error('cannot write a checkpoint: manifest #1 (the store id) is missing');
  const cp: Checkpoint = {
    storeId: first ? storeIdOf(first) : head.digest,
    sequence: head.sequence,
    head: head.digest,
    time: new Date(sealedAt).toISOString(),
    keyId: key.keyId,
    fingerprint: fingerprintOf(key.publicKeyPem),
  };
  const { body, signature } = await signCheckpoint(key, cp);
  await store.putCheckpoint(head.sequence, body, signature);
  return cp;
}
