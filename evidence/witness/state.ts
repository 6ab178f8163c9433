import { z } from 'zod';
import type { EvidenceStore } from '../store';

/**
 * What the last witnessing run left pending, per witness: `witness/state.json` in the store. It is a
 * report for `status`, not the source of truth: what is pending is always derived again from the store's
 * checkpoints (a checkpoint without its .tsr, or missing from the S3 witness), so a lost state file loses
 * nothing.
 */
export const witnessStateFormat = 'evidence-hub/witness-state@1';

const errorSchema = z.strictObject({ at: z.string(), message: z.string() });

const witnessStatusSchema = z.strictObject({
  /** Checkpoint sequences still waiting for this witness, ascending. */
  pending: z.array(z.number().int().positive()),
  /** Every checkpoint up to here was witnessed (the next run starts looking after it). */
  doneThrough: z.number().int().nonnegative(),
  /** The newest checkpoint this witness holds. */
  newestWitnessed: z.number().int().positive().optional(),
  /** The last failure while something is still pending. */
  lastError: errorSchema.optional(),
});

const witnessStateSchema = z.strictObject({
  format: z.literal(witnessStateFormat),
  updatedAt: z.string(),
  tsa: witnessStatusSchema.optional(),
  s3: witnessStatusSchema.optional(),
});

export type WitnessStatus = z.infer<typeof witnessStatusSchema>;
export type WitnessState = z.infer<typeof witnessStateSchema>;
export type WitnessName = 'tsa' | 's3';

export async function readWitnessState(store: EvidenceStore): Promise<WitnessState | undefined> {
  const raw = await store.readWitnessState();
  if (!raw) return undefined;
  try {
    return witnessStateSchema.parse(JSON.parse(raw.toString('utf8')));
  } catch {
    return undefined; // a report, rebuilt by the next run
  }
}

export async function writeWitnessState(store: EvidenceStore, state: WitnessState): Promise<void> {
  await store.writeWitnessState(Buffer.from(JSON.stringify(state, null, 2) + '\n'));
}

/** The `status` summary: per configured witness, how many checkpoints wait, the oldest, the last error. */
export interface PendingWitnessSummary {
  witness: WitnessName;
  pending: number;
  oldestSequence?: number | undefined;
  lastError?: { at: string; message: string } | undefined;
  /** When the state was written (the last seal or retry run). */
  asOf: string;
}

export function pendingSummary(state: WitnessState | undefined): PendingWitnessSummary[] {
  if (!state) return [];
  const out: PendingWitnessSummary[] = [];
  for (const name of ['tsa', 's3'] as const) {
    const s = state[name];
    if (!s) continue;
    out.push({
      witness: name,
      pending: s.pending.length,
      ...(s.pending.length > 0 ? { oldestSequence: s.pending[0] } : {}),
      ...(s.lastError ? { lastError: s.lastError } : {}),
      asOf: state.updatedAt,
    });
  }
  return out;
}

export function renderPendingSummary(summary: PendingWitnessSummary[]): string[] {
  return summary.map((s) =>
    s.pending === 0
      ? `witness ${s.witness}: all checkpoints witnessed (as of ${s.asOf})`
      : `witness ${s.witness}: ${s.pending} checkpoint(s) pending, oldest #${s.oldestSequence}` +
        (s.lastError ? `; last error ${s.lastError.at}: ${s.lastError.message}` : '') +
        ` (as of ${s.asOf})`,
  );
}
