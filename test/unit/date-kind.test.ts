import { describe, expect, it } from 'vitest';
import { dateKindOf, type DateKind } from '../../mappings/date-kind';
import { evaluate } from '../../mappings/evaluate';
import { DAY, doc, mappingsFrom } from '../support/mapping-fixture';

/** "observed <date>" says which date it is: the kind comes from the record, the words from reasons.ts. */
describe('date kinds', () => {
  it.each([
    // [attributes the connector recorded, kind]
    [{ dateSource: 'effective', observedAtFrom: 'front-matter:effective_date' }, 'effective'],
    [{ dateSource: 'approved', observedAtFrom: 'front-matter:approved' }, 'approved'],
    [{ dateSource: 'reviewed', observedAtFrom: 'front-matter:review_date' }, 'reviewed'],
    [{ dateSource: 'pdf-modified', observedAtFrom: 'pdf.modificationDate' }, 'pdf-modified'],
    [{ dateSource: 'file-time', observedAtFrom: 'mtime' }, 'file-time'],
    [{ observedAtFrom: 'sidecar:effective_date', dateSource: 'effective' }, 'effective'], // manual record
    [{ observedAtFrom: 'published_at' }, 'published'], // GitHub release
    [{ observedAtFrom: 'merged_at' }, 'event'], // GitHub pull request
    [{ observedAtFrom: 'resolved' }, 'event'], // Jira issue
    [{ observedAtFrom: 'last-event' }, 'event'], // SIEM export
    [{ observedAtFrom: 'response-date' }, 'snapshot'], // GitHub branch protection
    [{ observedAtFrom: 'collection' }, 'snapshot'], // registry state
    [{ observedAtFrom: 'last-commit' }, 'committed'],
    [{ observedAtFrom: 'last-modified' }, 'file-time'],
    [{}, 'unknown'],
    [{ observedAtFrom: 'something-new' }, 'unknown'],
  ] as const)('%j -> %s', (attributes, kind) => {
    expect(dateKindOf({ attributes })).toBe(kind);
  });

  it.each([
    ['effective', 'effective 2026-01-01'],
    ['approved', 'approved 2026-01-01'],
    ['reviewed', 'reviewed 2026-01-01'],
  ] as const)('a document dated %s is named so in the reason and in the cause', async (source: DateKind, words) => {
    const m = await mappingsFrom(
      'rules:\n  - id: p\n    controls: [A.2.2]\n    select: { source: folder }\n    freshness: 365d\n',
    );
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const a = doc('policy.md', t0, { attributes: { path: 'policy.md', dateSource: source } });
    const [r] = evaluate({
      artifacts: [a],
      sourceRuns: [],
      mappings: m,
      notApplicable: [],
      now: new Date(t0 + 10 * DAY),
    }).filter((c) => c.control.id === 'A.2.2');
    expect(r!.reason).toBe(`newest evidence docs:policy.md ${words}, current until 2027-01-01 (max age 365d)`);
    expect(r!.cause).toMatchObject({ kind: 'rule', cause: { kind: 'current', deciding: { dateKind: source } } });
  });
});
