import { describe, expect, it } from 'vitest';
import type { ControlCause, FailedSource, RuleCause } from '../../mappings/causes';
import { controlReason, ruleReason } from '../../mappings/reasons';

const DAY = 86_400_000;
const deciding = {
  id: 'docs:policy.md',
  observedAt: '2025-01-10T08:00:00.000Z',
  count: 1,
  dateKind: 'effective' as const,
};
const maxAge = { ms: 365 * DAY, text: '365d' };
/** A collection-failed cause's sources: all of them listed, the first one named. */
function withSources(...sources: FailedSource[]) {
  return { sources, ...sources[0]! };
}

const current: RuleCause = { kind: 'current', deciding, maxAge, currentUntil: '2026-01-10T08:00:00.000Z' };

/** One row per cause kind (the Record makes a new kind without a row a type error). */
const ruleRows: { [K in RuleCause['kind']]: [Extract<RuleCause, { kind: K }>, string][] } = {
  'needs-upload': [
    [
      { kind: 'needs-upload', rule: 'r', description: 'the AI policy', uploadTopics: ['ai-policy', 'policy'] },
      'needs a manual upload: the AI policy (evidence-hub upload FILE --topic ai-policy|policy)',
    ],
    [{ kind: 'needs-upload', rule: 'r', uploadTopics: [] }, 'needs a manual upload'],
  ],
  'nothing-collected': [
    [
      { kind: 'nothing-collected', rule: 'ai-policy', description: 'approved policy', scopes: ['folder'] },
      'nothing collected for rule "ai-policy" (approved policy) from folder',
    ],
    [
      { kind: 'nothing-collected', rule: 'bp', scopes: ['github branch-protection', 'gitlab (source gl)'] },
      'nothing collected for rule "bp" from github branch-protection or gitlab (source gl)',
    ],
  ],
  'no-match': [
    [
      {
        kind: 'no-match',
        rule: 'siem-continuity',
        checked: [
          {
            scope: 'siem continuity-summary',
            record: { id: 'soc:summary', observedAt: '2026-03-01T00:00:00.000Z' },
            mismatches: [{ path: 'maxGapHours', actual: '33404.94', op: 'lte', expected: 24 }],
          },
        ],
      },
      'collected, but no record matches rule "siem-continuity": newest siem continuity-summary record soc:summary (observed 2026-03-01): maxGapHours is 33404.94, rule needs ≤ 24',
    ],
    [
      {
        kind: 'no-match',
        rule: 'bp',
        checked: [
          {
            scope: 'github branch-protection',
            record: { id: 'gh:bp/main', observedAt: '2026-03-01T00:00:00.000Z', dateKind: 'snapshot' },
            mismatches: [{ path: 'protected', actual: 'false', op: 'eq', expected: true }],
          },
        ],
      },
      'collected, but no record matches rule "bp": newest github branch-protection record gh:bp/main (snapshot taken 2026-03-01): protected is false',
    ],
    [
      {
        kind: 'no-match',
        rule: 'bp',
        description: 'default branch protected',
        checked: [
          {
            scope: 'github branch-protection',
            record: { id: 'gh:bp/main', observedAt: '2026-03-01T00:00:00.000Z' },
            mismatches: [
              { path: 'protected', actual: 'false', op: 'eq', expected: true },
              { path: 'owner', op: 'exists', expected: true },
              { path: 'branch', actual: '"dev"', op: 'in', expected: ['main', 'master'] },
              {
                op: 'none-of',
                alternatives: [
                  [{ path: 'reviews', actual: '0', op: 'gte', expected: 1 }],
                  [{ path: 'admin', op: 'eq', expected: 'x' }],
                ],
              },
              { op: 'excluded', where: '{"archived":true}' },
            ],
          },
        ],
      },
      'collected, but no record matches rule "bp" (default branch protected): newest github branch-protection record gh:bp/main (observed 2026-03-01): protected is false, owner is absent, branch is "dev", rule needs one of "main", "master", none of: reviews is 0, rule needs ≥ 1; or admin is absent, rule needs "x", matches the excluded {"archived":true}',
    ],
  ],
  'too-few': [[{ kind: 'too-few', found: 1, required: 3 }, '1 of 3 required records exist']],
  // (no-match rows above: a record without a date kind reads "observed"; with one, the kind is named.)
  // "evidence current", never "fresh"; the date says what it is (one row per date kind, below).
  current: [
    [
      current as Extract<RuleCause, { kind: 'current' }>,
      'newest evidence docs:policy.md effective 2025-01-10, current until 2026-01-10 (max age 365d)',
    ],
    [
      { kind: 'current', deciding: { ...deciding, count: 3 }, maxAge, currentUntil: '2026-01-10T08:00:00.000Z' },
      'the 3 newest records effective 2025-01-10, current until 2026-01-10 (max age 365d)',
    ],
    ...(
      [
        ['approved', 'approved 2025-01-10'],
        ['reviewed', 'reviewed 2025-01-10'],
        ['pdf-modified', 'PDF modified 2025-01-10'],
        ['pdf-created', 'PDF created 2025-01-10'],
        ['published', 'published 2025-01-10'],
        ['event', 'event time 2025-01-10'],
        ['snapshot', 'snapshot taken 2025-01-10'],
        ['committed', 'last commit 2025-01-10'],
        ['file-time', 'file time 2025-01-10'],
        ['unknown', 'observed 2025-01-10'],
      ] as const
    ).map(([dateKind, words]): [Extract<RuleCause, { kind: 'current' }>, string] => [
      { kind: 'current', deciding: { ...deciding, dateKind }, maxAge, currentUntil: '2026-01-10T08:00:00.000Z' },
      `newest evidence docs:policy.md ${words}, current until 2026-01-10 (max age 365d)`,
    ]),
  ],
  'due-soon': [
    [
      {
        kind: 'due-soon',
        deciding,
        maxAge,
        warnBefore: { ms: 14 * DAY, text: '14d' },
        currentUntil: '2026-01-10T08:00:00.000Z',
        staleAt: '2026-02-09T08:00:00.000Z',
      },
      'due soon: newest evidence docs:policy.md effective 2025-01-10, current until 2026-01-10 (max age 365d, warning 14d before); a new record is due by then, stale after grace on 2026-02-09',
    ],
    [
      {
        kind: 'due-soon',
        deciding: { ...deciding, dateKind: 'event' },
        maxAge,
        warnBefore: { ms: 14 * DAY, text: '14d' },
        currentUntil: '2026-01-10T08:00:00.000Z',
        staleAt: '2026-01-10T08:00:00.000Z',
      },
      'due soon: newest evidence docs:policy.md event time 2025-01-10, current until 2026-01-10 (max age 365d, warning 14d before); a new record is due by then',
    ],
  ],
  'in-grace': [
    [
      { kind: 'in-grace', deciding, maxAge, graceEndsAt: '2026-02-09T08:00:00.000Z' },
      'overdue (grace): newest evidence docs:policy.md is past its max age of 365d (effective 2025-01-10); grace ends 2026-02-09',
    ],
  ],
  'too-old': [
    [
      { kind: 'too-old', deciding: { ...deciding, dateKind: 'file-time' }, maxAge, ageMs: 400 * DAY },
      'newest evidence docs:policy.md is 400d old (file time 2025-01-10); max age 365d',
    ],
  ],
  'no-changes': [
    [
      { kind: 'no-changes', windowMs: 30 * DAY, requirement: 'a model card per version' },
      'not exercised: no changes in the last 30d (a model card per version)',
    ],
  ],
  'state-exception': [
    [
      {
        kind: 'state-exception',
        rule: 'github-branch-protection',
        description: 'Default branch protected',
        subjects: [
          {
            scope: 'github branch-protection acme/app main (source gh)',
            record: { id: 'gh:acme/app/branch-protection', observedAt: '2026-03-01T10:00:00.000Z' },
            mismatches: [{ path: 'protected', actual: 'false', op: 'eq', expected: true }],
          },
        ],
      },
      'exception: the current state breaks rule "github-branch-protection" (Default branch protected): github branch-protection acme/app main (source gh) as of 2026-03-01 (gh:acme/app/branch-protection): protected is false',
    ],
  ],
  'version-mismatch': [
    [
      {
        kind: 'version-mismatch',
        record: { id: 'records:ack.csv', observedAt: '2026-03-02T00:00:00.000Z', version: '2025.1' },
        current: { rule: 'ai-policy-document', id: 'docs:ai-policy.md', version: '2026.1' },
      },
      'records:ack.csv is for version 2025.1, but the current version is 2026.1 (docs:ai-policy.md, rule "ai-policy-document"): new records for version 2026.1 are needed',
    ],
    [
      {
        kind: 'version-mismatch',
        record: { id: 'records:ack.csv', observedAt: '2026-03-02T00:00:00.000Z' },
        current: { rule: 'ai-policy-document', id: 'docs:ai-policy.md', version: '2026.1' },
      },
      'records:ack.csv names no version, but the current version is 2026.1 (docs:ai-policy.md, rule "ai-policy-document"): new records for version 2026.1 are needed',
    ],
  ],
  undated: [
    [
      {
        kind: 'undated',
        record: { id: 'docs:policy.md', observedAt: '2026-02-01T00:00:00.000Z', dateKind: 'file-time' },
        maxAge,
      },
      'unverified: document docs:policy.md has no effective, approval or review date, only its file time 2026-02-01, which is not counted (max age 365d); add effective_date, approved or review_date to its front matter (or a .meta.yaml sidecar)',
    ],
  ],
  'design-only': [
    [
      {
        kind: 'design-only',
        designRule: 'logging-decision',
        design: { id: 'docs:logging-standard.md', observedAt: '2026-01-05T00:00:00.000Z', dateKind: 'approved' },
        operatingRule: 'log-review-records',
        operating: { kind: 'nothing-collected', rule: 'log-review-records', scopes: ['manual record'] },
      },
      'design only: no operating record; "logging-decision" is current (docs:logging-standard.md, approved 2026-01-05), but "log-review-records": nothing collected for rule "log-review-records" from manual record',
    ],
  ],
  'not-configured': [
    [
      { kind: 'not-configured', rule: 'jira-incident-handling', sourceTypes: ['jira'] },
      'not configured: no jira source feeds rule "jira-incident-handling"',
    ],
  ],
  'changes-recorded': [
    [
      { kind: 'changes-recorded', changes: 4, windowMs: 30 * DAY, requirement: 'a model card per version' },
      'all 4 changes in the last 30d have a record (a model card per version)',
    ],
  ],
  'changes-in-grace': [
    [{ kind: 'changes-in-grace', inGrace: ['m@1', 'm@2'] }, '2 change(s) without a record yet, inside grace: m@1, m@2'],
  ],
  'changes-overdue': [
    [
      { kind: 'changes-overdue', changes: 9, overdue: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], inGrace: ['h'] },
      '7 of 9 change(s) have no record: a, b, c, d, e and 2 more',
    ],
  ],
  'per-system': [
    [
      {
        kind: 'per-system',
        requirement: '365d',
        systems: [
          { system: 'chat-assistant', status: 'missing' },
          { system: 'fraud-scoring', status: 'current', record: { ...deciding, id: 'docs:ia-f.md' }, ageMs: 20 * DAY },
          { system: 'legacy-ocr', status: 'retired', retiredOn: '2026-05-01T00:00:00.000Z' },
          { system: 'new-bot', status: 'in-grace', graceEndsAt: '2026-12-20T00:00:00.000Z' },
          {
            system: 'route-optimizer',
            status: 'stale',
            record: { ...deciding, id: 'docs:ia-r.md' },
            ageMs: 400 * DAY,
            dueAt: '2026-02-09T08:00:00.000Z',
          },
        ],
        unknown: [{ system: 'route-optimiser', record: 'docs:ia-x.md', didYouMean: 'route-optimizer' }],
        unnamed: 1,
      },
      'missing for chat-assistant, stale for route-optimizer (400d old), new, in grace for new-bot (missing after 2026-12-20), current for fraud-scoring (per AI system, max age 365d); retired: legacy-ocr (2026-05-01); warning: docs:ia-x.md names unknown AI system "route-optimiser" (did you mean route-optimizer?); 1 matching record(s) name no AI system',
    ],
    [
      { kind: 'per-system', requirement: '365d', systems: [], unknown: [], unnamed: 0 },
      'not exercised: no AI system in scope (per AI system, max age 365d)',
    ],
  ],
  'collection-failed': [
    [
      {
        kind: 'collection-failed',
        ...withSources({
          source: 'gh',
          sourceType: 'github',
          outcome: 'failed',
          at: '2026-01-04T09:00:00.000Z',
          error: 'CredentialsError: token expired',
        }),
        consequence: { kind: 'goes-stale', at: '2026-01-10T08:00:00.000Z', inMs: 6 * DAY },
        evidence: current,
      },
      'source "gh" failed at 2026-01-04T09:00:00.000Z: CredentialsError: token expired; evidence goes stale in 6d (2026-01-10)',
    ],
    [
      {
        kind: 'collection-failed',
        ...withSources({ source: 'jira', sourceType: 'jira', outcome: 'partial', at: '2026-01-04T09:00:00.000Z' }),
        consequence: { kind: 'already', status: 'stale' },
        evidence: { kind: 'too-old', deciding, maxAge, ageMs: 400 * DAY },
      },
      'source "jira" collected with problems at 2026-01-04T09:00:00.000Z: unknown error; evidence is already stale',
    ],
    [
      {
        kind: 'collection-failed',
        ...withSources({
          source: 'ml',
          sourceType: 'mlflow',
          outcome: 'failed',
          at: '2026-01-04T09:00:00.000Z',
          error: 'ECONNREFUSED',
        }),
        consequence: { kind: 'no-due-date' },
        evidence: { kind: 'no-changes', windowMs: 30 * DAY, requirement: 'x' },
      },
      'source "ml" failed at 2026-01-04T09:00:00.000Z: ECONNREFUSED',
    ],
    [
      {
        kind: 'collection-failed',
        ...withSources(
          ...['gh-a', 'gh-b', 'gh-c', 'gh-d', 'gh-e'].map((source) => ({
            source,
            sourceType: 'github',
            outcome: 'failed' as const,
            at: '2026-01-04T09:00:00.000Z',
            error: 'HTTP 401',
          })),
        ),
        consequence: { kind: 'already', status: 'missing' },
        evidence: { kind: 'nothing-collected', rule: 'bp', scopes: ['github'] },
      },
      '5 sources failed: gh-a, gh-b, gh-c and 2 more; "gh-a" failed at 2026-01-04T09:00:00.000Z: HTTP 401; evidence is already missing',
    ],
    [
      {
        kind: 'collection-failed',
        ...withSources(
          {
            source: 'a',
            sourceType: 'siem',
            outcome: 'partial',
            at: '2026-01-04T09:00:00.000Z',
            error: 'x.log: 1 of 3',
          },
          { source: 'b', sourceType: 'siem', outcome: 'failed', at: '2026-01-04T09:00:00.000Z' },
        ),
        consequence: { kind: 'no-due-date' },
        evidence: { kind: 'no-changes', windowMs: 30 * DAY, requirement: 'x' },
      },
      '2 sources failed or collected with problems: a, b; "a" collected with problems at 2026-01-04T09:00:00.000Z: x.log: 1 of 3',
    ],
  ],
  'source-problems': [
    [
      {
        kind: 'source-problems',
        sources: [
          {
            source: 'logs',
            sourceType: 'siem',
            outcome: 'partial',
            at: '2026-03-01T00:00:00.000Z',
            error: 'checkpoint.log: 1 of 3 lines without timestamp (missing-timestamp)',
          },
        ],
        evidence: current,
      },
      'newest evidence docs:policy.md effective 2025-01-10, current until 2026-01-10 (max age 365d); source "logs" collected with problems at 2026-03-01T00:00:00.000Z: checkpoint.log: 1 of 3 lines without timestamp (missing-timestamp)',
    ],
  ],
};

const controlRows: [ControlCause, string][] = [
  // Not-applicable rows name the SoA's version and approval, and say what the SoA does not state.
  [
    { kind: 'not-applicable', justification: 'no third parties', soa: {} },
    'not applicable (Statement of Applicability (version not stated), approval not recorded): no third parties',
  ],
  [
    {
      kind: 'not-applicable',
      justification: 'no third parties',
      soa: { version: '2026.1', approvedBy: 'J. Doe (CEO)', approvedOn: '2026-01-05' },
    },
    'not applicable (Statement of Applicability v2026.1, approved by J. Doe (CEO) on 2026-01-05): no third parties',
  ],
  [
    { kind: 'not-applicable', justification: 'no third parties', soa: { version: '3', approvedOn: '2026-01-05' } },
    'not applicable (Statement of Applicability v3, approved on 2026-01-05): no third parties',
  ],
  [{ kind: 'unmapped' }, 'no mapping rule covers this control; add one to a mapping file'],
  [
    { kind: 'rule', rule: 'ai-policy', rules: 1, cause: { kind: 'too-few', found: 0, required: 2 } },
    '0 of 2 required records exist',
  ],
  [
    { kind: 'rule', rule: 'ai-policy', rules: 2, cause: { kind: 'too-few', found: 0, required: 2 } },
    'ai-policy: 0 of 2 required records exist',
  ],
];

describe('reasons: each cause kind has its sentence', () => {
  it.each(Object.values(ruleRows).flat() as [RuleCause, string][])('%j', (cause, sentence) => {
    expect(ruleReason(cause)).toBe(sentence);
    // Causes are plain JSON: what index.json stores gives the same sentence back.
    expect(ruleReason(JSON.parse(JSON.stringify(cause)) as RuleCause)).toBe(sentence);
  });

  it.each(controlRows)('control %j', (cause, sentence) => {
    expect(controlReason(cause)).toBe(sentence);
  });
});
