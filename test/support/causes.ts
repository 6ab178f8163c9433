import type { ControlCause, EvidenceCause } from '../../mappings/causes';
import type { ControlStatus } from '../../mappings/evaluate';

/** Causes for hand-made ControlResults: plausible for the status, nothing the tests depend on. */
const ruleCauses: Record<Exclude<ControlStatus, 'not-applicable' | 'collection-failed'>, EvidenceCause> = {
  current: { kind: 'changes-recorded', changes: 1, windowMs: 30 * 86_400_000, requirement: 'a record per change' },
  'due-soon': { kind: 'changes-in-grace', inGrace: ['v1'] },
  overdue: {
    kind: 'in-grace',
    deciding: { id: 'fixture:doc', observedAt: '2025-01-01T00:00:00.000Z', count: 1, dateKind: 'effective' },
    maxAge: { ms: 365 * 86_400_000, text: '365d' },
    graceEndsAt: '2026-01-31T00:00:00.000Z',
  },
  stale: { kind: 'changes-overdue', changes: 1, overdue: ['v1'], inGrace: [] },
  missing: { kind: 'nothing-collected', rule: 'fixture-rule', scopes: ['fixture'] },
  'not-exercised': { kind: 'no-changes', windowMs: 30 * 86_400_000, requirement: 'a record per change' },
  'not-configured': { kind: 'not-configured', rule: 'fixture-rule', sourceTypes: ['fixture'] },
  'design-only': {
    kind: 'design-only',
    designRule: 'fixture-design',
    design: { id: 'fixture:doc', observedAt: '2026-01-01T00:00:00.000Z', dateKind: 'effective' },
    operatingRule: 'fixture-rule',
    operating: { kind: 'nothing-collected', rule: 'fixture-rule', scopes: ['fixture'] },
  },
  unverified: {
    kind: 'undated',
    record: { id: 'fixture:doc', observedAt: '2026-01-01T00:00:00.000Z', dateKind: 'file-time' },
    maxAge: { ms: 365 * 86_400_000, text: '365d' },
  },
  exception: {
    kind: 'state-exception',
    rule: 'fixture-rule',
    subjects: [
      {
        scope: 'fixture state',
        record: { id: 'fixture:x', observedAt: '2026-01-01T00:00:00.000Z' },
        mismatches: [{ path: 'protected', actual: 'false', op: 'eq', expected: true }],
      },
    ],
  },
};

/** The cause of a collection failure of `source`, as the evaluator describes one. */
export function sourceFailure(f: {
  source: string;
  at: string;
  error?: string;
  outcome?: 'failed' | 'partial';
  rules?: number;
  /** Further failing sources (same outcome, no error) after the first. */
  more?: string[];
}): ControlCause {
  const failed = {
    source: f.source,
    sourceType: 'fixture',
    outcome: f.outcome ?? 'failed',
    at: f.at,
    ...(f.error !== undefined ? { error: f.error } : {}),
  };
  return {
    kind: 'rule',
    rule: 'fixture-rule',
    rules: f.rules ?? 1,
    cause: {
      kind: 'collection-failed',
      sources: [failed, ...(f.more ?? []).map((source) => ({ ...failed, source, error: undefined }))].map(
        ({ error, ...rest }) => (error !== undefined ? { ...rest, error } : rest),
      ),
      ...failed,
      consequence: { kind: 'no-due-date' },
      evidence: ruleCauses.current,
    },
  };
}

export function causeFor(status: ControlStatus): ControlCause {
  if (status === 'not-applicable') return { kind: 'not-applicable', justification: 'out of scope', soa: {} };
  if (status === 'collection-failed')
    return sourceFailure({ source: 'fixture-source', at: '2026-01-01T00:00:00.000Z', error: 'boom' });
  return { kind: 'rule', rule: 'fixture-rule', rules: 1, cause: ruleCauses[status] };
}
