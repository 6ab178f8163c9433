import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAsOf } from '../../cli/command-kit';
import { evaluate, type IndexedArtifact, type SourceRun } from '../../mappings/evaluate';
import {
  auditInstant,
  auditWindow,
  forecastReadiness,
  nextAudit,
  readyStatus,
  type AuditCalendar,
} from '../../mappings/readiness';
import { DAY, doc, mappingsFrom } from '../support/mapping-fixture';
import { assertProperty } from '../support/property';

const rules = `rules:
  - id: ai-policy
    controls: [A.2.2]
    select: { source: folder, where: { path: { glob: "policies/**" } } }
    freshness: { maxAge: 365d, grace: 30d }
  - id: reviews
    controls: [A.2.4]
    select: { source: folder, where: { path: { glob: "reviews/**" } } }
    freshness: 90d
    minCount: 2
  - id: drift
    controls: [A.6.2.6, A.2.4]
    select: { source: folder, where: { path: { glob: "monitoring/**" } } }
    freshness: { maxAge: 30d, grace: 7d }
`;

const calendar: AuditCalendar = {
  digestDaysBefore: [30, 14, 3],
  calendar: [
    { id: 'surv-2027', type: 'surveillance', date: '2027-03-14', certificationBody: 'CB' },
    { id: 'stage2', type: 'stage2', date: '2026-03-10', certificationBody: 'CB' },
    { id: 'surv-2028', type: 'surveillance', date: '2028-03-14', certificationBody: 'CB' },
  ],
};

describe('audit calendar', () => {
  it('picks the next audit whose day has not ended, and windows from the previous audit', () => {
    expect(nextAudit(calendar, new Date('2026-03-10T23:00:00Z'))?.id).toBe('stage2');
    expect(nextAudit(calendar, new Date('2026-03-11T00:00:00Z'))?.id).toBe('surv-2027');
    expect(nextAudit(calendar, new Date('2029-01-01T00:00:00Z'))).toBeUndefined();
    const w = auditWindow(calendar, calendar.calendar[0]!);
    expect(w.from.toISOString()).toBe('2026-03-11T00:00:00.000Z');
    expect(w.to.toISOString()).toBe('2027-03-14T23:59:59.999Z');
    // The first audit: one year back, or from the certification date when given.
    expect(auditWindow(calendar, calendar.calendar[1]!).from.toISOString()).toBe('2025-03-10T00:00:00.000Z');
    expect(
      auditWindow({ ...calendar, certificationDate: '2025-11-01' }, calendar.calendar[1]!).from.toISOString(),
    ).toBe('2025-11-01T00:00:00.000Z');
  });

  it('judges the audit day at the instant `status --as-of <date>` reads', () => {
    expect(auditInstant('2027-03-14').getTime()).toBe(parseAsOf('2027-03-14').getTime());
  });
});

describe('readiness forecast', () => {
  it('names what is current now and stale on the day, its rule and the day it stops being current', async () => {
    const mappings = await mappingsFrom(rules);
    const today = new Date('2027-01-01T00:00:00Z');
    const audit = calendar.calendar[0]!;
    const f = forecastReadiness({
      artifacts: [
        doc('policies/ai-policy.md', '2026-02-01T00:00:00Z'), // current until 2027-02-01, stale 2027-03-03
        doc('monitoring/drift-1.md', '2026-12-20T00:00:00Z'), // stale long before the audit
        doc('reviews/r1.md', '2026-12-01T00:00:00Z'),
        doc('reviews/r2.md', '2026-12-02T00:00:00Z'),
      ],
      sourceRuns: [],
      mappings,
      notApplicable: [],
      today,
      audit,
      window: auditWindow(calendar, audit),
    });
    const policy = f.controls.find((c) => c.control.id === 'A.2.2')!;
    expect(policy.now.status).toBe('current');
    expect(policy.ready).toBe(false);
    expect(policy.refresh).toEqual({
      rule: 'ai-policy',
      statusNow: 'current',
      statusAtAudit: 'stale',
      currentUntil: '2027-02-01T00:00:00.000Z',
      staleOn: '2027-03-03T00:00:00.000Z',
      daysBeforeAudit: 41,
    });
    // Drift stops being current first (2027-01-19) and decides A.2.4 too (the earliest of two stale rules).
    expect(f.mustRefresh.slice(0, 2)).toEqual(['A.2.4', 'A.6.2.6']);
    expect(f.controls.find((c) => c.control.id === 'A.2.4')!.refresh?.rule).toBe('drift');
    expect(f.mustRefresh).toContain('A.2.2');
    // The policy predates the window (from 2026-03-11): current today, yet nothing observed in the window.
    expect(f.noEvidenceInWindow).toContain('A.2.2');
    expect(f.noEvidenceInWindow).toContain('A.3.2'); // unmapped: no evidence anywhere
    expect(f.noEvidenceInWindow).not.toContain('A.6.2.6');
    expect(f.noEvidenceInWindow).not.toContain('A.2.4');
    expect(f.daysToAudit).toBe(73);
  });

  it('for any evidence and audit date, the forecast equals the evaluation as of the audit date', async () => {
    const mappings = await mappingsFrom(rules);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const paths = ['policies/p.md', 'reviews/a.md', 'reviews/b.md', 'monitoring/d.md', 'other/x.md'];
    const artifact = fc
      .record({
        p: fc.constantFrom(...paths),
        observedDay: fc.integer({ min: 0, max: 500 }),
        lagDays: fc.integer({ min: 0, max: 20 }),
      })
      .map(({ p, observedDay, lagDays }) => ({ p, observed: t0 + observedDay * DAY, lag: lagDays * DAY }));
    const run = fc.record({
      day: fc.integer({ min: 0, max: 500 }),
      status: fc.constantFrom<SourceRun['status']>('ok', 'partial', 'failed'),
    });
    assertProperty(
      fc.property(
        fc.array(artifact, { maxLength: 12 }),
        fc.array(run, { maxLength: 3 }),
        fc.integer({ min: 0, max: 520 }),
        fc.integer({ min: 0, max: 400 }),
        fc.boolean(),
        (arts, runs, todayDay, aheadDays, excludeDrift) => {
          const today = t0 + todayDay * DAY;
          // What the store holds today: only records collected by then.
          const artifacts: IndexedArtifact[] = arts
            .map((a) => doc(a.p, a.observed, { collectedAt: a.observed + a.lag }))
            .filter((a) => a.collectedAt <= today);
          const sourceRuns: SourceRun[] = runs
            .filter((r) => t0 + r.day * DAY <= today)
            .map((r) => ({ source: 'docs', sourceType: 'folder', at: t0 + r.day * DAY, status: r.status }));
          const date = new Date(today + aheadDays * DAY).toISOString().slice(0, 10);
          const audit = { id: 'next', type: 'surveillance' as const, date, certificationBody: 'CB' };
          const notApplicable = excludeDrift ? [{ control: 'A.6.2.6', justification: 'not used' }] : [];
          const f = forecastReadiness({
            artifacts,
            sourceRuns,
            mappings,
            notApplicable,
            today: new Date(today),
            audit,
            window: { from: new Date(today - 365 * DAY), to: auditInstant(date) },
          });
          const asOf = evaluate({ artifacts, sourceRuns, mappings, notApplicable, now: parseAsOf(date) });
          expect(f.controls.map((c) => c.atAudit)).toEqual(asOf);
          // Refresh lists exactly the controls ready today and not on the day.
          const today_ = evaluate({ artifacts, sourceRuns, mappings, notApplicable, now: new Date(today) });
          const expected = asOf
            .filter((r, i) => readyStatus(today_[i]!.status) && !readyStatus(r.status))
            .map((r) => r.control.id)
            .sort();
          expect([...f.mustRefresh].sort()).toEqual(expected);
          expect(f.notReady).toEqual(asOf.filter((r) => !readyStatus(r.status)).map((r) => r.control.id));
        },
      ),
      { numRuns: 150, minRuns: 150 },
    );
  });
});
