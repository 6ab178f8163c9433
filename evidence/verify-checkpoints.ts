import { readFile } from 'node:fs/promises';
import { sha256Hex } from '../core/digest';
import type { AnchorProblem } from './anchor-problems';
import { checkpointBodyPath, parseCheckpoint, storeIdOf, verifyCheckpoint, type Checkpoint } from './checkpoint';
import { verifyPack, type PackFacts } from './export/verify-pack';
import type { EvidenceStore, KeyRecord } from './store';
import { fingerprintOf } from './trust/fingerprint';

export type { AnchorProblem, AnchorProblemCode } from './anchor-problems';

export interface AnchorCheckOptions {
  /**
   * The keys whose signatures count: the trusted keys (pinned, or endorsed by a pinned key), or every key of
   * the store when no trust anchor was given (verify then reports integrity only). Trust is decided by the
   * caller (evidence/trust/); this module only asks whether a checkpoint's key is in this set.
   */
  acceptable: readonly KeyRecord[];
  /** Checkpoint body files an auditor kept (`verify --checkpoint FILE`), each with its `.sig` beside it. */
  checkpointFiles?: readonly string[];
}

/** Allowed clock skew between registering a key and its first signature (as for manifests in verify.ts). */
const skewMs = 5 * 60_000;

/**
 * Checks every signed checkpoint of a store or an audit pack, and the checkpoints an auditor brings along:
 * each is signed by an acceptable key (`untrusted-key` otherwise), is well-formed and names this store
 * (`checkpoint-invalid`), and agrees with the chain: a checkpoint beyond the chain's head means bundles were
 * cut off (`truncated`), another digest at its sequence means the chain was rewritten (`forked`). In an audit
 * pack it also checks the signed export.json and stray blobs (evidence/export/verify-pack.ts).
 */
export async function verifyCheckpoints(store: EvidenceStore, options: AnchorCheckOptions): Promise<AnchorProblem[]> {
  const problems: AnchorProblem[] = [];
  const storeKeys = await store.listKeys();
  const pack = await verifyPack(store, options.acceptable, storeKeys, problems);
  const sequences = await store.sequences();
  const chain = {
    head: sequences.at(-1) ?? 0,
    from: pack?.fromSequence ?? 1,
    anchor: pack ? { sequence: pack.fromSequence - 1, digest: pack.previousDigest } : undefined,
  };
  const storeId = await expectedStoreId(store, pack);
  const check = (cp: Checkpoint, body: Buffer, signature: Buffer, where: string) =>
    checkOne(store, cp, body, signature, where, { ...options, storeKeys, storeId, chain, problems });

  for (const seq of await store.listCheckpoints()) {
    const where = checkpointBodyPath(seq);
    const stored = await store.readCheckpoint(seq);
    if (!stored) {
      problems.push({ code: 'checkpoint-invalid', sequence: seq, message: `${where}: its .sig is missing` });
      continue;
    }
    const cp = parse(stored.body, where, seq, problems);
    if (!cp) continue;
    if (cp.sequence !== seq) {
      problems.push({
        code: 'checkpoint-invalid',
        sequence: seq,
        message: `${where} says it is the checkpoint of bundle #${cp.sequence} (renamed?)`,
      });
      continue;
    }
    await check(cp, stored.body, stored.signature, where);
  }

  for (const file of options.checkpointFiles ?? []) {
    const sigFile = file.endsWith('.txt') ? `${file.slice(0, -'.txt'.length)}.sig` : `${file}.sig`;
    let body: Buffer;
    let signature: Buffer;
    try {
      [body, signature] = await Promise.all([readFile(file), readFile(sigFile)]);
    } catch (err) {
      problems.push({ code: 'checkpoint-invalid', message: `--checkpoint ${file}: ${(err as Error).message}` });
      continue;
    }
    const cp = parse(body, file, undefined, problems);
    if (cp) await check(cp, body, signature, file);
  }
  return problems;
}

function parse(
  body: Buffer,
  where: string,
  seq: number | undefined,
  problems: AnchorProblem[],
): Checkpoint | undefined {
  try {
    return parseCheckpoint(body);
  } catch (err) {
    problems.push({
      code: 'checkpoint-invalid',
      ...(seq !== undefined ? { sequence: seq } : {}),
      message: `${where}: ${(err as Error).message}`,
    });
    return undefined;
  }
}

/** sha256 of manifest #1 when the store holds it; in a pack without it, the storeId its signed export.json states. */
async function expectedStoreId(store: EvidenceStore, pack: PackFacts | undefined): Promise<string | undefined> {
  const first = await store.readManifest(1);
  if (first) return storeIdOf(first);
  return pack?.storeId ?? undefined;
}

interface CheckContext extends AnchorCheckOptions {
  storeKeys: readonly KeyRecord[];
  storeId: string | undefined;
  chain: { head: number; from: number; anchor: { sequence: number; digest: string | null } | undefined };
  problems: AnchorProblem[];
}

async function checkOne(
  store: EvidenceStore,
  cp: Checkpoint,
  body: Buffer,
  signature: Buffer,
  where: string,
  ctx: CheckContext,
): Promise<void> {
  const at = { sequence: cp.sequence };
  const key = ctx.acceptable.find((k) => k.keyId === cp.keyId);
  if (!key) {
    const known = ctx.storeKeys.some((k) => k.keyId === cp.keyId);
    ctx.problems.push({
      ...at,
      code: 'untrusted-key',
      message: `${where}: signed with key ${cp.keyId}, which is ${known ? 'in the store but not trusted (not pinned, not endorsed by a pinned key)' : 'not among the store keys'}`,
    });
    return;
  }
  if (fingerprintOf(key.publicKeyPem) !== cp.fingerprint || !verifyCheckpoint(body, signature, key.publicKeyPem)) {
    ctx.problems.push({
      ...at,
      code: 'checkpoint-invalid',
      message: `${where}: the signature does not verify with key ${key.keyId} (altered checkpoint or wrong key)`,
    });
    return;
  }
  const time = Date.parse(cp.time);
  if (time < Date.parse(key.validFrom) - skewMs || (key.validUntil && time > Date.parse(key.validUntil))) {
    ctx.problems.push({
      ...at,
      code: 'checkpoint-invalid',
      message: `${where}: key ${key.keyId} was not valid at the checkpoint's time ${cp.time} (valid ${key.validFrom} to ${key.validUntil ?? 'now'})`,
    });
  }
  if (ctx.storeId !== undefined && cp.storeId !== ctx.storeId) {
    ctx.problems.push({
      ...at,
      code: 'checkpoint-invalid',
      message: `${where}: names store ${cp.storeId.slice(0, 12)}, this store is ${ctx.storeId.slice(0, 12)} (a checkpoint of another store)`,
    });
    return;
  }
  if (cp.sequence > ctx.chain.head) {
    ctx.problems.push({
      ...at,
      code: 'truncated',
      message: `${where}: bundle #${cp.sequence} was checkpointed at ${cp.time}, but the chain ends at #${ctx.chain.head}: bundles were cut off`,
    });
    return;
  }
  const digest =
    cp.sequence < ctx.chain.from
      ? ctx.chain.anchor?.sequence === cp.sequence
        ? (ctx.chain.anchor.digest ?? undefined)
        : undefined
      : await manifestDigest(store, cp.sequence);
  if (digest === undefined) {
    // Inside the chain, a missing manifest is a gap verify.ts reports (bundle-missing); before a pack's
    // segment there is nothing to compare with.
    if (cp.sequence < ctx.chain.from)
      ctx.problems.push({
        ...at,
        code: 'checkpoint-invalid',
        message: `${where}: bundle #${cp.sequence} lies before this pack's segment (from #${ctx.chain.from}); check it against the live store or the earlier pack`,
      });
    return;
  }
  if (digest !== cp.head) {
    ctx.problems.push({
      ...at,
      code: 'forked',
      message: `${where}: bundle #${cp.sequence} had manifest digest ${cp.head.slice(0, 12)} at ${cp.time}, the chain now has ${digest.slice(0, 12)}: the chain was rewritten`,
    });
  }
}

async function manifestDigest(store: EvidenceStore, sequence: number): Promise<string | undefined> {
  const bytes = await store.readManifest(sequence);
  return bytes ? sha256Hex(bytes) : undefined;
}
