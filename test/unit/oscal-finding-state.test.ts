import { describe, expect, it } from 'vitest';
import { findingState } from '../../evidence/export/oscal';
import { statuses, type ControlStatus } from '../../mappings/evaluate';

/**
 * OSCAL `satisfied` only for evidence that is current (inside its max age), never for design-only,
 * unverified, overdue, stale, missing, exception, a failed collection, nothing exercised or nothing
 * configured (issue 16, "Words that mislead").
 */
const expected: Record<ControlStatus, ReturnType<typeof findingState>> = {
  current: { state: 'satisfied', reason: 'pass' },
  'due-soon': { state: 'satisfied', reason: 'pass' },
  overdue: { state: 'not-satisfied', reason: 'fail' },
  stale: { state: 'not-satisfied', reason: 'fail' },
  missing: { state: 'not-satisfied', reason: 'fail' },
  exception: { state: 'not-satisfied', reason: 'fail' },
  'design-only': { state: 'not-satisfied', reason: 'fail' },
  unverified: { state: 'not-satisfied', reason: 'fail' },
  'collection-failed': { state: 'not-satisfied', reason: 'other' },
  'not-exercised': { state: 'not-satisfied', reason: 'other' },
  'not-configured': { state: 'not-satisfied', reason: 'other' },
  'not-applicable': { state: 'not-satisfied', reason: 'fail' },
};

describe('OSCAL finding state per status', () => {
  it.each(statuses.map((s) => [s, expected[s]] as const))('%s -> %j', (status, state) => {
    expect(findingState({ status })).toEqual(state);
  });
});
