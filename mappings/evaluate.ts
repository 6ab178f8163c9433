import type { CatalogName, Control } from './catalog';
import type { ControlCause, FailedSource, FailureConsequence, RuleCause, ScopeMismatch } from './causes';
import type { MappingSet, NotApplicable, Rule } from './load';
import { controlReason, ruleReason } from './reasons';
import type { IndexedArtifact } from './indexed-artifact';
import { explainMismatch, type GroupTest, type MatcherContext } from './select';
import { ArtifactBuckets } from './buckets';
import { unmatchedCause } from './unmatched';
import { ChangeSets, perChangeResult, type Judgement } from './per-change';
import { fileTimeOnly, isDraft } from './documents';
import { dateKindOf, decidingDateKind } from './date-kind';
import { systemsAt, type SystemAt } from './ai-systems';
import { perSystemResult } from './per-system';

export type { ControlCause, RuleCause } from './causes';

import type { ControlStatus } from './statuses';

export { statuses, type ControlStatus } from './statuses';

export type { IndexedArtifact } from './indexed-artifact';

/** The outcome of one source in one sweep. */
export interface SourceRun {
  source: string;
  sourceType: string;
  at: number;
  /** partial: collected, but with problems; its evidence counts, its controls are flagged. */
  status: 'ok' | 'partial' | 'failed';
  error?: string;
  /** A failed run's error class (CredentialsError, RateLimitError ...): what to do next is decided from it. */
  errorType?: string;
}

export interface EvaluationInput {
  /** Any order. Pass `ArtifactBuckets.of(artifacts)` when evaluating the same artifacts more than once. */
  artifacts: readonly IndexedArtifact[] | ArtifactBuckets;
  sourceRuns: readonly SourceRun[];
  mappings: MappingSet;
  notApplicable: readonly NotApplicable[];
  now: Date;
  /** Which catalog's controls to judge: Annex A (default) or the management-system clauses. */
  catalog?: CatalogName | undefined;
}

export interface RuleResult {
  rule: string;
  status: Exclude<ControlStatus, 'not-applicable'>;
  /** Why, as data: read facts from here. */
  cause: RuleCause;
  /** The cause as one English sentence (reasons.ts), for people; never parsed. */
  reason: string;
  /**
   * When the rule's evidence goes stale (current, due soon or overdue) or went stale (stale): the deciding
   * record's observedAt + max age + grace, or a change's first record + grace. Absent when nothing can
   * go stale (missing, no open change). The one meaning of DUE everywhere (docs/mappings.md).
   */
  dueAt?: string;
  newest?: { id: string; observedAt: string };
  /** Artifact ids that decided the status. */
  evidence: string[];
}

export interface ControlResult {
  control: Pick<Control, 'id' | 'title' | 'group' | 'groupTitle'>;
  status: ControlStatus;
  /** Why, as data: read facts from here. */
  cause: ControlCause;
  /** The cause as one English sentence (reasons.ts), for people; never parsed. */
  reason: string;
  /** The rule whose result is the control's (absent when no rule decides: unmapped, not applicable). */
  decidingRule?: string;
  /** The deciding rule's `dueAt` (same meaning): never another rule's date. */
  dueAt?: string;
  /** The deciding rule's newest record. */
  newest?: { id: string; observedAt: string };
  evidence: string[];
  rules: RuleResult[];
  /**
   * Results of the control's informational rules (schema.ts `informational`): shown with the control,
   * never part of its status, reason, DUE or evidence. Absent when the control has none.
   */
  informational?: RuleResult[];
}

/** Worst first: the control shows the most urgent of its rules. */
const severity: Record<RuleResult['status'], number> = {
  exception: 10,
  'collection-failed': 9,
  missing: 8,
  stale: 7,
  unverified: 6,
  'design-only': 5,
  'not-configured': 4,
  overdue: 3,
  'not-exercised': 2,
  'due-soon': 1.5,
  current: 1,
};

/**
 * Pure: the same input gives the same output, whatever the order of artifacts or runs. Nothing here
 * calls out: collection is done before, and only its records are judged (Auditree's fetch/check split).
 */
export function evaluate(input: EvaluationInput): ControlResult[] {
  const now = input.now.getTime();
  const buckets = input.artifacts instanceof ArtifactBuckets ? input.artifacts : ArtifactBuckets.of(input.artifacts);
  const latestRun = latestRuns(input.sourceRuns, now);
  const na = new Map(input.notApplicable.map((n) => [n.control, n.justification]));
  const soaOf = new Map(input.notApplicable.map((n) => [n.control, n.soa]));
  const rulesByControl = new Map<string, Rule[]>();
  for (const rule of input.mappings.rules) {
    for (const c of rule.controls) rulesByControl.set(c, [...(rulesByControl.get(c) ?? []), rule]);
  }
  const controls = input.catalog === 'clauses' ? input.mappings.clauses.controls : input.mappings.catalog.controls;
  const ruleResults = evaluateRules(
    rulesInUse(controls, rulesByControl, na),
    input.mappings.matchers,
    buckets,
    latestRun,
    now,
    input.mappings.aiSystems ? systemsAt(input.mappings.aiSystems, buckets, now) : undefined,
  );

  return controls.map((c): ControlResult => {
    const control = { id: c.id, title: c.title, group: c.group, groupTitle: c.groupTitle };
    const justification = na.get(c.id);
    if (justification !== undefined) {
      const cause: ControlCause = { kind: 'not-applicable', justification, soa: soaOf.get(c.id) ?? {} };
      return { control, status: 'not-applicable', cause, reason: controlReason(cause), evidence: [], rules: [] };
    }
    const mapped = rulesByControl.get(c.id) ?? [];
    const signals = mapped.filter((r) => r.informational).map((r) => ruleResults.get(r.id)!);
    const informational = signals.length > 0 ? { informational: signals } : {};
    // Informational rules never decide: a control with nothing else is as unmapped as one with no rule.
    const rules = mapped.filter((r) => !r.informational);
    if (rules.length === 0) {
      const cause: ControlCause = { kind: 'unmapped' };
      return {
        control,
        status: 'missing',
        cause,
        reason: controlReason(cause),
        evidence: [],
        rules: [],
        ...informational,
      };
    }
    let results = rules.map((r) => ruleResults.get(r.id)!);
    const design = designOnly(rules, results);
    // The operating rule reads design-only on this control's page too, so the deciding rule's row agrees.
    if (design) results = results.map((r) => (r.rule === design.rule ? design : r));
    const worst = design ?? [...results].sort(decidingFirst)[0]!;
    const cause: ControlCause = { kind: 'rule', rule: worst.rule, rules: results.length, cause: worst.cause };
    // Status, reason and dates all come from the one deciding rule: a missing control never shows a
    // healthy rule's due date or newest record.
    return {
      control,
      status: worst.status,
      cause,
      reason: controlReason(cause),
      decidingRule: worst.rule,
      ...(worst.dueAt ? { dueAt: worst.dueAt } : {}),
      ...(worst.newest ? { newest: worst.newest } : {}),
      evidence: [...new Set(results.flatMap((r) => r.evidence))].sort(),
      rules: results,
      ...informational,
    };
  });
}

/**
 * Design vs operating: when the control's deciding rule asks for operating evidence and has none (missing),
 * while a design rule of the control is current, the control is `design-only`: designed, not shown to
 * operate. A control whose operating evidence exists but is stale, or failed to collect, keeps that status.
 */
function designOnly(rules: readonly Rule[], results: readonly RuleResult[]): RuleResult | undefined {
  const worst = [...results].sort(decidingFirst)[0]!;
  if (worst.status !== 'missing' || worst.cause.kind === 'collection-failed') return undefined;
  const byId = new Map(rules.map((r) => [r.id, r]));
  if (byId.get(worst.rule)?.evidence !== 'operating') return undefined;
  const design = results
    .filter((r) => byId.get(r.rule)?.evidence === 'design' && (isCurrent(r.status) || r.status === 'overdue'))
    .sort(decidingFirst)[0];
  if (!design?.newest || worst.cause.kind === 'source-problems') return undefined;
  // Any other rule that is worse than design-only still decides.
  if (results.some((r) => r !== worst && r.status !== 'missing' && severity[r.status] > severity['design-only']))
    return undefined;
  return withReason({
    ...worst,
    status: 'design-only',
    cause: {
      kind: 'design-only',
      designRule: design.rule,
      design: { ...design.newest, dateKind: decidingDateKind(design.cause) },
      operatingRule: worst.rule,
      operating: worst.cause,
    },
    newest: design.newest,
    evidence: design.evidence,
  });
}

/** The evidence is current: inside its max age (`current`, or `due-soon` inside the warning window). */
export function isCurrent(status: ControlStatus): boolean {
  return status === 'current' || status === 'due-soon';
}

/**
 * The rule that decides a control: the most severe; among equals the one that goes (went) stale first,
 * since the control's DUE is its date; then by id, so the answer never depends on rule order.
 */
function decidingFirst(a: RuleResult, b: RuleResult): number {
  return (
    severity[b.status] - severity[a.status] ||
    (a.dueAt ?? '\uffff').localeCompare(b.dueAt ?? '\uffff') ||
    a.rule.localeCompare(b.rule)
  );
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

/** The rules some applicable control needs, each once (a rule may serve several controls). */
function rulesInUse(
  controls: readonly Pick<Control, 'id'>[],
  rulesByControl: Map<string, Rule[]>,
  na: Map<string, string>,
): Rule[] {
  const byId = new Map<string, Rule>();
  for (const c of controls) {
    if (na.has(c.id)) continue;
    for (const r of rulesByControl.get(c.id) ?? []) byId.set(r.id, r);
  }
  return [...byId.values()];
}

/**
 * Every rule's result. Rules reading the same buckets share one newest-first pass: each artifact meets
 * every rule in turn, so the rules' shared literal pre-filter looks at its path once (see select.ts), and
 * the pass ends as soon as the last of its rules has decided.
 */
function evaluateRules(
  rules: readonly Rule[],
  matchers: MatcherContext,
  buckets: ArtifactBuckets,
  latestRun: Map<string, SourceRun>,
  now: number,
  systems: readonly SystemAt[] | undefined,
): Map<string, RuleResult> {
  const groups = new Map<string, Rule[]>();
  for (const r of rules) {
    const key = ArtifactBuckets.keyOf(r.scopes);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const results = new Map<string, RuleResult>();
  /** Each max-age rule's deciding record, for `sameVersion` checks across rules. */
  const deciding = new Map<string, IndexedArtifact>();
  const changeSets = new ChangeSets(buckets, now);
  // Source types with a run known at `now`: their per-change rules are configured, even when quiet.
  const configuredTypes = new Set([...latestRun.values()].map((r) => r.sourceType));
  for (const [key, all] of groups) {
    const candidates = buckets.candidatesFor(key);
    // Rules on configuration snapshots walk their (small) buckets on their own: latest per subject.
    for (const r of all) {
      if (r.state && r.freshness.type === 'maxAge') results.set(r.id, stateRuleResult(r, candidates, latestRun, now));
    }
    const group = all.filter((r) => !(r.state && r.freshness.type === 'maxAge'));
    if (group.length === 0) continue;
    const scans = group.map((r) => newScan(r, latestRun, systems !== undefined && r.perSystem !== undefined));
    const test = matchers.group(
      group.map((r) => r.id).join('\u0000'),
      group.map((r) => r.selectors),
    );
    scanMatches(scans, test, candidates, now);
    for (const scan of scans) {
      results.set(scan.rule.id, ruleResult(scan, candidates, changeSets, configuredTypes, now, systems));
      const decidingRecord = scan.rule.freshness.type === 'maxAge' ? scan.newest[scan.rule.minCount - 1] : undefined;
      if (decidingRecord) deciding.set(scan.rule.id, decidingRecord);
    }
  }
  for (const r of rules) {
    const checked = r.sameVersion && versionCheck(r, results.get(r.id)!, deciding);
    if (checked) results.set(r.id, checked);
  }
  return results;
}

/** An attribute by dotted path, as text (numbers too: YAML reads `version: 1.2` as a number). */
function attributeText(a: IndexedArtifact, dotted: string): string | undefined {
  let v: unknown = a.attributes;
  for (const k of dotted.split('.'))
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/**
 * `sameVersion`: a current (current, due-soon or overdue) rule whose deciding record names another version than the
 * other rule's deciding record is stale. Without a current version to compare with, nothing is said.
 */
function versionCheck(rule: Rule, result: RuleResult, deciding: Map<string, IndexedArtifact>): RuleResult | undefined {
  const same = rule.sameVersion!;
  const record = deciding.get(rule.id);
  const currentRecord = deciding.get(same.rule);
  if (!record || !currentRecord || !(isCurrent(result.status) || result.status === 'overdue')) return undefined;
  const current = attributeText(currentRecord, same.of);
  if (current === undefined) return undefined;
  const version = attributeText(record, same.attribute);
  if (version === current) return undefined;
  return withReason({
    ...result,
    status: 'stale',
    cause: {
      kind: 'version-mismatch',
      record: { id: record.id, observedAt: iso(record.observedAt), ...(version !== undefined ? { version } : {}) },
      current: { rule: same.rule, id: currentRecord.id, version: current },
    },
    evidence: [...new Set([...result.evidence, currentRecord.id])].sort(),
  });
}

interface Scan {
  rule: Rule;
  /** How many of the newest matches decide the rule: minCount, or all of them for per-change. */
  want: number;
  /** Sources that failed or were partial in their last run and feed this rule's source types. */
  failedRuns: SourceRun[];
  watch: Set<string>;
  /** Up to `want` newest matching artifacts known at `now`. */
  newest: IndexedArtifact[];
  /** Matches seen; the whole count only when the scan ran to the end (fewer than `want` exist). */
  total: number;
  /** Sources among `watch` that supplied at least one match. */
  suppliers: Set<string>;
}

/** `everyMatch`: a per-system rule reads every match, since each system's newest records decide it. */
function newScan(rule: Rule, latestRun: Map<string, SourceRun>, everyMatch = false): Scan {
  const failedRuns = [...latestRun.values()].filter(
    (r) => r.status !== 'ok' && rule.sourceTypes.includes(r.sourceType),
  );
  return {
    rule,
    want: rule.freshness.type === 'maxAge' && !everyMatch ? rule.minCount : Number.POSITIVE_INFINITY,
    failedRuns,
    watch: new Set(failedRuns.map((r) => r.source)),
    newest: [],
    total: 0,
    suppliers: new Set(),
  };
}

/**
 * One newest-first pass for several rules. A rule drops out once it has its `want` newest matches and
 * has seen every watched (failed) source among its suppliers: most rules decide on their first few
 * records, and the pass ends when every rule has.
 */
function scanMatches(scans: Scan[], test: GroupTest, candidates: readonly IndexedArtifact[], now: number): void {
  const active = new Uint8Array(scans.length).fill(1);
  const hits = new Uint8Array(scans.length);
  let remaining = scans.length;
  for (let i = 0; i < candidates.length && remaining > 0; i++) {
    const a = candidates[i]!;
    if (a.observedAt > now || a.collectedAt > now || isDraft(a) || test(a, active, hits) === 0) continue;
    for (let j = 0; j < scans.length; j++) {
      if (hits[j] === 0) continue;
      hits[j] = 0;
      const s = scans[j]!;
      s.total++;
      if (s.newest.length < s.want) s.newest.push(a);
      if (s.watch.size > 0 && s.watch.has(a.source)) s.suppliers.add(a.source);
      if (s.newest.length >= s.want && s.suppliers.size === s.watch.size) {
        active[j] = 0;
        remaining--;
      }
    }
  }
}

function withReason<C extends RuleCause>(j: Omit<RuleResult, 'reason' | 'cause'> & { cause: C }): RuleResult {
  return { ...j, reason: ruleReason(j.cause) };
}

function ruleResult(
  scan: Scan,
  candidates: readonly IndexedArtifact[],
  changeSets: ChangeSets,
  configuredTypes: ReadonlySet<string>,
  now: number,
  systems: readonly SystemAt[] | undefined,
): RuleResult {
  const { rule } = scan;
  const { perSystem } = rule;
  const base =
    rule.freshness.type === 'maxAge' && perSystem && systems
      ? perSystemResult(
          { id: rule.id, text: rule.freshness.text },
          perSystem.nameOf,
          scan.newest,
          systems,
          // Each system is judged like the rule without an inventory, on that system's records alone.
          (records) =>
            maxAgeResult(
              rule,
              { ...scan, newest: records.slice(0, rule.minCount), total: records.length },
              candidates,
              now,
            ),
          now,
        )
      : rule.freshness.type === 'maxAge'
        ? maxAgeResult(rule, scan, candidates, now)
        : perChangeResult(
            rule,
            scan.newest,
            changeSets.of(rule.freshness),
            rule.freshness.changeSources.some((t) => configuredTypes.has(t)),
            now,
          );
  return withFailures(scan, base, now);
}

/**
 * Latest per subject: every subject's newest snapshot (known at `now`) decides. One that fails the rule
 * is an exception at once; otherwise the oldest of the subjects' newest snapshots must be within max age
 * (a snapshot that is no longer collected ages like any record). Events in the same rule count as usual.
 */
function stateRuleResult(
  rule: Rule,
  candidates: readonly IndexedArtifact[],
  latestRun: Map<string, SourceRun>,
  now: number,
): RuleResult {
  const state = rule.state!;
  const scan = newScan(rule, latestRun);
  const seen = new Set<string>();
  const current: IndexedArtifact[] = [];
  const broken: IndexedArtifact[] = [];
  // Subjects with no snapshot inside max age + grace are taken as retired (an archived repository) once
  // some subject has a newer one: the walk stops there, so it reads one window of snapshots, not history.
  const horizon = rule.freshness.type === 'maxAge' ? now - rule.freshness.maxAgeMs - rule.freshness.graceMs : -Infinity;
  for (const a of candidates) {
    if (a.observedAt < horizon && current.length + broken.length > 0) break;
    if (a.observedAt > now || a.collectedAt > now || isDraft(a)) continue;
    const subject = state.inScope(a) ? state.subjectOf(a) : undefined;
    if (subject !== undefined) {
      if (seen.has(subject)) continue; // an older snapshot of a subject already decided
      seen.add(subject);
      if (rule.matches(a)) current.push(a);
      else broken.push(a);
      if (scan.watch.has(a.source)) scan.suppliers.add(a.source);
    } else if (rule.matches(a)) {
      current.push(a);
      if (scan.watch.has(a.source)) scan.suppliers.add(a.source);
    }
  }
  if (broken.length > 0) {
    const subjects: ScopeMismatch[] = broken.map((a) => ({
      scope: state.describe(a),
      record: { id: a.id, observedAt: iso(a.observedAt), dateKind: dateKindOf(a) },
      mismatches: state.selectors
        .filter((s) => s.source === a.sourceType && (s.kind === undefined || s.kind === a.kind) && s.where)
        .flatMap((s) => explainMismatch(s.where!, a.attributes)),
    }));
    const newest = broken[0]!;
    return withFailures(
      scan,
      {
        rule: rule.id,
        status: 'exception',
        cause: {
          kind: 'state-exception',
          rule: rule.id,
          ...(rule.description ? { description: rule.description } : {}),
          subjects,
        },
        newest: { id: newest.id, observedAt: iso(newest.observedAt) },
        evidence: broken.map((a) => a.id),
      },
      now,
    );
  }
  // The oldest current snapshot first: every subject must be current, so it decides.
  scan.newest = current.length > 0 ? [current[current.length - 1]!, ...current.slice(0, -1)] : [];
  scan.total = current.length;
  return withFailures(scan, maxAgeResult({ ...rule, minCount: 1 }, scan, candidates, now), now);
}

function withFailures(scan: Scan, base: Judgement, now: number): RuleResult {
  // A failed source matters to this rule if it supplied the rule's evidence before, or if the rule has
  // none at all (the failed source may be where it would come from). A broken folder that never fed a
  // control does not turn that control's healthy evidence into an alarm.
  const flagged = scan.failedRuns
    .filter((r) => scan.newest.length === 0 || scan.suppliers.has(r.source))
    .sort((a, b) => a.source.localeCompare(b.source));
  // A partial run that still supplied this rule's evidence does not hide it: the good files decide and
  // the problem is named. Only a source that yielded nothing usable for the rule makes it collection-failed.
  const usable = (r: SourceRun) => r.status === 'partial' && scan.suppliers.has(r.source);
  const failed = flagged.filter((r) => !usable(r));
  const withProblems = flagged.filter(usable);
  // A known exception stays one when a source also failed: the failure is named beside it.
  if (base.status === 'exception') withProblems.push(...failed.splice(0));
  if (failed.length === 0) {
    if (withProblems.length === 0) return withReason(base);
    return withReason({
      ...base,
      cause: { kind: 'source-problems', sources: withProblems.map(failedSource), evidence: base.cause },
    });
  }
  const sources = failed.map(failedSource);
  const consequence: FailureConsequence =
    base.status === 'current' ||
    base.status === 'due-soon' ||
    base.status === 'overdue' ||
    base.status === 'not-exercised'
      ? base.dueAt
        ? { kind: 'goes-stale', at: base.dueAt, inMs: Date.parse(base.dueAt) - now }
        : { kind: 'no-due-date' }
      : { kind: 'already', status: base.status };
  return withReason({
    ...base,
    status: 'collection-failed',
    cause: {
      kind: 'collection-failed',
      sources,
      ...sources[0]!,
      consequence,
      evidence: base.cause,
    },
  });
}

function failedSource(r: SourceRun): FailedSource {
  return {
    source: r.source,
    sourceType: r.sourceType,
    outcome: r.status === 'partial' ? 'partial' : 'failed',
    at: iso(r.at),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.errorType !== undefined ? { errorType: r.errorType } : {}),
  };
}

function maxAgeResult(rule: Rule, scan: Scan, candidates: readonly IndexedArtifact[], now: number): Judgement {
  const matched = scan.newest;
  if (rule.freshness.type !== 'maxAge') throw new Error('unreachable');
  const { maxAgeMs, graceMs, warnBeforeMs, warnBeforeText, text } = rule.freshness;
  const newest = matched[0];
  if (!newest) {
    const description = rule.description ? { description: rule.description } : {};
    return {
      rule: rule.id,
      status: 'missing',
      cause: rule.sourceTypes.includes('manual')
        ? { kind: 'needs-upload', rule: rule.id, ...description, uploadTopics: [...rule.uploadTopics] }
        : unmatchedCause(rule, candidates, now),
      evidence: [],
    };
  }
  const newestInfo = { id: newest.id, observedAt: iso(newest.observedAt) };
  // The record that has to stay current is the minCount-th newest; with minCount 1 that is the newest.
  const deciding = matched[rule.minCount - 1];
  if (!deciding) {
    return {
      rule: rule.id,
      status: 'stale',
      cause: { kind: 'too-few', found: scan.total, required: rule.minCount },
      newest: newestInfo,
      evidence: matched.map((a) => a.id),
    };
  }
  const decidingSet = matched.slice(0, rule.minCount).map((a) => a.id);
  const expiresAt = deciding.observedAt + maxAgeMs;
  // DUE: the instant the status turns stale, the same for current, due-soon, overdue and stale evidence.
  const staleAt = iso(expiresAt + graceMs);
  const age = now - deciding.observedAt;
  const record = {
    id: deciding.id,
    observedAt: iso(deciding.observedAt),
    count: rule.minCount,
    dateKind: dateKindOf(deciding),
  };
  const maxAge = { ms: maxAgeMs, text };
  // A deciding document dated only by its file time proves no date: unverified, whatever its age.
  const undated = matched.slice(0, rule.minCount).find(fileTimeOnly);
  if (undated) {
    return {
      rule: rule.id,
      status: 'unverified',
      cause: {
        kind: 'undated',
        record: { id: undated.id, observedAt: iso(undated.observedAt), dateKind: dateKindOf(undated) },
        maxAge,
      },
      newest: newestInfo,
      evidence: decidingSet,
    };
  }
  // Boundary: evidence exactly maxAge old is still current (the end of its max age is the last good day).
  // The warning window is the last `warnBefore` of the max age: a new record is due at its end.
  if (age <= maxAgeMs) {
    const dueSoon = expiresAt - now < warnBeforeMs;
    return {
      rule: rule.id,
      status: dueSoon ? 'due-soon' : 'current',
      cause: dueSoon
        ? {
            kind: 'due-soon',
            deciding: record,
            maxAge,
            warnBefore: { ms: warnBeforeMs, text: warnBeforeText },
            currentUntil: iso(expiresAt),
            staleAt,
          }
        : { kind: 'current', deciding: record, maxAge, currentUntil: iso(expiresAt) },
      dueAt: staleAt,
      newest: newestInfo,
      evidence: decidingSet,
    };
  }
  if (age <= maxAgeMs + graceMs) {
    return {
      rule: rule.id,
      status: 'overdue',
      cause: { kind: 'in-grace', deciding: record, maxAge, graceEndsAt: staleAt },
      dueAt: staleAt,
      newest: newestInfo,
      evidence: decidingSet,
    };
  }
  return {
    rule: rule.id,
    status: 'stale',
    cause: { kind: 'too-old', deciding: record, maxAge, ageMs: age },
    dueAt: staleAt,
    newest: newestInfo,
    evidence: decidingSet,
  };
}
