import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArtifactBuckets } from '../../mappings/buckets';
import { evaluate, type ControlResult, type IndexedArtifact, type SourceRun } from '../../mappings/evaluate';
import type { MappingSet } from '../../mappings/load';
import { DAY, doc, mappingsFrom } from '../support/mapping-fixture';
import { assertProperty } from '../support/property';

const policyRule = `rules:
  - id: ai-policy
    controls: [A.2.2]
    select: { source: folder, where: { path: { glob: "policies/**" } } }
    freshness: { maxAge: 365d, grace: 30d }
`;

function statusOf(
  mappings: MappingSet,
  artifacts: IndexedArtifact[],
  now: number,
  runs: SourceRun[] = [],
  control = 'A.2.2',
) {
  return evaluate({ artifacts, sourceRuns: runs, mappings, notApplicable: [], now: new Date(now) }).find(
    (r) => r.control.id === control,
  )!;
}

const t0 = Date.parse('2026-01-01T00:00:00Z');

/** A control's status, dates and reason all come from its deciding rule; a missing control has no due date. */
function expectCoherent(c: ControlResult): void {
  if (c.status === 'missing') expect(c.dueAt).toBeUndefined();
  if (c.decidingRule === undefined) return;
  const rule = c.rules.find((r) => r.rule === c.decidingRule)!;
  expect(c.status).toBe(rule.status);
  expect(c.dueAt).toBe(rule.dueAt);
  expect(c.newest).toEqual(rule.newest);
  if (c.cause.kind === 'rule') expect(c.cause.cause).toEqual(rule.cause);
}

describe('evaluator: max age and grace', () => {
  // current -> due-soon (the warning window before the max age ends) -> overdue (grace) -> stale. DUE is the
  // same date throughout: the end of the grace (mappings/due.ts). Default window: min(14d, maxAge / 4).
  it.each([
    ['current well inside max age', 0, 'current', undefined],
    ['current one instant before the warning window', 351 * DAY, 'current', 'current until 2027-01-01'],
    ['due soon inside the 14d warning window', 351 * DAY + 1, 'due-soon', 'due soon: newest evidence'],
    ['due soon exactly at max age (the last good day)', 365 * DAY, 'due-soon', 'a new record is due by then'],
    ['overdue (grace) just past max age', 365 * DAY + 1, 'overdue', 'overdue (grace): '],
    ['overdue (grace) at the end of the grace', 395 * DAY, 'overdue', 'grace ends 2027-01-31'],
    ['stale after the grace', 395 * DAY + 1, 'stale', 'is 395d old (observed 2026-01-01); max age 365d'],
  ] as const)('%s', async (_, after, status, words) => {
    const m = await mappingsFrom(policyRule);
    const r = statusOf(m, [doc('policies/ai-policy.md', t0)], t0 + after);
    expect(r.status).toBe(status);
    expect(r.dueAt).toBe(new Date(t0 + 395 * DAY).toISOString());
    if (words !== undefined) expect(r.reason).toContain(words);
  });

  it.each([
    // [max age, grace, warnBefore written, days before the max age ends, status]
    ['7d', undefined, undefined, 1, 'due-soon'], // default: a quarter of 7d = 42h
    ['7d', undefined, undefined, 2, 'current'],
    ['90d', undefined, undefined, 13, 'due-soon'], // default: 14d (a quarter would be 22.5d)
    ['90d', undefined, undefined, 15, 'current'],
    ['365d', '30d', '30d', 29, 'due-soon'], // per rule
    ['365d', '30d', '30d', 31, 'current'],
  ] as const)(
    'warning window: maxAge %s, grace %s, warnBefore %s, %sd before the end: %s',
    async (maxAge, grace, warn, daysLeft, status) => {
      const m = await mappingsFrom(
        `rules:\n  - id: p\n    controls: [A.2.2]\n    select: { source: folder }\n    freshness: ${grace ? `{ maxAge: ${maxAge}, grace: ${grace} }` : maxAge}\n${warn ? `    warnBefore: ${warn}\n` : ''}`,
      );
      const maxAgeMs = Number.parseInt(maxAge, 10) * DAY;
      expect(statusOf(m, [doc('p.md', t0)], t0 + maxAgeMs - daysLeft * DAY).status).toBe(status);
    },
  );

  it("a file's warnBefore applies to its rules that set none; a rule's own wins", async () => {
    const m = await mappingsFrom(
      `warnBefore: 30d\nrules:\n  - id: p\n    controls: [A.2.2]\n    select: { source: folder }\n    freshness: 365d\n  - id: q\n    controls: [A.2.3]\n    select: { source: folder }\n    freshness: 365d\n    warnBefore: 7d\n`,
    );
    const at = t0 + 345 * DAY; // 20 days left
    expect(statusOf(m, [doc('p.md', t0)], at).status).toBe('due-soon');
    expect(statusOf(m, [doc('p.md', t0)], at, [], 'A.2.3').status).toBe('current');
  });

  it('the newest matching artifact decides, and non-matching ones are ignored', async () => {
    const m = await mappingsFrom(policyRule);
    const r = statusOf(
      m,
      [doc('policies/old.md', t0 - 800 * DAY), doc('policies/new.md', t0 - 10 * DAY), doc('other/x.md', t0)],
      t0,
    );
    expect(r.status).toBe('current');
    expect(r.newest).toEqual({ id: 'docs:policies/new.md', observedAt: new Date(t0 - 10 * DAY).toISOString() });
    expect(r.evidence).toEqual(['docs:policies/new.md']);
  });

  it('is missing when nothing matches, and says which rule and which test the newest record fails', async () => {
    const m = await mappingsFrom(policyRule);
    const r = statusOf(m, [doc('other/x.md', t0)], t0);
    expect(r.status).toBe('missing');
    // Collected but failing is told apart from never collected (issue 15).
    expect(r.reason).toBe(
      'collected, but no record matches rule "ai-policy": newest folder record docs:other/x.md (observed 2026-01-01): path is "other/x.md", rule needs glob "policies/**"',
    );
    expect(statusOf(m, [], t0).reason).toBe('nothing collected for rule "ai-policy" from folder');
  });

  it('as of a date before any evidence existed: missing', async () => {
    const m = await mappingsFrom(policyRule);
    const a = [doc('policies/ai-policy.md', t0)];
    expect(statusOf(m, a, t0 - 1).status).toBe('missing');
  });

  it('as of a date, ignores evidence collected later even if observed earlier', async () => {
    const m = await mappingsFrom(policyRule);
    const backdated = doc('policies/ai-policy.md', t0 - 30 * DAY, { collectedAt: t0 + 10 * DAY });
    expect(statusOf(m, [backdated], t0).status).toBe('missing');
    expect(statusOf(m, [backdated], t0 + 10 * DAY).status).toBe('current');
  });

  it('minimum count: the Nth newest record must be current', async () => {
    const m = await mappingsFrom(
      `rules:\n  - id: reviews\n    controls: [A.2.4]\n    select: { source: folder }\n    freshness: 90d\n    minCount: 2\n`,
    );
    const one = statusOf(m, [doc('a.md', t0)], t0, [], 'A.2.4');
    expect(one.status).toBe('stale');
    expect(one.reason).toContain('1 of 2 required records');
    expect(statusOf(m, [doc('a.md', t0), doc('b.md', t0 - 70 * DAY)], t0, [], 'A.2.4').status).toBe('current');
    // The 2nd newest decides the warning window too: 10 days left of 90d is inside the 14d window.
    expect(statusOf(m, [doc('a.md', t0), doc('b.md', t0 - 80 * DAY)], t0, [], 'A.2.4').status).toBe('due-soon');
    expect(statusOf(m, [doc('a.md', t0), doc('b.md', t0 - 91 * DAY)], t0, [], 'A.2.4').status).toBe('stale');
  });

  it('a control needs every rule that targets it; the worst rule decides', async () => {
    const m = await mappingsFrom(
      policyRule +
        `  - id: acknowledgements\n    controls: [A.2.2]\n    select: { source: manual, kind: record }\n    freshness: 365d\n    description: Staff acknowledgements\n`,
    );
    const r = statusOf(m, [doc('policies/ai-policy.md', t0)], t0);
    expect(r.status).toBe('missing');
    expect(r.reason).toBe('acknowledgements: needs a manual upload: Staff acknowledgements');
    expect(r.rules.map((x) => x.status).sort()).toEqual(['current', 'missing']);
  });

  it('controls without any rule are missing, and not-applicable ones carry their justification', async () => {
    const m = await mappingsFrom(policyRule);
    const results = evaluate({
      artifacts: [],
      sourceRuns: [],
      mappings: m,
      notApplicable: [{ control: 'A.10.4', justification: 'internal use only, no customers' }],
      now: new Date(t0),
    });
    expect(results).toHaveLength(38);
    expect(results.find((r) => r.control.id === 'A.9.4')).toMatchObject({
      status: 'missing',
      reason: expect.stringContaining('no mapping rule'),
    });
    expect(results.find((r) => r.control.id === 'A.10.4')).toMatchObject({
      status: 'not-applicable',
      reason: expect.stringContaining('internal use only'),
    });
  });
});

describe('evaluator: collection failures', () => {
  it('a failed last run of a feeding source makes the control collection-failed, with the time left', async () => {
    const m = await mappingsFrom(policyRule);
    const a = [doc('policies/ai-policy.md', t0 - 361 * DAY)];
    const runs: SourceRun[] = [
      { source: 'docs', sourceType: 'folder', at: t0 - 2 * DAY, status: 'ok' },
      {
        source: 'docs',
        sourceType: 'folder',
        at: t0 - DAY,
        status: 'failed',
        error: 'CredentialsError: token expired',
      },
    ];
    const r = statusOf(m, a, t0, runs);
    expect(r.status).toBe('collection-failed');
    expect(r.reason).toContain('source "docs" failed');
    expect(r.reason).toContain('token expired');
    // 365d max age + 30d grace: the evidence turns stale 34 days on (DUE includes the grace).
    expect(r.reason).toContain('evidence goes stale in 34d (2026-02-04)');
    expect(r.dueAt).toBe(new Date(t0 + 34 * DAY).toISOString());
  });

  it('a later successful run clears the failure; failures of unrelated sources do not count', async () => {
    const m = await mappingsFrom(policyRule);
    const a = [doc('policies/ai-policy.md', t0)];
    const runs: SourceRun[] = [
      { source: 'docs', sourceType: 'folder', at: t0 - DAY, status: 'failed', error: 'x' },
      { source: 'docs', sourceType: 'folder', at: t0, status: 'ok' },
      { source: 'jira', sourceType: 'manual', at: t0, status: 'failed', error: 'y' },
    ];
    expect(statusOf(m, a, t0, runs).status).toBe('current');
    // Another folder source that fails, but never supplied this rule's evidence, does not raise an alarm.
    const otherFailed: SourceRun[] = [
      ...runs,
      { source: 'scratch', sourceType: 'folder', at: t0, status: 'failed', error: 'gone' },
    ];
    expect(statusOf(m, a, t0, otherFailed).status).toBe('current');
    // ...but it does where the rule has no evidence at all: the failed source may be where it comes from.
    expect(statusOf(m, [], t0, otherFailed).status).toBe('collection-failed');
    // As of before the successful run, the failure was the latest news.
    expect(statusOf(m, [doc('policies/ai-policy.md', t0 - 2 * DAY)], t0 - 1, runs).status).toBe('collection-failed');
  });
});

describe('evaluator: collection failures behind newer evidence', () => {
  it('a failed source that supplied older evidence flags the control, however much newer evidence others supplied', async () => {
    const m = await mappingsFrom(policyRule);
    const arts = [
      ...Array.from({ length: 5 }, (_, i) => doc(`policies/new-${i}.md`, t0 - i * DAY)),
      doc('policies/old.md', t0 - 200 * DAY, { id: 'drive:policies/old.md', source: 'drive' }),
    ];
    const runs: SourceRun[] = [
      { source: 'docs', sourceType: 'folder', at: t0 - DAY, status: 'ok' },
      { source: 'drive', sourceType: 'folder', at: t0 - DAY, status: 'failed', error: 'CredentialsError: expired' },
    ];
    const r = statusOf(m, arts, t0, runs);
    expect(r.status).toBe('collection-failed');
    expect(r.reason).toContain('source "drive" failed');
    expect(r.newest?.id).toBe('docs:policies/new-0.md');
  });
});

describe('evaluator: sources collected with problems', () => {
  it('a partial run keeps its evidence deciding and names the problem; nothing usable is collection-failed', async () => {
    const m = await mappingsFrom(policyRule);
    const runs: SourceRun[] = [
      { source: 'docs', sourceType: 'folder', at: t0, status: 'partial', error: '1 of 3 export file(s) failed' },
    ];
    // The good files' evidence decides (issue #15: one bad file never hides good evidence)...
    const r = statusOf(m, [doc('policies/ai-policy.md', t0)], t0, runs);
    expect(r.status).toBe('current');
    expect(r.cause).toMatchObject({ kind: 'rule', cause: { kind: 'source-problems', evidence: { kind: 'current' } } });
    expect(r.reason).toMatch(/; source "docs" collected with problems at .*: 1 of 3 export file\(s\) failed$/);
    expect(r.evidence).toEqual(['docs:policies/ai-policy.md']);
    // ...and a partial run that yielded nothing for the rule leaves it collection-failed.
    const none = statusOf(m, [], t0, runs);
    expect(none.status).toBe('collection-failed');
    expect(none.reason).toMatch(/^source "docs" collected with problems at .*: 1 of 3 export file\(s\) failed/);
    expect(
      statusOf(m, [doc('policies/ai-policy.md', t0)], t0 + 1, [
        ...runs,
        { source: 'docs', sourceType: 'folder', at: t0 + 1, status: 'ok' },
      ]).status,
    ).toBe('current');
  });
});

describe('evaluator: per change', () => {
  const perChange = `rules:
  - id: model-card-per-version
    controls: [A.6.2.7]
    select: { source: folder, where: { path: { glob: "cards/**" } } }
    freshness:
      perChange:
        changes: { source: folder, where: { path: { glob: "releases/**" } } }
        key: version
        window: 365d
      grace: 7d
`;
  const release = (v: string, at: number) =>
    doc(`releases/${v}.md`, at, { attributes: { path: `releases/${v}.md`, version: v } });
  const card = (v: string, at: number) =>
    doc(`cards/${v}.md`, at, { attributes: { path: `cards/${v}.md`, version: v } });

  it('every change in the window needs its own record; a missing one is named', async () => {
    const m = await mappingsFrom(perChange);
    const arts = [release('1.0', t0 - 100 * DAY), release('1.1', t0 - 50 * DAY), card('1.0', t0 - 99 * DAY)];
    const r = statusOf(m, arts, t0, [], 'A.6.2.7');
    // 1.1 has no record at all: missing (a never-validated production version), not stale.
    expect(r.status).toBe('missing');
    expect(r.dueAt).toBeUndefined();
    expect(r.reason).toBe('1 of 2 change(s) have no record: 1.1');
    expect(statusOf(m, [...arts, card('1.1', t0 - 49 * DAY)], t0, [], 'A.6.2.7').status).toBe('current');
  });

  it('a change without a record is due-soon inside its grace period', async () => {
    const m = await mappingsFrom(perChange);
    const r = statusOf(m, [release('2.0', t0 - 3 * DAY)], t0, [], 'A.6.2.7');
    expect(r.status).toBe('due-soon');
    expect(r.dueAt).toBe(new Date(t0 + 4 * DAY).toISOString());
  });

  it('changes outside the window need nothing: not exercised (neither current nor stale)', async () => {
    const m = await mappingsFrom(perChange);
    const r = statusOf(m, [release('0.9', t0 - 400 * DAY)], t0, [], 'A.6.2.7');
    expect(r.status).toBe('not-exercised');
    expect(r.reason).toContain('not exercised: no changes in the last 365d');
  });
});

describe('evaluator: the deciding rule', () => {
  const twoRules =
    policyRule +
    `  - id: training-records
    controls: [A.2.2]
    select: { source: manual, kind: record, where: { topic: training } }
    freshness: 365d
`;

  it('a missing control shows neither the due date nor the newest record of its healthy rule', async () => {
    const m = await mappingsFrom(twoRules);
    const r = statusOf(m, [doc('policies/ai-policy.md', t0 - 10 * DAY)], t0);
    expect(r).toMatchObject({ status: 'missing', decidingRule: 'training-records' });
    expect(r.dueAt).toBeUndefined();
    expect(r.newest).toBeUndefined();
    expect(r.rules.find((x) => x.rule === 'ai-policy')!.dueAt).toBe(new Date(t0 + 385 * DAY).toISOString());
    expectCoherent(r);
  });

  it("a stale control shows the stale rule's record and the day it went stale, not a newer rule's", async () => {
    const m = await mappingsFrom(
      policyRule +
        `  - id: acknowledgements
    controls: [A.2.2]
    select: { source: folder, where: { path: { glob: "acks/**" } } }
    freshness: 90d
`,
    );
    const r = statusOf(m, [doc('policies/ai-policy.md', t0 - 700 * DAY), doc('acks/a.csv', t0 - 5 * DAY)], t0);
    expect(r).toMatchObject({ status: 'stale', decidingRule: 'ai-policy' });
    expect(r.newest!.id).toBe('docs:policies/ai-policy.md');
    expect(r.dueAt).toBe(new Date(t0 - 700 * DAY + 395 * DAY).toISOString());
    expectCoherent(r);
  });

  it('among current rules the one that goes stale first decides, and DUE includes the grace', async () => {
    const m = await mappingsFrom(
      policyRule +
        `  - id: acknowledgements
    controls: [A.2.2]
    select: { source: folder, where: { path: { glob: "acks/**" } } }
    freshness: 90d
`,
    );
    const r = statusOf(m, [doc('policies/ai-policy.md', t0 - 100 * DAY), doc('acks/a.csv', t0 - 5 * DAY)], t0);
    expect(r).toMatchObject({ status: 'current', decidingRule: 'acknowledgements' });
    expect(r.dueAt).toBe(new Date(t0 + 85 * DAY).toISOString());
    // The policy alone: 365d max age + 30d grace.
    expect(r.rules.find((x) => x.rule === 'ai-policy')!.dueAt).toBe(new Date(t0 + 295 * DAY).toISOString());
  });

  it('names the failing test with the actual value of the newest record in scope', async () => {
    const m = await mappingsFrom(`rules:
  - id: continuity
    controls: [A.6.2.8]
    select: { source: folder, where: { maxGapHours: { lte: 24 }, path: { glob: "siem/**" } } }
    freshness: 30d
`);
    const summary = (gap: number, at: number) =>
      doc(`siem/summary-${at}.json`, at, { attributes: { path: `siem/summary-${at}.json`, maxGapHours: gap } });
    const r = statusOf(m, [summary(33404.94, t0 - DAY), summary(12, t0 - 500 * DAY)], t0, [], 'A.6.2.8');
    expect(r.status).toBe('stale'); // an old summary matched: too old, not missing
    const n = statusOf(m, [summary(33404.94, t0 - DAY), summary(48, t0 - 2 * DAY)], t0, [], 'A.6.2.8');
    expect(n.status).toBe('missing');
    expect(n.reason).toContain(': maxGapHours is 33404.94, rule needs ≤ 24');
    expect(n.cause).toMatchObject({
      cause: { kind: 'no-match', checked: [{ scope: 'folder', record: { id: `docs:siem/summary-${t0 - DAY}.json` } }] },
    });
  });

  it('names every failing source: the count and the first three in the sentence, all of them in the cause', async () => {
    const m = await mappingsFrom(policyRule);
    const runs: SourceRun[] = ['gh-e', 'gh-a', 'gh-d', 'gh-c', 'gh-b'].map((source) => ({
      source,
      sourceType: 'folder',
      at: t0 - DAY,
      status: 'failed',
      error: 'HTTP 401',
    }));
    const r = statusOf(m, [], t0, runs);
    expect(r.status).toBe('collection-failed');
    expect(r.reason).toMatch(/^5 sources failed: gh-a, gh-b, gh-c and 2 more; "gh-a" failed at /);
    expect(r.cause.kind === 'rule' && r.cause.cause.kind === 'collection-failed' && r.cause.cause.sources).toEqual(
      ['gh-a', 'gh-b', 'gh-c', 'gh-d', 'gh-e'].map((source) =>
        expect.objectContaining({ source, outcome: 'failed', error: 'HTTP 401' }),
      ),
    );
  });
});

describe('evaluator: properties', () => {
  it('is deterministic and independent of artifact and run order', async () => {
    const m = await mappingsFrom(
      policyRule +
        `  - id: any-doc\n    controls: [A.4.2, A.2.2]\n    select: { source: folder }\n    freshness: { maxAge: 90d, grace: 10d }\n    minCount: 2\n`,
    );
    const artifact = fc.record({
      p: fc.constantFrom('policies/a.md', 'policies/b.md', 'other/c.md', 'policies/d.md'),
      observedDay: fc.integer({ min: -900, max: 10 }),
      lagDays: fc.integer({ min: 0, max: 20 }),
    });
    const run = fc.record({ at: fc.integer({ min: -30, max: 5 }), failed: fc.boolean() });
    await assertProperty(
      fc.asyncProperty(
        fc.array(artifact, { maxLength: 25 }),
        fc.array(run, { maxLength: 5 }),
        fc.integer({ min: -100, max: 100 }),
        async (specs, runSpecs, nowDay) => {
          const arts = specs.map((s) =>
            doc(s.p, t0 + s.observedDay * DAY, { collectedAt: t0 + (s.observedDay + s.lagDays) * DAY }),
          );
          const runs: SourceRun[] = runSpecs.map((r) => ({
            source: 'docs',
            sourceType: 'folder',
            at: t0 + r.at * DAY,
            status: r.failed ? 'failed' : 'ok',
            ...(r.failed ? { error: 'boom' } : {}),
          }));
          const now = new Date(t0 + nowDay * DAY);
          const a = evaluate({ artifacts: arts, sourceRuns: runs, mappings: m, notApplicable: [], now });
          const b = evaluate({
            artifacts: [...arts].reverse(),
            sourceRuns: [...runs].reverse(),
            mappings: m,
            notApplicable: [],
            now,
          });
          const shuffled = [...arts].sort((x, y) => x.sha256.localeCompare(y.sha256) * (nowDay % 2 === 0 ? 1 : -1));
          const c = evaluate({ artifacts: shuffled, sourceRuns: runs, mappings: m, notApplicable: [], now });
          expect(b).toEqual(a);
          expect(c).toEqual(a);
          for (const r of a) expectCoherent(r);
          // Buckets prepared once answer like the plain list, and stay reusable for another date.
          const buckets = ArtifactBuckets.of(shuffled);
          expect(evaluate({ artifacts: buckets, sourceRuns: runs, mappings: m, notApplicable: [], now })).toEqual(a);
          const later = new Date(now.getTime() + 40 * DAY);
          expect(
            evaluate({ artifacts: buckets, sourceRuns: runs, mappings: m, notApplicable: [], now: later }),
          ).toEqual(evaluate({ artifacts: arts, sourceRuns: runs, mappings: m, notApplicable: [], now: later }));
        },
      ),
      { numRuns: 200, minRuns: 200 },
    );
  });
});
