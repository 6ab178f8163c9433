import { sha256Hex } from '../../core/digest';
import { parseCheckpoint, storeIdOf, verifyCheckpoint, type Checkpoint } from '../checkpoint';
import type { EvidenceStore, KeyRecord } from '../store';
import { fingerprintOf } from '../trust/fingerprint';
import type { S3LockWitness } from './s3-lock';
import { checkTimestampToken } from './tsa-verify';

/** Problem classes this module reports (a subset of verify.ts's ProblemCode; named here to avoid a cycle). */
export type WitnessProblemCode =
  'truncated' | 'forked' | 'timestamp-invalid' | 'witness-missing' | 'checkpoint-invalid';

export interface WitnessProblem {
  code: WitnessProblemCode;
  sequence?: number;
  message: string;
  /** `witness-missing` is a warning: a checkpoint may simply still be pending (the witness was down). */
  level?: 'warning';
}

export interface WitnessCheckOptions {
  /** Keys whose signatures count (the trusted keys, or all store keys when no anchor was given). */
  acceptable: readonly KeyRecord[];
  /** Check the stored RFC 3161 tokens; with `caFile`, also their signature (`openssl ts -verify`). */
  tsa?: { caFile?: string | undefined } | undefined;
  /** Compare the chain with the newest checkpoint in this write-once bucket. */
  s3?: S3LockWitness | undefined;
}

/**
 * Compares the chain with what the witnesses hold. The newest witnessed checkpoint is the anchor: the chain
 * must still have its sequence (`truncated` otherwise) with the same manifest digest (`forked`). A witness
 * that the store's writer cannot rewrite (the S3 Object Lock bucket) catches a store cut back together
 * with its checkpoints; the TSA tokens live in the store, so they prove when a checkpoint existed, not that
 * no later one was removed (docs/bundle-format.md, "Witnesses").
 */
export async function verifyWitnesses(store: EvidenceStore, options: WitnessCheckOptions): Promise<WitnessProblem[]> {
  const problems: WitnessProblem[] = [];
  const first = await store.readManifest(1);
  const storeId = first ? storeIdOf(first) : undefined;
  const chainHead = (await store.sequences()).at(-1) ?? 0;
  const checkpoints = await store.listCheckpoints();

  if (options.tsa) {
    let newest: { cp: Checkpoint; body: Buffer; signature: Buffer } | undefined;
    for (const seq of checkpoints) {
      const stored = await store.readCheckpoint(seq);
      if (!stored) continue; // verify-checkpoints reports it
      const token = await store.readTimestampToken(seq);
      if (!token) {
        problems.push({
          code: 'witness-missing',
          level: 'warning',
          sequence: seq,
          message: `checkpoint #${seq} has no RFC 3161 time stamp (checkpoints/${String(seq).padStart(12, '0')}.tsr): still pending, or removed`,
        });
        continue;
      }
      const result = await checkTimestampToken(stored.body, token, options.tsa.caFile);
      if (!result.ok) {
        problems.push({ code: 'timestamp-invalid', sequence: seq, message: `checkpoint #${seq}: ${result.reason}` });
        continue;
      }
      const cp = tryParse(stored.body);
      if (cp) newest = { cp, ...stored };
    }
    if (newest)
      await compare('the newest time-stamped checkpoint', newest, store, storeId, chainHead, options, problems);
  }

  if (options.s3) {
    const witness = options.s3;
    // A store cut back to nothing has no manifest #1: recognise it by the only store the witness knows.
    const ids = storeId ? [storeId] : await witness.storeIds();
    const id = ids.length === 1 ? ids[0] : undefined;
    const newest = id ? await witness.newest(id) : undefined;
    if (newest) {
      const where = `the newest checkpoint in the S3 witness ${witness.location} (#${newest.sequence})`;
      if (newest.rewritten) {
        problems.push({
          code: 'forked',
          sequence: newest.sequence,
          message: `${where} was written more than once (later versions exist); the first version is used`,
        });
      }
      const cp = tryParse(newest.body);
      if (!cp) {
        problems.push({
          code: 'checkpoint-invalid',
          sequence: newest.sequence,
          message: `${where} is not a checkpoint`,
        });
      } else {
        await compare(
          where,
          { cp, body: newest.body, signature: newest.signature },
          store,
          storeId,
          chainHead,
          options,
          problems,
        );
      }
      const held = new Set(await witness.sequences(id!));
      for (const seq of checkpoints.filter((s) => !held.has(s))) {
        problems.push({
          code: 'witness-missing',
          level: 'warning',
          sequence: seq,
          message: `checkpoint #${seq} is not in the S3 witness ${witness.location} (still pending, or never sent)`,
        });
      }
    } else if (checkpoints.length > 0) {
      problems.push({
        code: 'witness-missing',
        level: 'warning',
        message: `the S3 witness ${witness.location} holds no checkpoint of this store`,
      });
    }
  }
  return problems;
}

function tryParse(body: Buffer): Checkpoint | undefined {
  try {
    return parseCheckpoint(body);
  } catch {
    return undefined;
  }
}

async function compare(
  where: string,
  witnessed: { cp: Checkpoint; body: Buffer; signature: Buffer },
  store: EvidenceStore,
  storeId: string | undefined,
  chainHead: number,
  options: WitnessCheckOptions,
  problems: WitnessProblem[],
): Promise<void> {
  const { cp } = witnessed;
  const key = options.acceptable.find((k) => k.keyId === cp.keyId);
  if (
    !key ||
    fingerprintOf(key.publicKeyPem) !== cp.fingerprint ||
    !verifyCheckpoint(witnessed.body, witnessed.signature, key.publicKeyPem)
  ) {
    problems.push({
      code: 'checkpoint-invalid',
      sequence: cp.sequence,
      message: `${where} is not validly signed by an acceptable key (${cp.keyId}); it cannot anchor the chain`,
    });
    return;
  }
  if (storeId !== undefined && cp.storeId !== storeId) {
    problems.push({
      code: 'forked',
      sequence: 1,
      message: `${where} belongs to store ${cp.storeId.slice(0, 12)}, but this chain's first manifest makes it ${storeId.slice(0, 12)}: the chain was rebuilt from the start`,
    });
    return;
  }
  if (cp.sequence > chainHead) {
    problems.push({
      code: 'truncated',
      sequence: cp.sequence,
      message: `${where} says bundle #${cp.sequence} existed at ${cp.time}, but the chain ends at #${chainHead}: bundles were cut off`,
    });
    return;
  }
  const bytes = await store.readManifest(cp.sequence);
  if (!bytes) {
    problems.push({
      code: 'truncated',
      sequence: cp.sequence,
      message: `${where}: bundle #${cp.sequence} was witnessed, but its manifest is gone`,
    });
    return;
  }
  const digest = sha256Hex(bytes);
  if (digest !== cp.head) {
    problems.push({
      code: 'forked',
      sequence: cp.sequence,
      message: `${where}: bundle #${cp.sequence} had manifest digest ${cp.head.slice(0, 12)} at ${cp.time}, the chain now has ${digest.slice(0, 12)}: the chain was rewritten`,
    });
  }
}
