import type { IndexedArtifact, SourceRun } from '../../mappings/evaluate';

/**
 * A reference evaluator: slow and written straight from docs/mappings.md, for the oracle test
 * (test/unit/evaluate-oracle.test.ts) to hold the optimised one (mappings/evaluate.ts) against. It shares
 * no code with mappings/: rules are plain data (the test writes them to YAML for the real loader), every
 * rule filters and sorts the whole artifact list on its own, and nothing stops early.
 *
 * Covered: max-age rules on events and records (`maxAge`, `grace`, `warnBefore` and its default,
 * `minCount`); per-change rules on one key with a differently named record key (`window`, `grace`;
 * `not-exercised`, `not-configured`, a change in its grace `due-soon`, after it `missing`); selectors as
 * alternatives (`source`, `sourceId`, `kind`, `where` with attribute equality, `ne`, `in` and a folder glob);
 * drafts; file-time-only documents (`unverified`); records not yet observed or collected at `now`; the latest
 * source run per source (failed or partial: `collection-failed`, or named beside usable evidence); several
 * rules per control (the most severe decides; then the earliest DUE; then the rule id); `evidence: design` /
 * `operating` (`design-only`); `informational` rules; unmapped and not-applicable controls.
 * Not covered: per-change `from` (late records), composite keys and change selectors with `where`;
 * configuration snapshots (state rules, `exception`); `sameVersion`; extend/remove across files; the file-level
 * `warnBefore`; manual uploads (`needs-upload`); and the causes and their wording (statuses, deciding rule,
 * deciding records, newest record and DUE are compared).
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export interface RefSelector {
  source: 'folder';
  sourceId?: string | undefined;
  kind?: 'document' | undefined;
  /** `where: { frontMatter.type: <type> }` */
  type?: string | undefined;
  /** `where: { frontMatter.type: { ne: <notType> } }`: true when the attribute is missing, too. */
  notType?: string | undefined;
  /** `where: { frontMatter.owner: { in: [...] } }` */
  ownerIn?: readonly string[] | undefined;
  /** `where: { path: { glob: "<under>/**" } }` */
  under?: string | undefined;
}

export interface RefRule {
  id: string;
  controls: readonly string[];
  evidence: 'design' | 'operating';
  informational: boolean;
  select: readonly RefSelector[];
  maxAgeMs: number;
  graceMs: number;
  /** As written; absent: the default window. */
  warnBeforeMs?: number | undefined;
  minCount: number;
  /**
   * Instead of a max age: every MLflow model version (`changes: { source: mlflow, kind: model-version }`)
   * observed in the window needs a record with the same model (`key: model`, `recordKey: frontMatter.system`),
   * within `graceMs` of the version's first observation. maxAgeMs, warnBeforeMs and minCount do not apply.
   */
  perChange?: { windowMs: number } | undefined;
}

/** Where the per-change rules' changes come from. */
export const changeSource = {
  sourceType: 'mlflow',
  kind: 'model-version',
  key: 'model',
  recordKey: 'frontMatter.system',
};

export type RefStatus =
  | 'not-exercised'
  | 'not-configured'
  | 'current'
  | 'due-soon'
  | 'overdue'
  | 'stale'
  | 'missing'
  | 'unverified'
  | 'collection-failed'
  | 'design-only'
  | 'not-applicable';

export interface RefRuleResult {
  rule: string;
  status: RefStatus;
  /** The records that decide: the minCount newest (all of them when too few), none when missing. */
  evidence: string[];
  newest?: string | undefined;
  dueAt?: number | undefined;
  /** A partial source run that still fed the rule is named beside its evidence (the status stands). */
  sourceProblems?: boolean | undefined;
}

export interface RefControlResult {
  control: string;
  status: RefStatus;
  decidingRule?: string | undefined;
  evidence: string[];
  rules: RefRuleResult[];
  informational: RefRuleResult[];
}

const attr = (a: IndexedArtifact, dotted: string): unknown =>
  dotted
    .split('.')
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      a.attributes,
    );

export function selectorMatches(s: RefSelector, a: IndexedArtifact): boolean {
  if (a.sourceType !== s.source) return false;
  if (s.sourceId !== undefined && a.source !== s.sourceId) return false;
  if (s.kind !== undefined && a.kind !== s.kind) return false;
  const type = attr(a, 'frontMatter.type');
  if (s.type !== undefined && type !== s.type) return false;
  if (s.notType !== undefined && type === s.notType) return false;
  if (s.ownerIn !== undefined && !s.ownerIn.includes(attr(a, 'frontMatter.owner') as string)) return false;
  if (s.under !== undefined && !String(attr(a, 'path')).startsWith(`${s.under}/`)) return false;
  return true;
}

/** Documents: `status: draft` never counts; a date from nothing but the file time proves no date. */
const isDraft = (a: IndexedArtifact) => a.attributes['documentStatus'] === 'draft';
const fileTimeOnly = (a: IndexedArtifact) => a.attributes['dateSource'] === 'file-time';

/** The default warning window: 14 days or a quarter of the max age, whichever is smaller. */
export const defaultWarnBefore = (maxAgeMs: number) => Math.min(14 * DAY_MS, Math.floor(maxAgeMs / 4));

/** Newest first; equal dates by id, so the order never depends on the input's. */
const newestFirst = (x: IndexedArtifact, y: IndexedArtifact) =>
  y.observedAt - x.observedAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);

/** The rule's records known at `now`, newest first (drafts never count). */
function recordsOf(rule: RefRule, artifacts: readonly IndexedArtifact[], now: number): IndexedArtifact[] {
  return artifacts
    .filter((a) => a.observedAt <= now && a.collectedAt <= now && !isDraft(a))
    .filter((a) => rule.select.some((s) => selectorMatches(s, a)))
    .sort(newestFirst);
}

/**
 * Per change (docs/mappings.md, "Per change"): each change in the window needs a record with its key. No
 * change: `not-exercised`, or `not-configured` when no source of the changes' type ran and nothing was
 * collected there. A change without a record is `due-soon` inside its grace (DUE: the earliest grace end),
 * `missing` after it.
 */
function judgeChanges(
  rule: RefRule,
  windowMs: number,
  artifacts: readonly IndexedArtifact[],
  runs: readonly SourceRun[],
  now: number,
): RefRuleResult {
  const records = recordsOf(rule, artifacts, now);
  const newest = records[0]?.id;
  const fromChanges = artifacts.filter((a) => a.sourceType === changeSource.sourceType && a.kind === changeSource.kind);
  const firstSeen = new Map<string, number>();
  for (const a of fromChanges) {
    if (a.observedAt > now || a.collectedAt > now || now - a.observedAt > windowMs) continue;
    const k = a.attributes[changeSource.key];
    if (typeof k !== 'string') continue;
    firstSeen.set(k, Math.min(firstSeen.get(k) ?? Infinity, a.observedAt));
  }
  if (firstSeen.size === 0) {
    const ran = latestRuns(runs, now).some((r) => r.sourceType === changeSource.sourceType);
    const collected = fromChanges.some((a) => a.collectedAt <= now);
    return { rule: rule.id, status: ran || collected ? 'not-exercised' : 'not-configured', evidence: [], newest };
  }
  const recordOf = new Map<string, string>();
  for (const r of records) {
    const k = attr(r, changeSource.recordKey);
    if (typeof k === 'string' && firstSeen.has(k) && !recordOf.has(k)) recordOf.set(k, r.id);
  }
  const evidence = [...recordOf.values()];
  const lacking = [...firstSeen.keys()].filter((k) => !recordOf.has(k));
  if (lacking.length === 0) return { rule: rule.id, status: 'current', evidence, newest };
  const graceEnds = lacking.map((k) => firstSeen.get(k)! + rule.graceMs);
  if (graceEnds.every((end) => now <= end))
    return { rule: rule.id, status: 'due-soon', evidence, newest, dueAt: Math.min(...graceEnds) };
  return { rule: rule.id, status: 'missing', evidence, newest };
}

function judgeEvidence(rule: RefRule, artifacts: readonly IndexedArtifact[], now: number): RefRuleResult {
  const matches = recordsOf(rule, artifacts, now);
  if (matches.length === 0) return { rule: rule.id, status: 'missing', evidence: [] };
  const newest = matches[0]!.id;
  if (matches.length < rule.minCount)
    return { rule: rule.id, status: 'stale', evidence: matches.map((a) => a.id), newest };
  const decidingSet = matches.slice(0, rule.minCount);
  const evidence = decidingSet.map((a) => a.id);
  if (decidingSet.some(fileTimeOnly)) return { rule: rule.id, status: 'unverified', evidence, newest };
  const deciding = decidingSet[rule.minCount - 1]!;
  const age = now - deciding.observedAt;
  const dueAt = deciding.observedAt + rule.maxAgeMs + rule.graceMs;
  const warn = rule.warnBeforeMs ?? defaultWarnBefore(rule.maxAgeMs);
  let status: RefStatus;
  if (age <= rule.maxAgeMs) status = rule.maxAgeMs - age < warn ? 'due-soon' : 'current';
  else if (age <= rule.maxAgeMs + rule.graceMs) status = 'overdue';
  else status = 'stale';
  return { rule: rule.id, status, evidence, newest, dueAt };
}

const severity: Record<RefStatus, number> = {
  'not-configured': 4,
  'not-exercised': 2,
  'collection-failed': 9,
  missing: 8,
  stale: 7,
  unverified: 6,
  'design-only': 5,
  overdue: 3,
  'due-soon': 1.5,
  current: 1,
  'not-applicable': 0,
};

/** The most severe first; then the one whose DUE comes first (none last); then by rule id. */
const decidingFirst = (a: RefRuleResult, b: RefRuleResult) =>
  severity[b.status] - severity[a.status] ||
  (a.dueAt ?? Infinity) - (b.dueAt ?? Infinity) ||
  (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);

/** Each source's last run known at `now`; of two at the same instant, the worse. */
function latestRuns(runs: readonly SourceRun[], now: number): SourceRun[] {
  const rank = { ok: 0, partial: 1, failed: 2 };
  const out: SourceRun[] = [];
  for (const source of new Set(runs.map((r) => r.source))) {
    const known = runs.filter((r) => r.source === source && r.at <= now);
    if (known.length === 0) continue;
    known.sort((x, y) => y.at - x.at || rank[y.status] - rank[x.status]);
    out.push(known[0]!);
  }
  return out;
}

export function referenceRule(
  rule: RefRule,
  artifacts: readonly IndexedArtifact[],
  runs: readonly SourceRun[],
  now: number,
): RefRuleResult {
  const base = rule.perChange
    ? judgeChanges(rule, rule.perChange.windowMs, artifacts, runs, now)
    : judgeEvidence(rule, artifacts, now);
  // A source whose last run failed (or was partial) matters when it fed this rule before, or when the rule
  // has no evidence at all (a per-change rule's changes' source included). A partial run that still fed the
  // rule leaves its evidence deciding and is named beside it.
  const sourceTypes = new Set<string>(rule.select.map((s) => s.source));
  if (rule.perChange) sourceTypes.add(changeSource.sourceType);
  const noRecords = recordsOf(rule, artifacts, now).length === 0;
  const fedBy = (source: string) =>
    artifacts.some(
      (a) =>
        a.source === source &&
        a.observedAt <= now &&
        a.collectedAt <= now &&
        !isDraft(a) &&
        rule.select.some((s) => selectorMatches(s, a)),
    );
  const broken = latestRuns(runs, now).filter(
    (r) => r.status !== 'ok' && sourceTypes.has(r.sourceType) && (noRecords || fedBy(r.source)),
  );
  const unusable = broken.filter((r) => !(r.status === 'partial' && fedBy(r.source)));
  if (unusable.length > 0) return { ...base, status: 'collection-failed' };
  return broken.length > 0 ? { ...base, sourceProblems: true } : base;
}

export interface RefWorld {
  controls: readonly string[];
  rules: readonly RefRule[];
  artifacts: readonly IndexedArtifact[];
  runs: readonly SourceRun[];
  notApplicable: readonly string[];
  now: number;
}

export function referenceEvaluate(world: RefWorld): RefControlResult[] {
  const { now } = world;
  return world.controls.map((control): RefControlResult => {
    if (world.notApplicable.includes(control))
      return { control, status: 'not-applicable', evidence: [], rules: [], informational: [] };
    const mapped = world.rules.filter((r) => r.controls.includes(control));
    const informational = mapped
      .filter((r) => r.informational)
      .map((r) => referenceRule(r, world.artifacts, world.runs, now));
    const rules = mapped.filter((r) => !r.informational);
    if (rules.length === 0) return { control, status: 'missing', evidence: [], rules: [], informational };
    let results = rules.map((r) => referenceRule(r, world.artifacts, world.runs, now));
    const evidenceOf = (id: string) => rules.find((r) => r.id === id)!.evidence;
    let worst = [...results].sort(decidingFirst)[0]!;
    // Design vs operating: the deciding operating rule has no record, a design rule's evidence is current
    // (or in its grace), and no other rule is stale or unverified: designed, not shown to operate.
    // The design rule that would decide must have a record to show (a per-change rule due soon may have none),
    // and a partial source named beside the missing operating evidence keeps it missing.
    const design = [...results]
      .filter((r) => evidenceOf(r.rule) === 'design' && ['current', 'due-soon', 'overdue'].includes(r.status))
      .sort(decidingFirst)[0];
    if (
      worst.status === 'missing' &&
      !worst.sourceProblems &&
      evidenceOf(worst.rule) === 'operating' &&
      design?.newest !== undefined &&
      !results.some((r) => r.status === 'stale' || r.status === 'unverified')
    ) {
      const { dueAt: _unused, sourceProblems: _none, ...missing } = worst;
      const designOnly: RefRuleResult = {
        ...missing,
        status: 'design-only',
        evidence: design.evidence,
        newest: design.newest,
      };
      results = results.map((r) => (r.rule === worst.rule ? designOnly : r));
      worst = designOnly;
    }
    return {
      control,
      status: worst.status,
      decidingRule: worst.rule,
      evidence: [...new Set(results.flatMap((r) => r.evidence))].sort(),
      rules: results,
      informational,
    };
  });
}
