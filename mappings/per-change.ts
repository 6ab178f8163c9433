import type { EvidenceCause } from './causes';
import type { ArtifactBuckets } from './buckets';
import type { IndexedArtifact } from './indexed-artifact';
import type { Rule } from './load';

/**
 * Per-change rules (every change in the window needs its own record), apart from the max-age logic in
 * evaluate.ts.
 */

/** A rule's outcome before its sentence is written: `reason` always comes from `cause`, in reasons.ts. */
export interface Judgement {
  rule: string;
  status: 'fresh' | 'due-soon' | 'not-exercised' | 'not-configured' | 'unverified' | 'stale' | 'missing' | 'exception';
  cause: EvidenceCause;
  /** As RuleResult.dueAt: when the evidence goes (went) stale. */
  dueAt?: string;
  newest?: { id: string; observedAt: string };
  evidence: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The changes per-change rules owe records for, by change key, each with its earliest record in the
 * window. Rules with the same `changes`, key and window (every MLflow rule asks about the same production
 * versions) share one scan of the change buckets.
 */
export class ChangeSets {
  private readonly sets = new Map<string, Map<string, IndexedArtifact>>();

  constructor(
    private readonly buckets: ArtifactBuckets,
    private readonly now: number,
  ) {}

  of(f: Extract<Rule['freshness'], { type: 'perChange' }>): Map<string, IndexedArtifact> {
    const id = `${f.changesKey}\u0000${f.key}\u0000${f.windowMs}`;
    let firstSeen = this.sets.get(id);
    if (firstSeen) return firstSeen;
    firstSeen = new Map();
    for (const a of this.buckets.candidates(f.changeScopes)) {
      if (this.now - a.observedAt > f.windowMs) break; // newest first: everything after is older still
      if (a.observedAt > this.now || a.collectedAt > this.now || !f.changes(a)) continue;
      const k = keyValue(a, f.key);
      if (k !== undefined) firstSeen.set(k, a); // newest-first order: the last write keeps the earliest record
    }
    this.sets.set(id, firstSeen);
    return firstSeen;
  }
}

/** The value of a per-change key attribute as a string (numbers too), or undefined. */
function keyValue(a: IndexedArtifact, key: string): string | undefined {
  const v = a.attributes[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

export function perChangeResult(
  rule: Rule,
  matched: IndexedArtifact[],
  firstSeen: ReadonlyMap<string, IndexedArtifact>,
  now: number,
): Judgement {
  if (rule.freshness.type !== 'perChange') throw new Error('unreachable');
  const { key, windowMs, graceMs, text } = rule.freshness;
  // The newest record of each change; only changes in the window need one, and once all have it, older
  // records cannot change the answer.
  const recordsByKey = new Map<string, IndexedArtifact>();
  for (let i = 0; i < matched.length && recordsByKey.size < firstSeen.size; i++) {
    const k = keyValue(matched[i]!, key);
    if (k !== undefined && firstSeen.has(k) && !recordsByKey.has(k)) recordsByKey.set(k, matched[i]!);
  }
  const newest = matched[0] ? { id: matched[0].id, observedAt: iso(matched[0].observedAt) } : undefined;
  if (firstSeen.size === 0) {
    return {
      rule: rule.id,
      status: 'fresh',
      cause: { kind: 'no-changes', windowMs, requirement: text },
      ...(newest ? { newest } : {}),
      evidence: [],
    };
  }
  const keys = [...firstSeen.keys()].sort();
  const lacking = keys.filter((k) => !recordsByKey.has(k));
  const evidence = keys.map((k) => recordsByKey.get(k)?.id).filter((x): x is string => x !== undefined);
  if (lacking.length === 0) {
    return {
      rule: rule.id,
      status: 'fresh',
      cause: { kind: 'changes-recorded', changes: keys.length, windowMs, requirement: text },
      ...(newest ? { newest } : {}),
      evidence,
    };
  }
  const isInGrace = (k: string) => now - firstSeen.get(k)!.observedAt <= graceMs;
  const inGrace = lacking.filter(isInGrace);
  const overdue = lacking.filter((k) => !isInGrace(k));
  if (overdue.length === 0) {
    // A loop, not Math.min(...spread): thousands of changes would overflow the argument list.
    let due = Number.POSITIVE_INFINITY;
    for (const k of inGrace) due = Math.min(due, firstSeen.get(k)!.observedAt + graceMs);
    return {
      rule: rule.id,
      status: 'due-soon',
      cause: { kind: 'changes-in-grace', inGrace },
      dueAt: iso(due),
      ...(newest ? { newest } : {}),
      evidence,
    };
  }
  const status = evidence.length === 0 && matched.length === 0 ? 'missing' : 'stale';
  // Stale since the first overdue change's grace ran out; a missing rule has no date.
  let staleSince = Number.POSITIVE_INFINITY;
  for (const k of overdue) staleSince = Math.min(staleSince, firstSeen.get(k)!.observedAt + graceMs);
  return {
    rule: rule.id,
    status,
    cause: { kind: 'changes-overdue', changes: keys.length, overdue, inGrace },
    ...(status === 'stale' ? { dueAt: iso(staleSince) } : {}),
    ...(newest ? { newest } : {}),
    evidence,
  };
}
