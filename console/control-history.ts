import { loadIndex, readManifest, type EvidenceRow } from '../evidence/index';
import { timelinePoints, type TimelinePoint } from '../evidence/export/model';
import type { ControlResult } from '../mappings/evaluate';
import { controlDetail, type ConsoleSources, type Reevaluation } from './data';

/** An evidence row with every bundle that recorded the same fact (id, observedAt, sha256), oldest first. */
export interface HeldEvidenceRow extends EvidenceRow {
  bundles: number[];
}

export interface ControlHistory {
  asOf: string;
  /** Set while `result` is an earlier evaluation's (console/evaluation-cache.ts). */
  reevaluation?: Reevaluation | undefined;
  result: ControlResult;
  /** The timeline's window: since the first sealed bundle, at most a year back. */
  window: { from: string; to: string };
  /** The status at the window start, at each month start inside it, and at `asOf` (as the audit pack's report). */
  timeline: TimelinePoint[];
  evidence: HeldEvidenceRow[];
}

const YEAR = 365 * 86_400_000;
const factKey = (id: string, observedAt: string, sha256: string) =>
  `${id}\u0000${new Date(observedAt).toISOString()}\u0000${sha256}`;

/**
 * A control's page data: its evaluation, the timeline and its evidence with the bundles holding each record.
 * The timeline asks the injected `status` at each point, so it is exactly `status --as-of <point>`.
 */
export async function controlHistory(src: ConsoleSources, id: string): Promise<ControlHistory | undefined> {
  const detail = await controlDetail(src, id);
  if (!detail) return undefined;
  const index = await loadIndex(src.store);
  const to = new Date(detail.asOf);
  const firstSeal = index.bundles.reduce((t, b) => Math.min(t, Date.parse(b.finishedAt)), Number.POSITIVE_INFINITY);
  let from = Math.max(to.getTime() - YEAR, Number.isFinite(firstSeal) ? firstSeal : to.getTime());
  // A store sealed moments ago still gets a visible stretch (a zero-width window has no bar).
  if (from >= to.getTime() - 60_000) from = to.getTime() - 86_400_000;
  const timeline: TimelinePoint[] = [];
  // One point at a time: each evaluation holds the whole result set, and a year has at most 14 points.
  for (const at of timelinePoints(new Date(from), to)) {
    const r =
      at.getTime() === to.getTime()
        ? detail.result
        : (await src.status({ asOf: at.toISOString() })).results.find((x) => x.control.id === id);
    if (!r) continue;
    timeline.push({
      at: at.toISOString(),
      status: r.status,
      cause: r.cause,
      reason: r.reason,
      ...(r.dueAt ? { dueAt: r.dueAt } : {}),
    });
  }
  const holders = await bundlesHolding(src, detail.evidence);
  return {
    asOf: detail.asOf,
    ...(detail.reevaluation ? { reevaluation: detail.reevaluation } : {}),
    result: detail.result,
    window: { from: new Date(from).toISOString(), to: detail.asOf },
    timeline,
    evidence: detail.evidence.map((e) => ({
      ...e,
      bundles: holders.get(factKey(e.id, e.observedAt, e.sha256)) ?? [e.bundle],
    })),
  };
}

/**
 * Every bundle that recorded each of `rows`. The index keeps only the first bundle of a fact, so the
 * manifests from the earliest of those first bundles on are read (none before it can hold any of them).
 */
async function bundlesHolding(src: ConsoleSources, rows: readonly EvidenceRow[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(rows.map((r) => [factKey(r.id, r.observedAt, r.sha256), []]));
  if (rows.length === 0) return out;
  const first = rows.reduce((m, r) => Math.min(m, r.bundle), Number.POSITIVE_INFINITY);
  for (const sequence of (await src.store.sequences()).filter((s) => s >= first).sort((a, b) => a - b)) {
    const manifest = await readManifest(src.store, sequence);
    for (const a of manifest?.artifacts ?? []) {
      const held = out.get(factKey(a.id, a.observedAt, a.sha256));
      if (held && held.at(-1) !== sequence) held.push(sequence);
    }
  }
  return out;
}
