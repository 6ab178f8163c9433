import type { Control } from './catalog';
import { formatDuration } from './duration';
import type { MappingSet, NotApplicable, Rule } from './load';
import type { SelectableArtifact } from './select';

export const statuses = ['fresh', 'due-soon', 'stale', 'missing', 'collection-failed', 'not-applicable'] as const;
export type ControlStatus = (typeof statuses)[number];

/** An artifact as the evaluator sees it: metadata plus the two times that matter, as epoch ms. */
export interface IndexedArtifact extends SelectableArtifact {
  id: string;
  observedAt: number;
  /** When we first collected it: evaluation as of a date ignores what was not yet known then. */
  collectedAt: number;
  sha256: string;
}

/** The outcome of one source in one sweep. */
export interface SourceRun {
  source: string;
  sourceType: string;
  at: number;
  /** partial: collected, but with problems; its evidence counts, its controls are flagged. */
  status: 'ok' | 'partial' | 'failed';
  error?: string;
}

export interface EvaluationInput {
  artifacts: readonly IndexedArtifact[];
  sourceRuns: readonly SourceRun[];
  mappings: MappingSet;
  notApplicable: readonly NotApplicable[];
  now: Date;
}

export interface RuleResult {
  rule: string;
  status: Exclude<ControlStatus, 'not-applicable'>;
  reason: string;
  dueAt?: string;
  newest?: { id: string; observedAt: string };
  /** Artifact ids that decided the status. */
  evidence: string[];
}

export interface ControlResult {
  control: Pick<Control, 'id' | 'title' | 'group' | 'groupTitle'>;
  status: ControlStatus;
  reason: string;
  dueAt?: string;
  newest?: { id: string; observedAt: string };
  evidence: string[];
  rules: RuleResult[];
}

/** Worst first: the control shows the most urgent of its rules. */
const severity: Record<RuleResult['status'], number> = { 'collection-failed': 5, missing: 4, stale: 3, 'due-soon': 2, fresh: 1 };

/**
 * Pure: the same input gives the same output, whatever the order of artifacts or runs. Nothing here
 * calls out: collection is done before, and only its records are judged (Auditree's fetch/check split).
 */
export function evaluate(input: EvaluationInput): ControlResult[] {
  const now = input.now.getTime();
  const byType = bucketsNewestFirst(input.artifacts);
  const byTypeKind = kindBuckets(byType);
  const latestRun = latestRuns(input.sourceRuns, now);
  const na = new Map(input.notApplicable.map((n) => [n.control, n.justification]));
  const rulesByControl = new Map<string, Rule[]>();
  for (const rule of input.mappings.rules) {
    for (const c of rule.controls) rulesByControl.set(c, [...(rulesByControl.get(c) ?? []), rule]);
  }
  const ruleCache = new Map<string, RuleResult>();
  const merged = new Map<string, readonly IndexedArtifact[]>();

  return input.mappings.catalog.controls.map((c): ControlResult => {
    const control = { id: c.id, title: c.title, group: c.group, groupTitle: c.groupTitle };
    const justification = na.get(c.id);
    if (justification !== undefined) {
      return { control, status: 'not-applicable', reason: `not applicable (Statement of Applicability): ${justification}`, evidence: [], rules: [] };
    }
    const rules = rulesByControl.get(c.id) ?? [];
    if (rules.length === 0) {
      return { control, status: 'missing', reason: 'no mapping rule covers this control; add one to a mapping file', evidence: [], rules: [] };
    }
    const results = rules.map((r) => {
      let res = ruleCache.get(r.id);
      if (!res) {
        const lists = bucketsFor(r, byType, byTypeKind);
        const key = lists.keys.join('\u0001');
        let candidates = merged.get(key);
        if (!candidates) {
          candidates = mergeNewestFirst(lists.lists);
          merged.set(key, candidates);
        }
        res = evaluateRule(r, candidates, latestRun, now);
        ruleCache.set(r.id, res);
      }
      return res;
    });
    const worst = [...results].sort((a, b) => severity[b.status] - severity[a.status] || a.rule.localeCompare(b.rule))[0]!;
    const dueAts = results.map((r) => r.dueAt).filter((d): d is string => d !== undefined).sort();
    const newest = results
      .map((r) => r.newest)
      .filter((n): n is NonNullable<typeof n> => n !== undefined)
      .sort((a, b) => b.observedAt.localeCompare(a.observedAt) || a.id.localeCompare(b.id))[0];
    return {
      control,
      status: worst.status,
      reason: results.length > 1 ? `${worst.rule}: ${worst.reason}` : worst.reason,
      ...(dueAts[0] ? { dueAt: dueAts[0] } : {}),
      ...(newest ? { newest } : {}),
      evidence: [...new Set(results.flatMap((r) => r.evidence))].sort(),
      rules: results,
    };
  });
}

const rank: Record<SourceRun['status'], number> = { ok: 0, partial: 1, failed: 2 };

function latestRuns(runs: readonly SourceRun[], now: number): Map<string, SourceRun> {
  const latest = new Map<string, SourceRun>();
  for (const r of runs) {
    if (r.at > now) continue;
    const prev = latest.get(r.source);
    // Ties go to the worse outcome: if two sweeps finished at once and one failed, say so.
    if (!prev || r.at > prev.at || (r.at === prev.at && rank[r.status] > rank[prev.status])) latest.set(r.source, r);
  }
  return latest;
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);

/** Newest first, ties broken by id so the answer never depends on input order. */
function newestFirst(a: IndexedArtifact, b: IndexedArtifact): number {
  return b.observedAt - a.observedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Artifacts grouped by source type, each group newest first. Input that is already in that order (as
 * the index keeps it) is not sorted again; any other order gives the same groups.
 */
function bucketsNewestFirst(artifacts: readonly IndexedArtifact[]): Map<string, IndexedArtifact[]> {
  const byType = groupExactly(artifacts, (a) => a.sourceType);
  for (const list of byType.values()) {
    let sorted = true;
    for (let i = 1; i < list.length && sorted; i++) sorted = newestFirst(list[i - 1]!, list[i]!) <= 0;
    if (!sorted) list.sort(newestFirst);
  }
  return byType;
}

/**
 * Groups in input order into arrays allocated at their final size (a counting pass first): growing
 * arrays of a million references would leave copies behind for the garbage collector.
 */
function groupExactly(items: readonly IndexedArtifact[], keyOf: (a: IndexedArtifact) => string): Map<string, IndexedArtifact[]> {
  const counts = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const k = keyOf(items[i]!);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const groups = new Map<string, IndexedArtifact[]>();
  const fill = new Map<string, number>();
  for (const [k, n] of counts) {
    groups.set(k, new Array<IndexedArtifact>(n));
    fill.set(k, 0);
  }
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!;
    const k = keyOf(a);
    const at = fill.get(k)!;
    groups.get(k)![at] = a;
    fill.set(k, at + 1);
  }
  return groups;
}

/** Each type's bucket split by kind, preserving newest-first order. */
function kindBuckets(byType: Map<string, IndexedArtifact[]>): Map<string, IndexedArtifact[]> {
  const out = new Map<string, IndexedArtifact[]>();
  for (const [type, list] of byType) {
    for (const [kind, bucket] of groupExactly(list, (a) => a.kind)) out.set(`${type}\u0000${kind}`, bucket);
  }
  return out;
}

/**
 * The candidate lists for a rule: only the (type, kind) buckets its selectors can match, so a rule on
 * GitHub releases never scans a million pull requests. A selector without a kind takes the whole type.
 */
function bucketsFor(rule: Rule, byType: Map<string, IndexedArtifact[]>, byTypeKind: Map<string, IndexedArtifact[]>): { keys: string[]; lists: IndexedArtifact[][] } {
  const wholeTypes = new Set(rule.scopes.filter((s) => s.kind === undefined).map((s) => s.sourceType));
  const keys = new Set<string>();
  for (const s of rule.scopes) keys.add(wholeTypes.has(s.sourceType) ? s.sourceType : `${s.sourceType}\u0000${s.kind}`);
  const sorted = [...keys].sort();
  return { keys: sorted, lists: sorted.map((k) => (k.includes('\u0000') ? byTypeKind.get(k) : byType.get(k)) ?? []) };
}

/** One newest-first list of the buckets of several source types (rare: most rules read one type). */
function mergeNewestFirst(lists: readonly (readonly IndexedArtifact[])[]): readonly IndexedArtifact[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  return nonEmpty.flat().sort(newestFirst);
}

interface Scan {
  /** Up to `want` newest matching artifacts known at `now`. */
  newest: IndexedArtifact[];
  /** All matches, only when the scan had to run to the end (fewer than `want` exist, or per-change). */
  total?: number;
  /** Sources among `watch` that supplied at least one match. */
  suppliers: Set<string>;
}

/**
 * Newest-first scan of a rule's candidates. It stops once it has the `want` newest matches and has
 * seen every watched (failed) source among the suppliers: most rules decide on their first few records.
 */
function scanMatches(rule: Rule, candidates: readonly IndexedArtifact[], now: number, want: number, watch: ReadonlySet<string>): Scan {
  const newest: IndexedArtifact[] = [];
  const suppliers = new Set<string>();
  let total = 0;
  for (let i = 0; i < candidates.length; i++) {
    const a = candidates[i]!;
    if (a.observedAt > now || a.collectedAt > now || !rule.matches(a)) continue;
    total++;
    if (newest.length < want) newest.push(a);
    if (watch.has(a.source)) suppliers.add(a.source);
    if (newest.length >= want && suppliers.size === watch.size) return { newest, suppliers };
  }
  return { newest, total, suppliers };
}

export function evaluateRule(rule: Rule, candidates: readonly IndexedArtifact[], latestRun: Map<string, SourceRun>, now: number): RuleResult {
  const failedRuns = [...latestRun.values()].filter((r) => r.status !== 'ok' && rule.sourceTypes.includes(r.sourceType));
  const watch = new Set(failedRuns.map((r) => r.source));
  const want = rule.freshness.type === 'maxAge' ? rule.minCount : Number.POSITIVE_INFINITY;
  const scan = scanMatches(rule, candidates, now, want, watch);
  const base = rule.freshness.type === 'maxAge' ? maxAgeResult(rule, scan, now) : perChangeResult(rule, scan.newest, candidates, now);
  // A failed source matters to this rule if it supplied the rule's evidence before, or if the rule has
  // none at all (the failed source may be where it would come from). A broken folder that never fed a
  // control does not turn that control's healthy evidence into an alarm.
  const failed = failedRuns
    .filter((r) => scan.newest.length === 0 || scan.suppliers.has(r.source))
    .sort((a, b) => a.source.localeCompare(b.source));
  if (failed.length === 0) return base;
  const f = failed[0]!;
  const consequence =
    base.status === 'fresh' || base.status === 'due-soon'
      ? base.dueAt
        ? `; evidence goes stale in ${formatDuration(Date.parse(base.dueAt) - now)} (${day(Date.parse(base.dueAt))})`
        : ''
      : `; evidence is already ${base.status}`;
  const what = f.status === 'partial' ? 'collected with problems' : 'failed';
  return { ...base, status: 'collection-failed', reason: `source "${f.source}" ${what} at ${iso(f.at)}: ${f.error ?? 'unknown error'}${consequence}` };
}

function maxAgeResult(rule: Rule, scan: Scan, now: number): RuleResult {
  const matched = scan.newest;
  if (rule.freshness.type !== 'maxAge') throw new Error('unreachable');
  const { maxAgeMs, graceMs, text } = rule.freshness;
  const newest = matched[0];
  if (!newest) {
    const manual = rule.sourceTypes.includes('manual');
    return {
      rule: rule.id,
      status: 'missing',
      reason: manual
        ? `needs a manual upload${rule.description ? `: ${rule.description}` : ''}`
        : `no evidence matches rule "${rule.id}"${rule.description ? ` (${rule.description})` : ''}`,
      evidence: [],
    };
  }
  const newestInfo = { id: newest.id, observedAt: iso(newest.observedAt) };
  // The record that has to stay fresh is the minCount-th newest; with minCount 1 that is the newest.
  const deciding = matched[rule.minCount - 1];
  if (!deciding) {
    return {
      rule: rule.id,
      status: 'stale',
      reason: `${scan.total ?? matched.length} of ${rule.minCount} required records exist`,
      newest: newestInfo,
      evidence: matched.map((a) => a.id),
    };
  }
  const decidingSet = matched.slice(0, rule.minCount).map((a) => a.id);
  const expiresAt = deciding.observedAt + maxAgeMs;
  const age = now - deciding.observedAt;
  const what = rule.minCount > 1 ? `the ${rule.minCount} newest records` : `newest evidence ${deciding.id}`;
  // Boundary: evidence exactly maxAge old is still fresh (the due date is the last good day).
  if (age <= maxAgeMs) {
    return { rule: rule.id, status: 'fresh', reason: `${what} observed ${day(deciding.observedAt)}, fresh until ${day(expiresAt)} (max age ${text})`, dueAt: iso(expiresAt), newest: newestInfo, evidence: decidingSet };
  }
  if (age <= maxAgeMs + graceMs) {
    const graceEnd = expiresAt + graceMs;
    return { rule: rule.id, status: 'due-soon', reason: `${what} is past its max age of ${text} (observed ${day(deciding.observedAt)}); grace ends ${day(graceEnd)}`, dueAt: iso(graceEnd), newest: newestInfo, evidence: decidingSet };
  }
  return { rule: rule.id, status: 'stale', reason: `${what} is ${formatDuration(age)} old (observed ${day(deciding.observedAt)}); max age ${text}`, dueAt: iso(expiresAt + graceMs), newest: newestInfo, evidence: decidingSet };
}

function perChangeResult(rule: Rule, matched: IndexedArtifact[], candidates: readonly IndexedArtifact[], now: number): RuleResult {
  if (rule.freshness.type !== 'perChange') throw new Error('unreachable');
  const { changes, key, windowMs, graceMs, text } = rule.freshness;
  const keyOf = (a: IndexedArtifact): string | undefined => {
    const v = a.attributes[key];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  };
  const changeArtifacts: IndexedArtifact[] = [];
  for (const a of candidates) {
    if (now - a.observedAt > windowMs) break; // newest first: everything after is older still
    if (a.observedAt <= now && a.collectedAt <= now && changes(a)) changeArtifacts.push(a);
  }
  const firstSeen = new Map<string, IndexedArtifact>();
  for (const c of changeArtifacts) {
    const k = keyOf(c);
    if (k !== undefined) firstSeen.set(k, c); // newest-first order: the last write keeps the earliest record
  }
  const recordsByKey = new Map<string, IndexedArtifact>();
  for (const a of matched) {
    const k = keyOf(a);
    if (k !== undefined && !recordsByKey.has(k)) recordsByKey.set(k, a);
  }
  const newest = matched[0] ? { id: matched[0].id, observedAt: iso(matched[0].observedAt) } : undefined;
  if (firstSeen.size === 0) {
    return { rule: rule.id, status: 'fresh', reason: `no changes in the last ${formatDuration(windowMs)}; nothing needs a record (${text})`, ...(newest ? { newest } : {}), evidence: [] };
  }
  const keys = [...firstSeen.keys()].sort();
  const lacking = keys.filter((k) => !recordsByKey.has(k));
  const evidence = keys.map((k) => recordsByKey.get(k)?.id).filter((x): x is string => x !== undefined);
  if (lacking.length === 0) {
    return { rule: rule.id, status: 'fresh', reason: `all ${keys.length} changes in the last ${formatDuration(windowMs)} have a record (${text})`, ...(newest ? { newest } : {}), evidence };
  }
  const inGrace = lacking.filter((k) => now - firstSeen.get(k)!.observedAt <= graceMs);
  const overdue = lacking.filter((k) => !inGrace.includes(k));
  const list = (ks: string[]) => ks.slice(0, 5).join(', ') + (ks.length > 5 ? ` and ${ks.length - 5} more` : '');
  if (overdue.length === 0) {
    const due = Math.min(...inGrace.map((k) => firstSeen.get(k)!.observedAt + graceMs));
    return { rule: rule.id, status: 'due-soon', reason: `${inGrace.length} change(s) without a record yet, inside grace: ${list(inGrace)}`, dueAt: iso(due), ...(newest ? { newest } : {}), evidence };
  }
  const status = evidence.length === 0 && matched.length === 0 ? 'missing' : 'stale';
  return { rule: rule.id, status, reason: `${overdue.length} of ${keys.length} change(s) have no record: ${list(overdue)}`, ...(newest ? { newest } : {}), evidence };
}
