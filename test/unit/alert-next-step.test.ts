import { describe, expect, it } from 'vitest';
import { nextStep, refreshBefore, ruleNextStep } from '../../alerts/next-step';
import type { CollectionFailedCause, EvidenceCause, FailedSource, RuleCause } from '../../mappings/causes';

const now = new Date('2026-03-10T09:00:00Z');
const DAY = 86_400_000;
const deciding = {
  id: 'docs:policies/review.md',
  observedAt: '2025-03-01T00:00:00.000Z',
  count: 1,
  dateKind: 'effective' as const,
};
const maxAge = { ms: 365 * DAY, text: '365d' };

/**
 * One case per cause kind, keyed by kind so that a new kind in mappings/causes.ts fails to compile here until
 * it has a next step (or is shown to need none).
 */
const cases = {
  'needs-upload': {
    cause: { kind: 'needs-upload', rule: 'review-record', uploadTopics: ['management-review'] },
    step: 'upload the 2026 management-review record (evidence-hub upload --topic management-review)',
  },
  'nothing-collected': {
    cause: { kind: 'nothing-collected', rule: 'drift', scopes: ['mlflow run', 'folder'] },
    step: 'add the record for r where the hub collects it (mlflow run, folder), then sweep',
  },
  'no-match': {
    cause: {
      kind: 'no-match',
      rule: 'branch-protection',
      checked: [
        {
          scope: 'github branch-protection',
          record: { id: 'gh:bp', observedAt: '2026-03-01T00:00:00Z' },
          mismatches: [{ path: 'requiredReviews', actual: '0', op: 'gte', expected: 1 }],
        },
      ],
    },
    step: 'add a record that meets r (the newest fails on requiredReviews)',
  },
  'too-few': { cause: { kind: 'too-few', found: 1, required: 3 }, step: 'add 2 more records for r (3 needed)' },
  'state-exception': {
    cause: {
      kind: 'state-exception',
      rule: 'protected-main',
      subjects: [
        { scope: 'acme/api main', record: { id: 'gh:x', observedAt: '2026-03-01T00:00:00Z' }, mismatches: [] },
      ],
    },
    step: 'fix acme/api main so it meets r',
  },
  current: { cause: { kind: 'current', deciding, maxAge, currentUntil: '2026-03-01T00:00:00.000Z' }, step: undefined },
  'due-soon': {
    cause: {
      kind: 'due-soon',
      deciding,
      maxAge,
      warnBefore: { ms: 14 * DAY, text: '14d' },
      currentUntil: '2026-03-21T00:00:00.000Z',
      staleAt: '2026-03-21T00:00:00.000Z',
    },
    step: 'refresh r before 2026-03-21',
  },
  'in-grace': {
    cause: { kind: 'in-grace', deciding, maxAge, graceEndsAt: '2026-03-31T00:00:00.000Z' },
    step: 'refresh r by 2026-03-31 (grace ends)',
  },
  'too-old': {
    cause: { kind: 'too-old', deciding, maxAge, ageMs: 375 * DAY },
    step: 'refresh r now: it was due by 2026-03-01',
  },
  'version-mismatch': {
    cause: {
      kind: 'version-mismatch',
      record: { id: 'docs:ack', observedAt: '2026-01-01T00:00:00Z', version: '2025.1' },
      current: { rule: 'ai-policy', id: 'docs:policy', version: '2026.1' },
    },
    step: 'record r for version 2026.1 of ai-policy',
  },
  undated: {
    cause: {
      kind: 'undated',
      record: { id: 'docs:raci.md', observedAt: '2026-01-01T00:00:00Z', dateKind: 'file-time' },
      maxAge,
    },
    step: 'add an effective, approval or review date to the front matter of docs:raci.md',
  },
  'design-only': {
    cause: {
      kind: 'design-only',
      designRule: 'log-policy',
      design: { id: 'docs:log-policy.md', observedAt: '2026-01-01T00:00:00Z', dateKind: 'effective' },
      operatingRule: 'log-reviews',
      operating: { kind: 'needs-upload', rule: 'log-reviews', uploadTopics: ['log-review'] },
    },
    step: 'upload the 2026 log-review record (evidence-hub upload --topic log-review)',
  },
  'not-configured': {
    cause: { kind: 'not-configured', rule: 'jira-concerns', sourceTypes: ['jira'] },
    step: 'configure a jira source for r',
  },
  'no-changes': {
    cause: { kind: 'no-changes', windowMs: 365 * DAY, requirement: 'a record per change' },
    step: undefined,
  },
  'changes-recorded': {
    cause: { kind: 'changes-recorded', changes: 2, windowMs: 365 * DAY, requirement: 'a record per change' },
    step: undefined,
  },
  'changes-in-grace': {
    cause: { kind: 'changes-in-grace', inGrace: ['CR-1', 'CR-2'] },
    step: 'record CR-1, CR-2 before the grace period ends',
  },
  'changes-overdue': {
    cause: { kind: 'changes-overdue', changes: 5, overdue: ['CR-1', 'CR-2', 'CR-3', 'CR-4'], inGrace: [] },
    step: 'record the overdue changes CR-1, CR-2, CR-3 and 1 more',
  },
  'per-system': {
    cause: {
      kind: 'per-system',
      requirement: 'max age 365d',
      systems: [
        {
          system: 'route-optimizer',
          status: 'stale',
          record: { id: 'ia-1', observedAt: '2025-01-01T00:00:00Z', dateKind: 'effective' },
          ageMs: 400 * DAY,
        },
        { system: 'chat-assistant', status: 'missing' },
        { system: 'defect-detector', status: 'in-grace', graceEndsAt: '2027-01-01T00:00:00Z' },
        { system: 'old-bot', status: 'retired', retiredOn: '2026-01-01' },
      ],
      unknown: [],
      unnamed: 0,
    },
    step: 'record r for route-optimizer, chat-assistant',
  },
} satisfies { [K in EvidenceCause['kind']]: { cause: Extract<EvidenceCause, { kind: K }>; step: string | undefined } };

function failed(errorType: string | undefined, outcome: FailedSource['outcome'] = 'failed'): CollectionFailedCause {
  const source: FailedSource = {
    source: 'jira-main',
    sourceType: 'jira',
    outcome,
    at: '2026-03-10T08:00:00Z',
    // The message a connector reports: the next step must not depend on (or repeat) it.
    error: 'HTTP 401 from https://jira.example.com for token abc123',
    ...(errorType !== undefined ? { errorType } : {}),
  };
  return {
    kind: 'collection-failed',
    sources: [source],
    ...source,
    consequence: { kind: 'goes-stale', at: '2026-03-20T00:00:00Z', inMs: 10 * DAY },
    evidence: cases['due-soon'].cause,
  };
}

/** `ruleNextStep` is given the deciding rule's id ('r' here); the causes' own rule fields are that same id in use. */
describe('next step from the structured cause', () => {
  for (const [kind, c] of Object.entries(cases)) {
    it(`${kind}: ${c.step ?? 'nothing to do'}`, () => {
      expect(ruleNextStep('r', c.cause as RuleCause, now)).toBe(c.step);
    });
  }

  it('collection-failed: by the recorded error class, never by the error text', () => {
    const step = (t: string | undefined) => ruleNextStep('r', failed(t), now);
    expect(step('CredentialsError')).toBe(
      're-run the jira-main collector: token expired, revoked or missing a scope; renew the credentials first',
    );
    expect(step('RateLimitError')).toBe('wait for the jira-main rate limit to reset and re-run the collector');
    expect(step('SourceUnavailableError')).toBe('re-run the jira-main collector once jira is reachable again');
    expect(step('SourceConfigError')).toContain('fix the jira-main source in the config');
    expect(step('SourceContentError')).toContain('fix what the jira-main collector reads');
    // The text says 401, but without a recorded class nothing is guessed from it.
    expect(step(undefined)).toBe(
      "check the jira-main collector's error and re-run it (evidence-hub sweep --sources jira-main)",
    );
    for (const t of ['CredentialsError', 'RateLimitError', undefined]) expect(step(t)).not.toContain('abc123');
    expect(ruleNextStep('r', failed(undefined, 'partial'), now)).toBe(
      'fix the problems the jira-main collector reported and re-run it',
    );
  });

  it('source-problems: what the evidence owes, then the collector to fix', () => {
    const cause: RuleCause = {
      kind: 'source-problems',
      sources: [{ source: 'siem', sourceType: 'siem', outcome: 'partial', at: '2026-03-10T08:00:00Z' }],
      evidence: cases['too-old'].cause,
    };
    expect(ruleNextStep('r', cause, now)).toBe(
      'refresh r now: it was due by 2026-03-01; fix the problems the siem collector reported and re-run',
    );
  });

  it('control causes: the deciding rule, an unmapped control, an excluded one', () => {
    expect(nextStep({ kind: 'rule', rule: 'r', rules: 2, cause: cases['due-soon'].cause }, now)).toBe(
      'refresh r before 2026-03-21',
    );
    expect(nextStep({ kind: 'unmapped' }, now)).toBe('map the control to evidence in a mapping file');
    expect(nextStep({ kind: 'not-applicable', justification: 'no AI suppliers', soa: {} }, now)).toBeUndefined();
  });

  it('the year of an upload is the evaluation year', () => {
    const c = cases['needs-upload'].cause;
    expect(ruleNextStep('r', c, new Date('2027-01-02T00:00:00Z'))).toContain(
      'upload the 2027 management-review record',
    );
    expect(ruleNextStep('r', { ...c, uploadTopics: [] }, now)).toBe('add the 2026 record for r');
  });

  it('refreshBefore: with and without a date', () => {
    expect(refreshBefore('ai-policy-review', '2027-02-01T00:00:00.000Z')).toBe(
      'refresh ai-policy-review before 2027-02-01',
    );
    expect(refreshBefore('ai-policy-review', undefined)).toBe('refresh ai-policy-review');
  });
});
