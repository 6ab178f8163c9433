import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { evaluate, type ControlResult, type IndexedArtifact, type SourceRun } from '../../mappings/evaluate';
import { loadMappings, type MappingSet } from '../../mappings/load';
import { assertProperty } from '../support/property';
import {
  changeSource,
  HOUR_MS,
  referenceEvaluate,
  type RefControlResult,
  type RefRule,
  type RefSelector,
  type RefWorld,
} from '../support/reference-evaluator';
import { suiteDir } from '../support/tmp';

/**
 * Reference oracle: the evaluator (mappings/evaluate.ts, with its shared newest-first scans, buckets and
 * early stops) against a slow, obviously correct one written from docs/mappings.md
 * (test/support/reference-evaluator.ts, which lists what it covers and what not), on thousands of random
 * rule sets and artifact sets. The rules go through the real loader as YAML, so a loader that read a
 * field wrongly is caught too. Compared per control: status, deciding rule and evidence; per rule: status,
 * deciding records, newest record and DUE.
 */

const controls = ['A.2.2', 'A.2.3', 'A.4.2', 'A.6.2.8'] as const;
const sources = ['docs', 'wiki'] as const;
const types = ['policy', 'review', 'register'] as const;
const owners = ['alice', 'bob'] as const;
const folders = ['a', 'b'] as const;
const systems = ['credit', 'chat', 'fraud'] as const;
const now = Date.parse('2026-06-01T00:00:00Z');
/** Max ages in hours: hours, days, a week, a month, a quarter, a year. */
const maxAges = [6, 24, 36, 168, 720, 2160, 8760] as const;

/** True about once in `n`. */
const oneIn = (n: number) => fc.integer({ min: 1, max: n }).map((i) => i === 1);

const selectorArb: fc.Arbitrary<RefSelector> = fc.record(
  {
    source: fc.constant('folder' as const),
    sourceId: fc.constantFrom(...sources),
    kind: fc.constant('document' as const),
    type: fc.constantFrom(...types),
    notType: fc.constantFrom(...types),
    ownerIn: fc.subarray([...owners], { minLength: 1 }),
    under: fc.constantFrom(...folders),
  },
  { requiredKeys: ['source'] },
);

const ruleArb = (id: string): fc.Arbitrary<RefRule> =>
  fc
    .record({
      controls: fc.subarray([...controls], { minLength: 1, maxLength: 2 }),
      evidence: fc.constantFrom('design' as const, 'operating' as const),
      informational: oneIn(8),
      select: fc.array(selectorArb, { minLength: 1, maxLength: 3 }),
      maxAgeH: fc.constantFrom(...maxAges),
      graceH: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })),
      warnFraction: fc.option(fc.double({ min: 0, max: 0.99, noNaN: true }), { nil: undefined }),
      minCount: fc.integer({ min: 1, max: 3 }),
      // About one rule in four is per change, with a window of a week to a year.
      perChangeWindowH: fc.option(fc.constantFrom(168, 720, 8760), { nil: undefined, freq: 3 }),
    })
    .map((r) => ({
      id,
      controls: r.controls,
      evidence: r.evidence,
      informational: r.informational,
      select: r.select,
      maxAgeMs: r.maxAgeH * HOUR_MS,
      graceMs: r.graceH * HOUR_MS,
      ...(r.warnFraction !== undefined ? { warnBeforeMs: Math.floor(r.maxAgeH * r.warnFraction) * HOUR_MS } : {}),
      minCount: r.minCount,
      ...(r.perChangeWindowH !== undefined ? { perChange: { windowMs: r.perChangeWindowH * HOUR_MS } } : {}),
    }));

/** Ages (hours before now) that sit on the rules' edges: the end of the max age, of the warning window, of the grace. */
function edges(rules: readonly RefRule[]): number[] {
  const out = new Set<number>();
  for (const r of rules) {
    const ends = r.perChange ? [r.graceMs, r.perChange.windowMs] : [r.maxAgeMs, r.maxAgeMs + r.graceMs];
    for (const ms of [...ends, r.maxAgeMs - (r.warnBeforeMs ?? 0)])
      for (const d of [-1, 0, 1]) out.add(ms / HOUR_MS + d);
  }
  return [...out];
}

const artifactArb = (rules: readonly RefRule[]) =>
  fc.record({
    // Model versions from MLflow (the per-change rules' changes), else folder documents.
    source: fc.constantFrom(...sources, ...sources, ...sources, 'ml'),
    system: fc.option(fc.constantFrom(...systems), { nil: undefined }),
    folder: fc.constantFrom(...folders, 'c'),
    type: fc.option(fc.constantFrom(...types), { nil: undefined }),
    owner: fc.option(fc.constantFrom(...owners), { nil: undefined }),
    draft: oneIn(10),
    fileTime: oneIn(10),
    ageH: fc.oneof(fc.integer({ min: -48, max: 10_000 }), fc.constantFrom(...edges(rules)), fc.constantFrom(24, 168)),
    lagH: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 96 })),
  });

const runArb = fc.record({
  source: fc.constantFrom(...sources, 'ml'),
  agoH: fc.integer({ min: -24, max: 200 }),
  status: fc.constantFrom('ok' as const, 'partial' as const, 'failed' as const),
});

const worldArb: fc.Arbitrary<RefWorld> = fc
  .integer({ min: 1, max: 5 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(`r${i}`))))
  .chain((rules) =>
    fc.record({
      rules: fc.constant(rules),
      artifacts: fc.array(artifactArb(rules), { maxLength: 14 }),
      runs: fc.array(runArb, { maxLength: 4 }),
      notApplicable: fc.subarray([...controls], { maxLength: 1 }),
    }),
  )
  .map(({ rules, artifacts, runs, notApplicable }) => ({
    controls,
    rules,
    now,
    notApplicable,
    artifacts: artifacts.map((a, i): IndexedArtifact => {
      const observedAt = now - a.ageH * HOUR_MS;
      if (a.source === 'ml')
        return {
          id: `ml:${a.system ?? 'none'}/${i}`,
          source: 'ml',
          sourceType: 'mlflow',
          kind: 'model-version',
          attributes: { ...(a.system ? { model: a.system } : {}), version: String(i) },
          observedAt,
          collectedAt: observedAt + a.lagH * HOUR_MS,
          sha256: i.toString(16).padStart(64, '0'),
        };
      const p = `${a.folder}/doc-${i}.md`;
      return {
        id: `${a.source}:${p}`,
        source: a.source,
        sourceType: 'folder',
        kind: 'document',
        attributes: {
          path: p,
          frontMatter: {
            ...(a.type ? { type: a.type } : {}),
            ...(a.owner ? { owner: a.owner } : {}),
            ...(a.system ? { system: a.system } : {}),
          },
          dateSource: a.fileTime ? 'file-time' : 'effective',
          ...(a.draft ? { documentStatus: 'draft' } : {}),
        },
        observedAt,
        collectedAt: observedAt + a.lagH * HOUR_MS,
        sha256: i.toString(16).padStart(64, '0'),
      };
    }),
    runs: runs.map((r): SourceRun => ({
      source: r.source,
      sourceType: r.source === 'ml' ? 'mlflow' : 'folder',
      at: now - r.agoH * HOUR_MS,
      status: r.status,
      ...(r.status !== 'ok' ? { error: 'boom' } : {}),
    })),
  }));

/** The rules as a mapping file, as a compliance lead would write them. */
function mappingYaml(rules: readonly RefRule[]): string {
  const selector = (s: RefSelector) => {
    const where: string[] = [];
    if (s.type !== undefined) where.push(`{ frontMatter.type: ${s.type} }`);
    if (s.notType !== undefined) where.push(`{ frontMatter.type: { ne: ${s.notType} } }`);
    if (s.ownerIn !== undefined) where.push(`{ frontMatter.owner: { in: [${s.ownerIn.join(', ')}] } }`);
    if (s.under !== undefined) where.push(`{ path: { glob: "${s.under}/**" } }`);
    const parts = [
      `source: ${s.source}`,
      ...(s.sourceId !== undefined ? [`sourceId: ${s.sourceId}`] : []),
      ...(s.kind !== undefined ? [`kind: ${s.kind}`] : []),
      ...(where.length > 0 ? [`where: { all: [${where.join(', ')}] }`] : []),
    ];
    return `{ ${parts.join(', ')} }`;
  };
  const lines = ['rules:'];
  for (const r of rules) {
    lines.push(
      `  - id: ${r.id}`,
      `    controls: [${r.controls.join(', ')}]`,
      `    evidence: ${r.evidence}`,
      `    informational: ${r.informational}`,
      `    select: [${r.select.map(selector).join(', ')}]`,
      ...(r.perChange
        ? [
            `    freshness: { perChange: { changes: { source: ${changeSource.sourceType}, kind: ${changeSource.kind} }, key: ${changeSource.key}, recordKey: ${changeSource.recordKey}, window: ${r.perChange.windowMs / HOUR_MS}h }, grace: ${r.graceMs / HOUR_MS}h }`,
          ]
        : [
            `    freshness: { maxAge: ${r.maxAgeMs / HOUR_MS}h, grace: ${r.graceMs / HOUR_MS}h }`,
            ...(r.warnBeforeMs !== undefined ? [`    warnBefore: ${r.warnBeforeMs / HOUR_MS}h`] : []),
            `    minCount: ${r.minCount}`,
          ]),
    );
  }
  return `${lines.join('\n')}\n`;
}

let dir: string;
let files = 0;
async function load(rules: readonly RefRule[]): Promise<MappingSet> {
  const file = path.join(dir, `m${files++}.yaml`);
  await writeFile(file, mappingYaml(rules));
  return loadMappings([file], mappingVocabulary());
}

/** What both evaluators are compared on (the reference has no causes or sentences). */
function essence(c: ControlResult | RefControlResult) {
  const rule = (r: { rule: string; status: string; evidence: string[]; newest?: unknown; dueAt?: unknown }) => ({
    rule: r.rule,
    status: r.status,
    evidence: [...r.evidence].sort(),
    newest: typeof r.newest === 'object' && r.newest ? (r.newest as { id: string }).id : r.newest,
    dueAt: typeof r.dueAt === 'number' ? new Date(r.dueAt).toISOString() : r.dueAt,
  });
  return {
    control: typeof c.control === 'string' ? c.control : c.control.id,
    status: c.status,
    decidingRule: c.decidingRule,
    evidence: [...c.evidence].sort(),
    rules: c.rules.map(rule).sort((a, b) => a.rule.localeCompare(b.rule)),
    informational: (c.informational ?? []).map(rule).sort((a, b) => a.rule.localeCompare(b.rule)),
  };
}

beforeAll(async () => {
  dir = await suiteDir('eh-oracle-');
});

describe('evaluator against the reference evaluator', () => {
  it('agrees on status, deciding rule and deciding records for random rule sets and artifact sets', async () => {
    const seen = new Map<string, number>();
    const details = await assertProperty(
      fc.asyncProperty(worldArb, async (world) => {
        const mappings = await load(world.rules);
        const actual = evaluate({
          artifacts: world.artifacts,
          sourceRuns: world.runs,
          mappings,
          notApplicable: world.notApplicable.map((control) => ({ control, justification: 'not used', soa: {} })),
          now: new Date(world.now),
        }).filter((c) => (controls as readonly string[]).includes(c.control.id));
        const expected = referenceEvaluate(world);
        expect(actual.map(essence), mappingYaml(world.rules)).toEqual(expected.map(essence));
        for (const c of expected) seen.set(c.status, (seen.get(c.status) ?? 0) + 1);
        for (const r of expected.flatMap((c) => c.rules))
          seen.set(`rule ${r.status}`, (seen.get(`rule ${r.status}`) ?? 0) + 1);
      }),
      { numRuns: 2_000, minRuns: 2_000, seed: Number(process.env['FC_SEED'] ?? 20261206) },
    );
    expect(details.numRuns).toBe(2_000);
    // The generators reach every status the oracle knows, for controls and for rules.
    for (const s of [
      'current',
      'due-soon',
      'overdue',
      'stale',
      'missing',
      'unverified',
      'collection-failed',
      'design-only',
      'not-applicable',
    ])
      expect(seen.get(s) ?? 0, `controls ${s}`).toBeGreaterThanOrEqual(5);
    for (const s of ['not-exercised', 'not-configured', 'current', 'due-soon', 'missing'])
      expect(seen.get(`rule ${s}`) ?? 0, `rules ${s}`).toBeGreaterThan(10);
  }, 300_000);
});
