import { z } from 'zod';
import { codeUnitOrder } from '../core/order';
import { statuses } from '../mappings/evaluate';
import {
  alertStateVersion,
  type AlertPolicy,
  type AlertState,
  type ControlAlertState,
  type Delivery,
  type PostedRecord,
} from './types';

/**
 * The alert state between runs: reading it back (validated and versioned), recording what Slack
 * accepted, and forgetting old keys. Pure: the caller loads and saves it (evidence/alert-state.ts).
 */

export const defaultKeyRetentionMs = 30 * 86_400_000;
export const defaultMaxPostedKeys = 2000;

export function emptyAlertState(): AlertState {
  return { version: alertStateVersion, controls: {}, posted: {} };
}

const isoSchema = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO date');
const threadSchema = z.strictObject({ channel: z.string().min(1), ts: z.string().min(1) });
const alertStateSchema = z.strictObject({
  version: z.literal(alertStateVersion),
  controls: z.record(
    z.string(),
    z.strictObject({
      // `fresh` is what builds before the rename to "evidence current" wrote: the same status.
      status: z.preprocess((v) => (v === 'fresh' ? 'current' : v), z.enum(statuses)),
      since: isoSchema,
      alertKey: z.string().optional(),
      alertedAt: isoSchema.optional(),
      thread: threadSchema.optional(),
      remindedAt: isoSchema.optional(),
      warned: z.array(z.string()).optional(),
    }),
  ),
  posted: z.record(z.string(), z.strictObject({ at: isoSchema, channel: z.string(), ts: z.string() })),
});

/** Validates persisted state; `undefined`/`null` (nothing stored yet) gives the empty state. */
export function parseAlertState(json: unknown): AlertState {
  if (json === undefined || json === null) return emptyAlertState();
  const version = (json as { version?: unknown }).version;
  if (version !== alertStateVersion)
    throw new Error(
      `alert state: unsupported version ${JSON.stringify(version)} (this build reads version ${alertStateVersion})`,
    );
  const parsed = alertStateSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`alert state: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data as AlertState;
}

/**
 * Records what Slack accepted: message and item keys, and the thread of each control whose episode
 * alert was in a delivered message. Pure; call it after every delivery to persist progress.
 */
export function recordDeliveries(state: AlertState, deliveries: readonly Delivery[]): AlertState {
  const posted: Record<string, PostedRecord> = { ...state.posted };
  const controls: Record<string, ControlAlertState> = { ...state.controls };
  for (const d of deliveries) {
    const rec: PostedRecord = { at: d.at, channel: d.channel, ts: d.ts };
    posted[d.key] = rec;
    const items = new Set(d.itemKeys);
    for (const k of d.itemKeys) posted[k] = rec;
    for (const [id, c] of Object.entries(controls)) {
      if (c.alertKey !== undefined && items.has(c.alertKey) && !c.thread)
        controls[id] = { ...c, thread: { channel: d.channel, ts: d.ts } };
    }
  }
  return { version: alertStateVersion, controls, posted: sortedRecord(posted) };
}

/** Keeps the posted keys younger than the retention, at most `maxPostedKeys` of them, newest first. */
export function prunePosted(
  posted: Record<string, PostedRecord>,
  nowMs: number,
  policy: AlertPolicy,
): Record<string, PostedRecord> {
  const retention = policy.keyRetentionMs ?? defaultKeyRetentionMs;
  const max = policy.maxPostedKeys ?? defaultMaxPostedKeys;
  const kept = Object.entries(posted)
    .filter(([, r]) => nowMs - Date.parse(r.at) <= retention)
    .sort(([ka, a], [kb, b]) => b.at.localeCompare(a.at) || codeUnitOrder(ka, kb))
    .slice(0, max);
  return sortedRecord(Object.fromEntries(kept));
}

/** The record with its keys in order, so the stored state is the same bytes for the same content. */
export function sortedRecord<T>(
  rec: Record<string, T>,
  compare: (a: string, b: string) => number = codeUnitOrder,
): Record<string, T> {
  return Object.fromEntries(Object.entries(rec).sort(([a], [b]) => compare(a, b)));
}
