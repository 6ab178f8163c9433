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
  status:
    | 'current'
    | 'due-soon'
    | 'not-exercised'
    | 'overdue'
    | 'not-configured'
    | 'unverified'
    | 'stale'
    | 'missing'
    | 'exception';
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
export interface ChangeSet {
  /** Change key → its earliest artifact in the window. */
  changes: Map<string, IndexedArtifact>;
  /** Change key → its newest artifact (the current due date of a change whose date moved). */
  newest: Map<string, IndexedArtifact>;
  /** Whether anything at all was collected where the changes come from (in or before the window). */
  anyCollected: boolean;
}

export class ChangeSets {
  private readonly sets = new Map<string, ChangeSet>();

  constructor(
    private readonly buckets: ArtifactBuckets,
    private readonly now: number,
  ) {}

  of(f: Extract<Rule['freshness'], { type: 'perChange' }>): ChangeSet {
    const id = `${f.changesKey}\u0000${f.key.join('\u0000')}\u0000${f.windowMs}`;
    const known = this.sets.get(id);
    if (known) return known;
    const firstSeen = new Map<string, IndexedArtifact>();
    const newest = new Map<string, IndexedArtifact>();
    const candidates = this.buckets.candidates(f.changeScopes);
    for (const a of candidates) {
      if (this.now - a.observedAt > f.windowMs) break; // newest first: everything after is older still
      if (a.observedAt > this.now || a.collectedAt > this.now || !f.changes(a)) continue;
      const k = keyValue(a, f.key);
      if (k === undefined) continue;
      firstSeen.set(k, a); // newest-first order: the last write keeps the earliest record
      if (!newest.has(k)) newest.set(k, a);
    }
    const set = { changes: firstSeen, newest, anyCollected: candidates.some((a) => a.collectedAt <= this.now) };
    this.sets.set(id, set);
    return set;
  }
}

/** The values of a per-change key's attributes as one string (numbers too), or undefined if one lacks. */
function keyValue(a: IndexedArtifact, key: readonly string[]): string | undefined {
  let out: string | undefined;
  for (const k of key) {
    const v = attributeAt(a.attributes, k);
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    out = out === undefined ? String(v) : `${out}#${String(v)}`;
  }
  return out;
}

/** An attribute by name, or by dotted path into nested objects (`frontMatter.system`). */
export function attributeAt(attributes: Readonly<Record<string, unknown>>, k: string): unknown {
  if (Object.hasOwn(attributes, k)) return attributes[k];
  let v: unknown = attributes;
  for (const part of k.split('.'))
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** When a change started: its `from` attribute (created, opened) if it has one, else when it was first observed. */
function startOf(a: IndexedArtifact, from: string | undefined): number {
  if (from === undefined) return a.observedAt;
  const v = a.attributes[from];
  const t = typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : Number.NaN;
  return Number.isFinite(t) ? Math.min(t, a.observedAt) : a.observedAt;
}

/** A change's due date (end of that day when only a day is given), or undefined without a readable one. */
function dueOf(a: IndexedArtifact, due: string | undefined): number | undefined {
  if (due === undefined) return undefined;
  const v = attributeAt(a.attributes, due);
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T23:59:59.999Z` : v);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * `configured`: some source of the changes' type ran, or changes were ever collected. Without either the
 * rule is `not-configured` (never "nothing needs a record"); with no change in the window it is
 * `not-exercised`: nothing was owed, and nothing shows the control operating.
 */
export function perChangeResult(
  rule: Rule,
  matched: IndexedArtifact[],
  set: ChangeSet,
  configured: boolean,
  now: number,
): Judgement {
  if (rule.freshness.type !== 'perChange') throw new Error('unreachable');
  const { recordKey, windowMs, graceMs, text, from, due, changeSources } = rule.freshness;
  const firstSeen = set.changes;
  // The newest record of each change; only changes in the window need one, and once all have it, older
  // records cannot change the answer.
  const recordsByKey = new Map<string, IndexedArtifact>();
  for (let i = 0; i < matched.length && recordsByKey.size < firstSeen.size; i++) {
    const k = keyValue(matched[i]!, recordKey);
    if (k !== undefined && firstSeen.has(k) && !recordsByKey.has(k)) recordsByKey.set(k, matched[i]!);
  }
  const newest = matched[0] ? { id: matched[0].id, observedAt: iso(matched[0].observedAt) } : undefined;
  if (firstSeen.size === 0 && !configured && !set.anyCollected) {
    return {
      rule: rule.id,
      status: 'not-configured',
      cause: {
        kind: 'not-configured',
        rule: rule.id,
        ...(rule.description ? { description: rule.description } : {}),
        sourceTypes: changeSources,
      },
      ...(newest ? { newest } : {}),
      evidence: [],
    };
  }
  if (firstSeen.size === 0) {
    return {
      rule: rule.id,
      status: 'not-exercised',
      cause: { kind: 'no-changes', windowMs, requirement: text },
      ...(newest ? { newest } : {}),
      evidence: [],
    };
  }
  const keys = [...firstSeen.keys()].sort();
  const started = (k: string) => startOf(firstSeen.get(k)!, from);
  // The day a change's record is owed: its own due date where the rule names one and the change has it
  // (a corrective action's deadline), else its start + grace.
  const deadline = (k: string) => dueOf(set.newest.get(k) ?? firstSeen.get(k)!, due) ?? started(k) + graceMs;
  // With a start time or a due date, a record that came after the deadline is late: an incident opened
  // years ago and closed today was not handled in time.
  const late = (k: string) =>
    (from !== undefined || due !== undefined) && recordsByKey.has(k) && recordsByKey.get(k)!.observedAt > deadline(k);
  const lacking = keys.filter((k) => !recordsByKey.has(k) || late(k));
  const evidence = keys.map((k) => recordsByKey.get(k)?.id).filter((x): x is string => x !== undefined);
  if (lacking.length === 0) {
    return {
      rule: rule.id,
      status: 'current',
      cause: { kind: 'changes-recorded', changes: keys.length, windowMs, requirement: text },
      ...(newest ? { newest } : {}),
      evidence,
    };
  }
  const isInGrace = (k: string) => !late(k) && now <= deadline(k);
  const inGrace = lacking.filter(isInGrace);
  const overdue = lacking.filter((k) => !isInGrace(k));
  if (overdue.length === 0) {
    // A loop, not Math.min(...spread): thousands of changes would overflow the argument list.
    let dueBy = Number.POSITIVE_INFINITY;
    for (const k of inGrace) dueBy = Math.min(dueBy, deadline(k));
    // A change's grace is the time allowed to record it, not time past a deadline: a record is due soon
    // (by `dueAt`), nothing is overdue yet.
    return {
      rule: rule.id,
      status: 'due-soon',
      cause: { kind: 'changes-in-grace', inGrace },
      dueAt: iso(dueBy),
      ...(newest ? { newest } : {}),
      evidence,
    };
  }
  // A change past its grace with no record at all (a production version never validated) is missing
  // evidence, not ageing evidence; only when every overdue change has a record, just a late one, is the
  // rule stale. A missing rule has no date.
  const status = overdue.some((k) => !recordsByKey.has(k)) ? 'missing' : 'stale';
  let staleSince = Number.POSITIVE_INFINITY;
  for (const k of overdue) staleSince = Math.min(staleSince, deadline(k));
  return {
    rule: rule.id,
    status,
    cause: { kind: 'changes-overdue', changes: keys.length, overdue, inGrace },
    ...(status === 'stale' ? { dueAt: iso(staleSince) } : {}),
    ...(newest ? { newest } : {}),
    evidence,
  };
}
