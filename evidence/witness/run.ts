import type { Logger } from 'pino';
import { parseCheckpoint } from '../checkpoint';
import type { EvidenceStore } from '../store';
import type { Witnesses } from './config';
import {
  readWitnessState,
  witnessStateFormat,
  writeWitnessState,
  type WitnessState,
  type WitnessStatus,
} from './state';
import { requestTimestamp } from './tsa';

/**
 * Sends every checkpoint that a configured witness does not hold yet. Runs after each seal (and as its
 * own activity); it never throws for a witness that is down: the checkpoint stays pending and the next
 * run retries it, oldest first, so nothing is lost. What is pending is derived from the store each time
 * (a checkpoint without `.tsr`, a checkpoint missing in the S3 witness); `witness/state.json` only keeps
 * the watermark that spares re-reading old checkpoints and the report `status` prints.
 */
export async function witnessPending(
  store: EvidenceStore,
  witnesses: Witnesses,
  log: Logger,
  now: () => Date = () => new Date(),
): Promise<WitnessState | undefined> {
  if (!witnesses.tsa && !witnesses.s3) return undefined;
  const previous = await readWitnessState(store).catch(() => undefined);
  const sequences = await store.listCheckpoints();
  const state: WitnessState = { format: witnessStateFormat, updatedAt: now().toISOString() };
  if (witnesses.tsa) {
    const tsa = witnesses.tsa;
    state.tsa = await run('tsa', store, sequences, previous?.tsa, log, now, {
      has: async (seq) => (await store.readTimestampToken(seq)) !== undefined,
      send: async (seq, cp) => {
        await store.putTimestampToken(seq, await requestTimestamp(cp.body, tsa));
      },
    });
  }
  if (witnesses.s3) {
    const s3 = witnesses.s3;
    let held: Set<number> | undefined;
    state.s3 = await run('s3', store, sequences, previous?.s3, log, now, {
      has: async (seq, cp) => {
        // One listing per run (per store id): the witness bucket says what it already holds.
        held ??= new Set(await s3.sequences(parseCheckpoint(cp.body).storeId));
        return held.has(seq);
      },
      send: async (seq, cp) => {
        await s3.put({ storeId: parseCheckpoint(cp.body).storeId, sequence: seq, ...cp });
      },
    });
  }
  try {
    await writeWitnessState(store, state);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not write witness/state.json (status may be stale)');
  }
  return state;
}

interface WitnessOps {
  has(sequence: number, cp: { body: Buffer; signature: Buffer }): Promise<boolean>;
  send(sequence: number, cp: { body: Buffer; signature: Buffer }): Promise<void>;
}

async function run(
  name: string,
  store: EvidenceStore,
  sequences: number[],
  previous: WitnessStatus | undefined,
  log: Logger,
  now: () => Date,
  ops: WitnessOps,
): Promise<WitnessStatus> {
  const doneThrough = previous?.doneThrough ?? 0;
  const earlierPending = new Set(previous?.pending ?? []);
  // Checkpoints after the watermark, and any the last run left pending (even below it).
  const todo = sequences.filter((s) => s > doneThrough || earlierPending.has(s));
  const pending: number[] = [];
  let newestWitnessed = previous?.newestWitnessed;
  let lastError: WitnessStatus['lastError'];
  for (const seq of todo) {
    // After the first failure the witness is taken as down for this run: the rest wait for the next one.
    if (lastError) {
      pending.push(seq);
      continue;
    }
    try {
      const cp = await store.readCheckpoint(seq);
      if (!cp) continue; // listed but gone: verify reports it, nothing to witness
      if (!(await ops.has(seq, cp))) {
        await ops.send(seq, cp);
        log.info({ witness: name, sequence: seq }, 'checkpoint witnessed');
      }
      newestWitnessed = Math.max(newestWitnessed ?? 0, seq);
    } catch (err) {
      lastError = { at: now().toISOString(), message: (err as Error).message.split('\n')[0]! };
      log.warn({ witness: name, sequence: seq, err: lastError.message }, 'witness unavailable; checkpoint pending');
      pending.push(seq);
    }
  }
  const firstPending = pending[0];
  const last = sequences.at(-1) ?? 0;
  return {
    pending,
    doneThrough: firstPending === undefined ? Math.max(doneThrough, last) : Math.min(firstPending - 1, last),
    ...(newestWitnessed !== undefined ? { newestWitnessed } : {}),
    ...(lastError ? { lastError } : previous?.lastError && pending.length > 0 ? { lastError: previous.lastError } : {}),
  };
}
