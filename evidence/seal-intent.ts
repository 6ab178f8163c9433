import { z } from 'zod';
import { canonicalJson } from '../core/digest';

/**
 * Seal intents: what lets a first seal skip the scan for its own bundle.
 *
 * `commitBundle` must never append a bundle id twice, and a retried seal may follow a crash that came
 * after its manifest was committed but before the pointer (bundles/<id>.json) was written. The pointer
 * alone cannot tell "never committed" from "committed, pointer lost", so every new bundle used to scan
 * the newest 256 manifests: seal time grew with the chain (bench/cycle.ts).
 *
 * Before it claims a sequence number, a commit durably writes an intent, `seal-intents/<id>.json`,
 * holding the head sequence + 1 at that moment. Every manifest of that bundle id can therefore only
 * exist at that sequence or later, and only if the intent exists (it is written, and fsynced/acknowledged,
 * before `putManifestIfAbsent`). So a lookup with no pointer and no intent needs no scan, and one with an
 * intent scans only the manifests appended since the attempt began (a handful), however old it is.
 *
 * Why not "activity attempt === 1": an attempt number says nothing about what a previous worker did to
 * the store (a worker can commit and then lose its heartbeat, or the activity can be re-run by a reset or
 * a new run with the same bundle id); the intent is a fact in the store itself, written before the fact
 * it guards.
 *
 * Stores written before intents existed: a store-wide marker (`seal-intents.json`) records the first
 * sequence that could have been committed with an intent. Bundles below it may have none, so a lookup
 * still scans the old window (the newest 256 manifests) but only the part below that sequence; once the
 * chain has grown 256 bundles past the upgrade, that part is empty.
 */
/** The store primitives intents need; part of the chain's `ChainOps`. Intents must be durable when written. */
export interface SealIntentOps {
  readSealIntent(bundleId: string): Promise<Buffer | undefined>;
  writeSealIntent(bundleId: string, bytes: Buffer): Promise<void>;
  readIntentsSince(): Promise<Buffer | undefined>;
  writeIntentsSince(bytes: Buffer): Promise<void>;
}

const intentSchema = z.strictObject({ bundleId: z.string(), fromSequence: z.number().int().positive() });
const sinceSchema = z.strictObject({ intentsFromSequence: z.number().int().positive() });

/** The earliest sequence a committed manifest of `bundleId` can have, or undefined when none was attempted. */
export async function readSealIntent(ops: SealIntentOps, bundleId: string): Promise<number | undefined> {
  const raw = await ops.readSealIntent(bundleId);
  if (!raw) return undefined;
  const intent = intentSchema.parse(JSON.parse(raw.toString('utf8')));
  if (intent.bundleId !== bundleId) throw new Error(`seal intent for ${bundleId} names ${intent.bundleId}`);
  return intent.fromSequence;
}

/** From which sequence every commit wrote an intent; undefined for a store that never wrote one. */
export async function readIntentsSince(ops: SealIntentOps): Promise<number | undefined> {
  const raw = await ops.readIntentsSince();
  return raw ? sinceSchema.parse(JSON.parse(raw.toString('utf8'))).intentsFromSequence : undefined;
}

/**
 * Written before `putManifestIfAbsent`. `head` is the chain head the commit starts from. The store-wide
 * marker goes first (once), so no bundle at or above its sequence lacks an intent. An existing intent is
 * kept: its earlier sequence still bounds every manifest any attempt of this bundle could have written.
 */
export async function writeSealIntent(ops: SealIntentOps, bundleId: string, head: number): Promise<void> {
  if ((await readIntentsSince(ops)) === undefined)
    await ops.writeIntentsSince(Buffer.from(canonicalJson({ intentsFromSequence: head + 1 })));
  if ((await ops.readSealIntent(bundleId)) !== undefined) return;
  await ops.writeSealIntent(bundleId, Buffer.from(canonicalJson({ bundleId, fromSequence: head + 1 })));
}
