import { describe, expect, it } from 'vitest';
import { compilePredicate, compileSelector, compileWhere, requiredLiteral } from '../../mappings/select';

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
