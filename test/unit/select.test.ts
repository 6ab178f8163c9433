import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import type { Predicate, Where } from '../../mappings/schema';
import {
  compilePredicate,
  compileSelector,
  compileSelectorGroup,
  compileSelectors,
  compileWhere,
  explainMismatch,
  MatcherContext,
  requiredLiteral,
} from '../../mappings/select';
import { assertProperty } from '../support/property';

describe('attribute predicates', () => {
  const attrs = {
    path: 'policies/ai-policy.md',
    version: 3,
    approved: true,
    labels: ['ai-risk', 'q4'],
    effective: '2026-03-01T00:00:00Z',
    frontMatter: { owner: 'Compliance', reviewers: 2 },
    empty: null,
  };

  it.each([
    [{ path: 'policies/ai-policy.md' }, true],
    [{ path: 'policies/other.md' }, false],
    [{ version: 3 }, true],
    [{ approved: true }, true],
    [{ path: { eq: 'policies/ai-policy.md' } }, true],
    [{ path: { ne: 'policies/ai-policy.md' } }, false],
    [{ version: { in: [1, 2, 3] } }, true],
    [{ version: { in: [1, 2] } }, false],
    [{ path: { glob: 'policies/ai-*' } }, true],
    [{ path: { glob: 'procedures/**' } }, false],
    [{ path: { regex: '^policies/.+\\.md$' } }, true],
    [{ path: { regex: '\\.pdf$' } }, false],
    [{ version: { gt: 2 } }, true],
    [{ version: { gt: 3 } }, false],
    [{ version: { gte: 3, lte: 3 } }, true],
    [{ version: { lt: 3 } }, false],
    [{ effective: { gte: '2026-03-01' } }, true],
    [{ effective: { lt: '2026-02-28' } }, false],
    [{ effective: { gt: 5 } }, false], // a date never compares with a number
    [{ 'frontMatter.owner': 'Compliance' }, true],
    [{ 'frontMatter.reviewers': { gte: 2 } }, true],
    [{ 'frontMatter.missing': { exists: false } }, true],
    [{ 'frontMatter.owner': { exists: true } }, true],
    [{ empty: { exists: true } }, false],
    [{ labels: 'ai-risk' }, true],
    [{ labels: { glob: 'q*' } }, true],
    [{ labels: 'none' }, false],
    [{ all: [{ version: 3 }, { approved: true }] }, true],
    [{ all: [{ version: 3 }, { approved: false }] }, false],
    [{ any: [{ version: 4 }, { approved: true }] }, true],
    [{ any: [{ version: 4 }, { approved: false }] }, false],
    [{ not: { version: 4 } }, true],
    [{ not: { any: [{ version: 3 }] } }, false],
    [{ path: { glob: 'policies/*' }, version: 4 }, false],
  ])('%j → %s', (where, expected) => {
    expect(compileWhere(where as never)(attrs)).toBe(expected);
    // The slow-path explanation agrees with the compiled test: nothing to explain exactly when it matches.
    expect(explainMismatch(where as Where, attrs).length === 0).toBe(expected);
  });

  it('explains a mismatch test by test, with the actual values', () => {
    const summary = { maxGapHours: 33404.94, protected: false, labels: ['a', 'b'], path: 'x'.repeat(100) };
    expect(explainMismatch({ maxGapHours: { lte: 24, gte: 0 }, protected: true }, summary)).toEqual([
      { path: 'maxGapHours', actual: '33404.94', op: 'lte', expected: 24 },
      { path: 'protected', actual: 'false', op: 'eq', expected: true },
    ]);
    expect(explainMismatch({ present: true, labels: 'c' }, summary)).toEqual([
      { path: 'present', op: 'eq', expected: true },
      { path: 'labels', actual: '["a","b"]', op: 'eq', expected: 'c' },
    ]);
    const [long] = explainMismatch({ path: { glob: 'policies/**' } }, summary);
    expect(long).toMatchObject({ op: 'glob', actual: expect.stringMatching(/^"x{78}…$/) });
    expect(explainMismatch({ not: { protected: false } }, summary)).toEqual([
      { op: 'excluded', where: '{"protected":false}' },
    ]);
    expect(explainMismatch({ any: [{ protected: true }, { maxGapHours: { lt: 1 } }] }, summary)).toEqual([
      {
        op: 'none-of',
        alternatives: [
          [{ path: 'protected', actual: 'false', op: 'eq', expected: true }],
          [{ path: 'maxGapHours', actual: '33404.94', op: 'lt', expected: 1 }],
        ],
      },
    ]);
  });

  it('numeric comparisons ignore non-numbers instead of coercing', () => {
    expect(compilePredicate({ gt: 1 })('5')).toBe(false);
    expect(compilePredicate({ lt: '2026-01-01' })('not a date')).toBe(false);
  });

  it('selectors match source type, optional source id and kind', () => {
    const a = { source: 'policy-repo', sourceType: 'folder', kind: 'document', attributes: {} };
    expect(compileSelector({ source: 'folder' })(a)).toBe(true);
    expect(compileSelector({ source: 'folder', sourceId: 'policy-repo', kind: 'document' })(a)).toBe(true);
    expect(compileSelector({ source: 'folder', sourceId: 'other' })(a)).toBe(false);
    expect(compileSelector({ source: 'manual' })(a)).toBe(false);
    expect(compileSelector({ source: 'folder', kind: 'record' })(a)).toBe(false);
  });
});

describe('glob pre-check', () => {
  it('only uses a literal every match must contain', async () => {
    expect(requiredLiteral('**/*development-process*')).toBe('development-process');
    expect(requiredLiteral('policies/ai-policy.*')).toBe('policies/ai-policy.');
    expect(requiredLiteral('**/*.{md,pdf}')).toBeUndefined();
    expect(requiredLiteral('**/[abc]x')).toBeUndefined();
    expect(requiredLiteral('*')).toBeUndefined();
    expect(requiredLiteral('**/monitoring/**')).toBe('monitoring');
    for (const [glob, path, expected] of [
      ['**/*development-process*', 'eng/development-process.md', true],
      ['**/*development-process*', 'eng/dev-process.md', false],
      ['policies/ai-policy.*', 'policies/ai-policy.md', true],
      ['policies/ai-policy.*', 'policies/ai-policy-review.md', false],
      ['**/monitoring/**', 'monitoring/drift.md', true],
      ['**/monitoring/**', 'ops/monitoring/drift.md', true],
      ['**/monitoring/**', 'monitoring.md', false],
    ] as const) {
      expect(compilePredicate({ glob })(path), `${glob} ${path}`).toBe(expected);
    }
  });
});

/**
 * The generated matchers against a plain reading of the format (docs/mappings.md): for any attributes and
 * any where-tree, the compiled test, the group test and this reference must agree.
 */
describe('generated matchers agree with the reference semantics', () => {
  const reference = {
    value(pred: Predicate, v: unknown): boolean {
      const any = (t: (x: unknown) => boolean) => (Array.isArray(v) ? v.some(t) : t(v));
      if (typeof pred !== 'object') return any((x) => x === pred);
      const checks: boolean[] = [];
      if (pred.exists !== undefined) checks.push((v !== undefined && v !== null) === pred.exists);
      if (pred.eq !== undefined) checks.push(any((x) => x === pred.eq));
      if (pred.ne !== undefined) checks.push(!any((x) => x === pred.ne));
      if (pred.in !== undefined) checks.push(any((x) => pred.in!.includes(x as never)));
      if (pred.glob !== undefined)
        checks.push(any((x) => typeof x === 'string' && picomatch.isMatch(x, pred.glob!, { dot: true })));
      if (pred.regex !== undefined)
        checks.push(any((x) => typeof x === 'string' && new RegExp(pred.regex!, 'u').test(x)));
      for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
        const b = pred[op];
        if (b === undefined) continue;
        const cmp = (x: number, y: number) =>
          op === 'gt' ? x > y : op === 'gte' ? x >= y : op === 'lt' ? x < y : x <= y;
        checks.push(
          any((x) =>
            typeof b === 'number'
              ? typeof x === 'number' && cmp(x, b)
              : typeof x === 'string' && cmp(Date.parse(x), Date.parse(b)),
          ),
        );
      }
      return checks.every(Boolean);
    },
    where(w: Where, attrs: Record<string, unknown>): boolean {
      if ('all' in w && Array.isArray(w.all)) return (w.all as Where[]).every((x) => reference.where(x, attrs));
      if ('any' in w && Array.isArray(w.any)) return (w.any as Where[]).some((x) => reference.where(x, attrs));
      if ('not' in w && typeof w.not === 'object' && !Array.isArray(w.not))
        return !reference.where(w.not as Where, attrs);
      return Object.entries(w as Record<string, Predicate>).every(([path, pred]) => {
        let cur: unknown = attrs;
        for (const k of path.split('.'))
          cur =
            cur !== null && typeof cur === 'object' && !Array.isArray(cur)
              ? (cur as Record<string, unknown>)[k]
              : undefined;
        return reference.value(pred, cur);
      });
    },
  };

  const words = [
    'policies/ai-policy.md',
    'ops/monitoring/drift.md',
    'raci.md',
    'q4',
    'ai-risk',
    '2026-03-01',
    'x"y',
    'a\\b',
  ];
  const scalarArb = fc.oneof(fc.constantFrom(...words), fc.integer({ min: -3, max: 5 }), fc.boolean());
  const valueArb = fc.oneof(
    scalarArb,
    fc.constant(null),
    fc.array(scalarArb, { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('owner', 'type'), scalarArb, { maxKeys: 2 }),
  );
  const attrsArb = fc.dictionary(fc.constantFrom('path', 'version', 'labels', 'frontMatter'), valueArb, { maxKeys: 4 });
  const pathArb = fc.constantFrom(
    'path',
    'version',
    'labels',
    'frontMatter',
    'frontMatter.type',
    'frontMatter.owner',
    'missing.deep',
  );
  const predArb: fc.Arbitrary<Predicate> = fc.oneof(
    scalarArb,
    fc
      .record(
        {
          eq: scalarArb,
          ne: scalarArb,
          in: fc.array(scalarArb, { minLength: 1, maxLength: 3 }),
          glob: fc.constantFrom(
            '**/*policy*',
            'policies/*',
            '**/monitoring/**',
            '*.md',
            'q*',
            '**/*.{md,pdf}',
            '**/*raci*',
          ),
          regex: fc.constantFrom('^ai', 'md$', '\\d'),
          gt: fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom('2026-01-01', '2027-01-01')),
          lte: fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom('2026-03-01', 'not a date')),
          exists: fc.boolean(),
        },
        { requiredKeys: [] },
      )
      .filter((p) => Object.keys(p).length > 0),
  );
  const whereArb: fc.Arbitrary<Where> = fc.letrec<{ where: Where }>((tie) => ({
    where: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.dictionary(pathArb, predArb, { minKeys: 1, maxKeys: 2 }) as fc.Arbitrary<Where>,
      fc.record({ all: fc.array(tie('where'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ any: fc.array(tie('where'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ not: tie('where') }),
    ),
  })).where;

  it('compileWhere and compileSelectorGroup give the reference answer (property)', () => {
    assertProperty(
      fc.property(
        fc.array(whereArb, { minLength: 1, maxLength: 4 }),
        fc.array(attrsArb, { minLength: 1, maxLength: 6 }),
        (wheres, attrsList) => {
          const ctx = new MatcherContext();
          const selectors = wheres.map((where) => [{ source: 'folder', where }]);
          const singles = wheres.map((w) => compileWhere(w, ctx));
          const group = compileSelectorGroup(selectors, ctx);
          for (const attributes of attrsList) {
            const expected = wheres.map((w) => reference.where(w, attributes));
            expect(singles.map((t) => t(attributes))).toEqual(expected);
            const active = new Uint8Array(wheres.length).fill(1);
            active[0] = 0; // an inactive rule is never reported
            const hits = new Uint8Array(wheres.length);
            const n = group({ source: 'docs', sourceType: 'folder', kind: 'document', attributes }, active, hits);
            expect([...hits].map(Boolean)).toEqual(expected.map((e, i) => e && i !== 0));
            expect(n).toBe(expected.filter((e, i) => e && i !== 0).length);
          }
        },
      ),
      { numRuns: 300, minRuns: 300 },
    );
  });

  it('values from a mapping file are data, never code', () => {
    const hostile = [
      '"; throw new Error("injected"); "',
      '\\',
      '${process.exit(1)}',
      '*/ }) || true; //',
      'line\nbreak',
      '\u2028',
      "')",
    ];
    for (const value of hostile) {
      const test = compileSelectors([
        {
          source: value,
          kind: value,
          sourceId: value,
          where: { [`frontMatter.x`]: value, path: { in: [value], ne: `${value}!` } },
        },
      ]);
      const a = {
        source: value,
        sourceType: value,
        kind: value,
        attributes: { path: value, frontMatter: { x: value } },
      };
      expect(test(a)).toBe(true);
      expect(test({ ...a, attributes: { path: `${value} `, frontMatter: { x: value } } })).toBe(false);
    }
  });
});
