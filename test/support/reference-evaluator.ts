import type { IndexedArtifact, SourceRun } from '../../mappings/evaluate';

/**
 * A reference evaluator: slow and written straight from docs/mappings.md, for the oracle test
 * (test/unit/evaluate-oracle.test.ts) to hold the optimised one (mappings/evaluate.ts) against. It shares
 * no code with mappings/: rules are plain data (the test writes them to YAML for the real loader), every
 * rule filters and sorts the whole artifact list on its own, and nothing stops early.
 *
 * Covered: max-age rules on events and records (`maxAge`, `grace`, `warnBefore` and its default,
 * `minCount`), selectors as alternatives (`source`, `sourceId`, `kind`, `where` with attribute equality,
 * `ne`, `in` and a folder glob), drafts, file-time-only documents (`unverified`), records not yet observed
 * or collected at `now`, the latest source run per source (failed or partial: `collection-failed`, or named
 * beside usable evidence), several rules per control (the most severe decides; then the earliest DUE; then
 * the rule id), `evidence: design` / `operating` (`design-only`), `informational` rules, unmapped and
 * not-applicable controls. Not covered: per-change rules, configuration snapshots (state rules),
 * `sameVersion`, extend/remove across files, the file-level `warnBefore`, and the causes' wording.
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
}

export type RefStatus =
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

function judgeEvidence(rule: RefRule, artifacts: readonly IndexedArtifact[], now: number): RefRuleResult {
  const matches = artifacts
    .filter((a) => a.observedAt <= now && a.collectedAt <= now && !isDraft(a))
    .filter((a) => rule.select.some((s) => selectorMatches(s, a)))
    .sort(newestFirst);
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
  const base = judgeEvidence(rule, artifacts, now);
  // A source whose last run failed (or was partial) matters when it fed this rule before, or when the rule
  // has no evidence at all. A partial run that still fed the rule leaves its evidence deciding.
  const sourceTypes = new Set(rule.select.map((s) => s.source));
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
    (r) =>
      r.status !== 'ok' && sourceTypes.has(r.sourceType as 'folder') && (base.status === 'missing' || fedBy(r.source)),
  );
  const unusable = broken.filter((r) => !(r.status === 'partial' && fedBy(r.source)));
  return unusable.length > 0 ? { ...base, status: 'collection-failed' } : base;
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
    const design = [...results]
      .filter((r) => evidenceOf(r.rule) === 'design' && ['current', 'due-soon', 'overdue'].includes(r.status))
      .sort(decidingFirst)[0];
    if (
      worst.status === 'missing' &&
      evidenceOf(worst.rule) === 'operating' &&
      design &&
      !results.some((r) => r.status === 'stale' || r.status === 'unverified')
    ) {
      const { dueAt: _unused, ...missing } = worst;
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
