import { readdirSync } from 'node:fs';
import path from 'node:path';
import { closestIds, loadCatalog, loadClauseCatalog, type Catalog } from './catalog';
import { dataPath } from '../core/data-files';
import { canonicalJson, sha256Hex } from '../core/digest';
import { parseDuration } from '../core/duration';
import { checkWarnBefore, warnBeforeOf } from './warn-before';
import { mappingFileSchema, soaFileSchema, type Predicate, type RawRule, type Selector, type Where } from './schema';
import type { Scope } from './buckets';
import type { SoaApproval } from './causes';
import { compileSelectors, MatcherContext, type ArtifactTest, type SelectableArtifact } from './select';
import { uploadTopics } from './upload-topics';
import type { MappingVocabulary } from './vocabulary';
import { InputError, YamlSource, type FileProblem } from '../core/yaml-source';
import type { AiSystemInventory } from './ai-systems';
import { checkPerSystem } from './per-system-check';
import { systemNamer, type SystemNamer } from './system-namer';

export type Freshness =
  | {
      type: 'maxAge';
      maxAgeMs: number;
      graceMs: number;
      /** The warning window before the max age ends (`due-soon` inside it), and as written (or defaulted). */
      warnBeforeMs: number;
      warnBeforeText: string;
      text: string;
    }
  | {
      type: 'perChange';
      changes: ArtifactTest;
      /** The buckets changes come from, and their identity: rules with the same changes share one scan. */
      changeScopes: Scope[];
      changesKey: string;
      changeSources: string[];
      /** Attributes whose values, joined, identify a change and its record. */
      key: string[];
      /** The record's attributes for the same values, when named differently (dotted paths). */
      recordKey: string[];
      /** The change's start time attribute, when the rule names one. */
      from?: string;
      /** The change's due date attribute, when the rule names one (schema.ts `perChange.due`). */
      due?: string;
      windowMs: number;
      graceMs: number;
      text: string;
    };

/**
 * How a rule reads configuration snapshots (kinds the connector declares as state, vocabulary.ts): only
 * the newest snapshot of each subject decides, and one that fails the rule is an exception.
 */
export interface StateReading {
  /** The snapshot's subject (source, kind and subject attributes), or undefined for an event or record. */
  subjectOf(a: SelectableArtifact): string | undefined;
  /** Whether a snapshot is one this rule judges (a state selector's type, kind and source id). */
  inScope(a: SelectableArtifact): boolean;
  /** The subject in words: "github branch-protection acme/app main (source gh)". */
  describe(a: SelectableArtifact): string;
  /** The state selectors, to explain why a snapshot fails. */
  selectors: readonly Selector[];
}

/** A rule ready to evaluate: selectors compiled, durations in milliseconds, origin kept for messages. */
export interface Rule {
  id: string;
  description?: string;
  controls: string[];
  evidence: 'design' | 'operating';
  /** Shown on the control, never deciding its status (schema.ts `informational`). */
  informational: boolean;
  matches: ArtifactTest;
  /** The selectors `matches` was compiled from, for tests that evaluate many rules at once. */
  selectors: readonly Selector[];
  /** Topics of manual records the rule reads by name (empty when it reads none). */
  uploadTopics: readonly string[];
  /** Source types the rule reads from; used to tell which controls a failed source affects. */
  sourceTypes: string[];
  /** (source type, kind) pairs the rule's records can come from; kind undefined = every kind of that type. */
  scopes: Scope[];
  freshness: Freshness;
  minCount: number;
  /** The deciding record names a version of another rule's deciding record (schema.ts `sameVersion`). */
  sameVersion?: { rule: string; attribute: string; of: string };
  /** The heading under which `readiness` lists this rule's records in the observation window. */
  sinceLastAudit?: 'nonconformities' | 'complaints' | 'changes';
  /** `per: aiSystem`: how a record names its AI system (per-system.ts); applies when an inventory is loaded. */
  perSystem?: { nameOf: SystemNamer };
  /** Present when the rule reads configuration snapshots: latest per subject decides. */
  state?: StateReading;
  origin: { file: string; line: number };
}

export interface MappingSet {
  /** The Annex A catalog: the controls of the SoA, OSCAL and the alerts. */
  catalog: Catalog;
  /** The management-system clauses (catalog.ts): rules may target them like controls. */
  clauses: Catalog;
  rules: Rule[];
  /** sha256 over the merged rules as written; recorded in every bundle manifest. */
  digest: string;
  files: string[];
  /** What the rules' compiled tests share (literal pre-filters, group tests). */
  matchers: MatcherContext;
  /** The AI system inventory (`aiSystems:`), when configured: `per: aiSystem` rules judge each system. */
  aiSystems?: AiSystemInventory;
}

export const defaultPackDir = dataPath('mappings', 'default');

/**
 * `default` stands for the shipped pack: the files the vocabulary's source types contribute, in name order.
 * A type's `configured` files are included only when such a source is configured: an organisation without
 * a SIEM is not told that SIEM evidence is missing. Without a list of configured types, every file is included.
 */
export function expandMappingPaths(
  entries: string[],
  baseDir: string,
  vocabulary: MappingVocabulary,
  configuredTypes?: ReadonlySet<string>,
): string[] {
  const pack = Object.entries(vocabulary)
    .filter(([type, v]) => !configuredTypes || v.defaultMappings.when === 'always' || configuredTypes.has(type))
    .flatMap(([, v]) => v.defaultMappings.files)
    .sort()
    .map((n) => path.join(defaultPackDir, n));
  return entries.flatMap((e) => (e === 'default' ? pack : [path.resolve(baseDir, e)]));
}

/** Files in mappings/default/ that no source type of the vocabulary claims (they would never be loaded). */
export function unclaimedPackFiles(vocabulary: MappingVocabulary): string[] {
  const claimed = new Set(Object.values(vocabulary).flatMap((v) => v.defaultMappings.files));
  return readdirSync(defaultPackDir)
    .filter((n) => n.endsWith('.yaml') && !claimed.has(n))
    .sort();
}

/**
 * Loads mapping files in order. A rule id seen again in a later file replaces the earlier rule, which is
 * how an organisation overrides one default without copying the pack. Within one file ids must be unique.
 * All problems of all files are collected before failing, so one run shows everything to fix.
 */
export async function loadMappings(
  files: string[],
  vocabulary: MappingVocabulary,
  catalog: Catalog = loadCatalog(),
  clauses: Catalog = loadClauseCatalog(),
): Promise<MappingSet> {
  const controlIds = new Set([...catalog.controls, ...clauses.controls].map((c) => c.id));
  const merged = new Map<string, { raw: RawRule; rule: Rule }>();
  const problems: FileProblem[] = [];
  // One context for the whole set, so the rules share their literal pre-filters.
  const matchers = new MatcherContext();
  // Extensions apply after all files are read, so a pack can extend a rule that a later file overrides.
  const pendingExtensions: { rule: string; raw: unknown; extensions: Selector[]; origin: FileProblem }[] = [];

  for (const file of files) {
    let src: YamlSource;
    let parsed;
    try {
      src = await YamlSource.load(file);
      parsed = src.validate(mappingFileSchema);
    } catch (err) {
      if (err instanceof InputError) {
        problems.push(...err.problems);
        continue;
      }
      throw err;
    }
    const idsInFile = new Map<string, number>();
    for (const id of parsed.remove) merged.delete(id);
    parsed.extend.forEach((ext, i) => {
      const selectors = toArray(ext.select);
      const before = problems.length;
      selectors.forEach((sel, k) =>
        checkSelector(
          src,
          sel,
          (...p) => (Array.isArray(ext.select) ? ['extend', i, 'select', k, ...p] : ['extend', i, 'select', ...p]),
          vocabulary,
          problems,
        ),
      );
      if (problems.length === before)
        pendingExtensions.push({
          rule: ext.rule,
          raw: ext,
          extensions: selectors,
          origin: src.problem(['extend', i, 'rule'], ''),
        });
    });
    parsed.rules.forEach((raw, i) => {
      const at = (...p: PropertyKey[]) => ['rules', i, ...p];
      const before = problems.length;
      const prev = idsInFile.get(raw.id);
      if (prev !== undefined) {
        problems.push(
          src.problem(
            at('id'),
            `duplicate rule id "${raw.id}" (also rules[${prev}] in this file)`,
            'rename one of them; to override a rule from an earlier file, put it in a later file',
          ),
        );
      }
      idsInFile.set(raw.id, i);
      raw.controls.forEach((c, j) => {
        if (!controlIds.has(c)) {
          const near = closestIds(c, controlIds);
          problems.push(
            src.problem(
              at('controls', j),
              `unknown control id "${c}"`,
              near.length
                ? `did you mean ${near[0]}?`
                : `see ${catalog.framework.title} ids such as A.6.2.6, or ${clauses.framework.title} ids such as 9.2`,
            ),
          );
        }
      });
      const selectors = Array.isArray(raw.select) ? raw.select : [raw.select];
      const selPath = (k: number, ...p: PropertyKey[]) =>
        Array.isArray(raw.select) ? at('select', k, ...p) : at('select', ...p);
      selectors.forEach((sel, k) => checkSelector(src, sel, (...p) => selPath(k, ...p), vocabulary, problems));
      const recency = raw.freshness;
      if (typeof recency === 'object' && 'perChange' in recency) {
        const changes = Array.isArray(recency.perChange.changes)
          ? recency.perChange.changes
          : [recency.perChange.changes];
        changes.forEach((sel, k) =>
          checkSelector(
            src,
            sel,
            (...p) =>
              Array.isArray(recency.perChange.changes)
                ? at('freshness', 'perChange', 'changes', k, ...p)
                : at('freshness', 'perChange', 'changes', ...p),
            vocabulary,
            problems,
          ),
        );
      }
      checkWarnBefore(src, raw, parsed.warnBefore, at, problems);
      checkPerSystem(src, raw, at, problems);
      if (problems.length > before) return;
      const line = src.locate(at()).line;
      // The file's warning window applies to its rules that set none (and stays with them when extended).
      const withDefaults =
        raw.warnBefore === undefined && parsed.warnBefore ? { ...raw, warnBefore: parsed.warnBefore } : raw;
      merged.delete(raw.id); // re-insert so override order is the later file's order
      merged.set(raw.id, {
        raw: withDefaults,
        rule: compileRule(withDefaults, selectors, { file, line }, matchers, vocabulary),
      });
    });
  }
  if (problems.length > 0) throw new InputError(problems);
  for (const { rule, raw, extensions, origin } of pendingExtensions) {
    const target = merged.get(rule);
    if (!target) {
      problems.push({
        ...origin,
        message: `extends rule "${rule}", which no earlier mapping file defines`,
        hint: 'check the rule id, or load the file that defines it first',
      });
      continue;
    }
    target.raw = { ...target.raw, select: [...toArray(target.raw.select), ...extensions] };
    target.rule = compileRule(target.raw, toArray(target.raw.select), target.rule.origin, matchers, vocabulary);
    void raw;
  }
  for (const { rule } of merged.values()) {
    const target = rule.sameVersion?.rule;
    if (target !== undefined && !merged.has(target)) {
      problems.push({
        ...rule.origin,
        col: 1,
        path: `${rule.id}.sameVersion.rule`,
        message: `rule "${rule.id}" compares versions with rule "${target}", which no mapping file defines`,
        hint: 'check the rule id, or load the file that defines it',
      });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  const entries = [...merged.values()];
  return {
    catalog,
    clauses,
    rules: entries.map((e) => e.rule),
    digest: sha256Hex(canonicalJson(entries.map((e) => e.raw))),
    files,
    matchers,
  };
}

function toArray<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}

function checkSelector(
  src: YamlSource,
  sel: Selector,
  at: (...p: PropertyKey[]) => PropertyKey[],
  vocabulary: MappingVocabulary,
  problems: FileProblem[],
): void {
  const knownSourceTypes = Object.keys(vocabulary);
  const kinds = Object.hasOwn(vocabulary, sel.source) ? vocabulary[sel.source]!.kinds : undefined;
  if (!kinds) {
    const near = closestIds(sel.source, knownSourceTypes);
    problems.push(
      src.problem(
        at('source'),
        `unknown source type "${sel.source}"`,
        near.length ? `did you mean ${near[0]}?` : `known types: ${knownSourceTypes.join(', ')}`,
      ),
    );
  } else if (sel.kind !== undefined && !kinds.includes(sel.kind)) {
    const near = closestIds(sel.kind, kinds);
    problems.push(
      src.problem(
        at('kind'),
        `source type "${sel.source}" has no kind "${sel.kind}"`,
        near.length ? `did you mean ${near[0]}?` : `kinds of ${sel.source}: ${kinds.join(', ')}`,
      ),
    );
  }
  if (sel.where) checkWhere(src, sel.where, [...at('where')], problems);
}

function checkWhere(src: YamlSource, where: Where, at: PropertyKey[], problems: FileProblem[]): void {
  if ('all' in where && Array.isArray(where.all))
    return (where.all as Where[]).forEach((w, i) => checkWhere(src, w, [...at, 'all', i], problems));
  if ('any' in where && Array.isArray(where.any))
    return (where.any as Where[]).forEach((w, i) => checkWhere(src, w, [...at, 'any', i], problems));
  if ('not' in where && typeof where.not === 'object' && !Array.isArray(where.not))
    return checkWhere(src, where.not as Where, [...at, 'not'], problems);
  for (const [attr, pred] of Object.entries(where as Record<string, Predicate>)) {
    if (typeof pred !== 'object') continue;
    if (pred.regex !== undefined) {
      try {
        new RegExp(pred.regex, 'u');
      } catch (err) {
        problems.push(
          src.problem(
            [...at, attr, 'regex'],
            `bad regular expression: ${(err as Error).message}`,
            'regexes use JavaScript syntax; quote the value in YAML',
          ),
        );
      }
    }
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      const v = pred[op];
      if (typeof v === 'string' && Number.isNaN(Date.parse(v))) {
        problems.push(
          src.problem(
            [...at, attr, op],
            `"${v}" is neither a number nor a date`,
            'use a number, or a date such as 2026-01-31',
          ),
        );
      }
    }
  }
}

function compileRule(
  raw: RawRule,
  selectors: Selector[],
  origin: { file: string; line: number },
  matchers: MatcherContext,
  vocabulary: MappingVocabulary,
): Rule {
  const f = raw.freshness;
  let freshness: Freshness;
  if (typeof f === 'string' || 'maxAge' in f) {
    const text = typeof f === 'string' ? f : f.maxAge;
    const maxAgeMs = parseDuration(text)!;
    freshness = {
      type: 'maxAge',
      maxAgeMs,
      graceMs: typeof f !== 'string' && f.grace ? parseDuration(f.grace)! : 0,
      ...warnBeforeOf(raw.warnBefore, maxAgeMs),
      text,
    };
  } else {
    const changes = Array.isArray(f.perChange.changes) ? f.perChange.changes : [f.perChange.changes];
    freshness = {
      type: 'perChange',
      changes: compileSelectors(changes, matchers),
      changeScopes: changes.map(scopeOf),
      changesKey: canonicalJson(changes),
      changeSources: [...new Set(changes.map((c) => c.source))],
      key: toArray(f.perChange.key),
      recordKey: toArray(f.perChange.recordKey ?? f.perChange.key),
      ...(f.perChange.from ? { from: f.perChange.from } : {}),
      ...(f.perChange.due ? { due: f.perChange.due } : {}),
      windowMs: parseDuration(f.perChange.window)!,
      graceMs: f.grace ? parseDuration(f.grace)! : 0,
      text: `per change (${toArray(f.perChange.key).join(' + ')})`,
    };
  }
  return {
    id: raw.id,
    ...(raw.description ? { description: raw.description } : {}),
    controls: raw.controls,
    evidence: raw.evidence,
    informational: raw.informational,
    matches: compileSelectors(selectors, matchers),
    selectors,
    uploadTopics: uploadTopics(selectors),
    sourceTypes: [
      ...new Set([
        ...selectors.map((s) => s.source),
        ...(freshness.type === 'perChange' ? freshness.changeSources : []),
      ]),
    ],
    scopes: selectors.map(scopeOf),
    freshness,
    minCount: raw.minCount,
    ...(raw.sinceLastAudit ? { sinceLastAudit: raw.sinceLastAudit } : {}),
    ...(raw.sameVersion ? { sameVersion: raw.sameVersion } : {}),
    ...(raw.per === 'aiSystem' && raw.systemFrom ? { perSystem: { nameOf: systemNamer(raw.systemFrom) } } : {}),
    ...stateReading(selectors, vocabulary),
    origin,
  };
}

/** The rule's state reading, when any of its selectors reads a kind its connector declares as state. */
function stateReading(selectors: readonly Selector[], vocabulary: MappingVocabulary): { state?: StateReading } {
  const subjects = new Map<string, readonly string[]>();
  const stateSelectors: Selector[] = [];
  for (const sel of selectors) {
    const kinds = Object.hasOwn(vocabulary, sel.source) ? vocabulary[sel.source]!.stateKinds : undefined;
    if (!kinds) continue;
    const declared = Object.entries(kinds).filter(([kind]) => sel.kind === undefined || sel.kind === kind);
    for (const [kind, attrs] of declared) subjects.set(`${sel.source}\u0000${kind}`, attrs);
    if (declared.length > 0) stateSelectors.push(sel);
  }
  if (stateSelectors.length === 0) return {};
  return {
    state: {
      subjectOf(a) {
        const attrs = subjects.get(`${a.sourceType}\u0000${a.kind}`);
        if (attrs === undefined) return undefined;
        let key = `${a.source}\u0000${a.kind}`;
        for (const k of attrs) key += `\u0000${JSON.stringify(a.attributes[k] ?? null)}`;
        return key;
      },
      describe(a) {
        const named = (subjects.get(`${a.sourceType}\u0000${a.kind}`) ?? [])
          .map((k) => a.attributes[k])
          .filter((v) => v !== undefined && v !== null)
          .map(String);
        return [a.sourceType, a.kind, ...named].join(' ') + ` (source ${a.source})`;
      },
      inScope: (a) =>
        subjects.has(`${a.sourceType}\u0000${a.kind}`) &&
        stateSelectors.some(
          (s) =>
            s.source === a.sourceType &&
            (s.kind === undefined || s.kind === a.kind) &&
            (s.sourceId === undefined || s.sourceId === a.source),
        ),
      selectors: stateSelectors,
    },
  };
}

const scopeOf = (s: Selector): Scope => ({ sourceType: s.source, ...(s.kind ? { kind: s.kind } : {}) });

export interface NotApplicable {
  control: string;
  justification: string;
  /** The SoA that excluded it: version and approval, as far as the file states them. */
  soa?: SoaApproval;
}

/** Statement of Applicability: controls excluded from scope, each with the justification auditors ask for. */
export async function loadSoa(file: string, catalog: Catalog): Promise<NotApplicable[]> {
  const src = await YamlSource.load(file);
  const parsed = src.validate(soaFileSchema);
  const ids = new Set(catalog.controls.map((c) => c.id));
  const problems: FileProblem[] = [];
  parsed.notApplicable.forEach((na, i) => {
    if (!ids.has(na.control)) {
      const near = closestIds(na.control, ids);
      problems.push(
        src.problem(
          ['notApplicable', i, 'control'],
          `unknown control id "${na.control}"`,
          near.length ? `did you mean ${near[0]}?` : undefined,
        ),
      );
    }
  });
  if (problems.length > 0) throw new InputError(problems);
  const soa: SoaApproval = {
    ...(parsed.version !== undefined ? { version: String(parsed.version) } : {}),
    ...(parsed.approvedBy !== undefined ? { approvedBy: parsed.approvedBy } : {}),
    ...(parsed.approvedOn !== undefined ? { approvedOn: parsed.approvedOn } : {}),
  };
  return parsed.notApplicable.map((n) => ({ ...n, soa }));
}
