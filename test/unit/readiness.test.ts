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
  - id: management-review
    controls: ["9.3"]
    select: { source: folder, where: { path: { glob: "reviews/**" } } }
    freshness: { maxAge: 365d, grace: 30d }
  - id: internal-audit
    controls: ["9.2", "9.3"]
    select: { source: folder, where: { path: { glob: "audits/**" } } }
    freshness: 180d
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
    // Management review (9.3) from the same reviews: current until 2027-12-01, ready on the day; no internal
    // audit report anywhere, so 9.2 is missing already, and unmapped clauses (4.1) are missing too.
    const review = f.clauses.controls.find((c) => c.control.id === '9.3')!;
    expect(review.now.status).toBe('missing'); // internal-audit, its second rule, has nothing
    expect(f.clauses.notReady).toContain('9.2');
    expect(f.clauses.notReady).toContain('4.1');
    expect(f.clauses.mustRefresh).toEqual([]);
    expect(f.clauses.noEvidenceInWindow).not.toContain('9.3');
    expect(f.clauses.noEvidenceInWindow).toContain('9.2');
    expect(f.notReady.every((id) => id.startsWith('A.'))).toBe(true);
  });

  it('forecasts a clause going stale before the audit like a control', async () => {
    const mappings = await mappingsFrom(rules);
    const audit = calendar.calendar[0]!;
    const f = forecastReadiness({
      artifacts: [
        doc('reviews/r1.md', '2026-01-10T00:00:00Z'), // management review current until 2027-01-10
        doc('audits/ia-2026.md', '2026-12-01T00:00:00Z'), // internal audit current until 2027-05-30
      ],
      sourceRuns: [],
      mappings,
      notApplicable: [],
      today: new Date('2027-01-01T00:00:00Z'),
      audit,
      window: auditWindow(calendar, audit),
    });
    expect(f.clauses.mustRefresh).toEqual(['9.3']);
    expect(f.clauses.controls.find((c) => c.control.id === '9.3')!.refresh).toMatchObject({
      rule: 'management-review',
      statusNow: 'due-soon', // inside its warning window on 2027-01-01, still ready today
      currentUntil: '2027-01-10T00:00:00.000Z',
    });
    expect(f.clauses.controls.find((c) => c.control.id === '9.2')!.ready).toBe(true);
    // The clause never leaks into the Annex A lists.
    expect(f.mustRefresh).not.toContain('9.3');
    expect(f.controls.some((c) => c.control.id === '9.3')).toBe(false);
  });

  it('for any evidence and audit date, the forecast equals the evaluation as of the audit date', async () => {
    const mappings = await mappingsFrom(rules);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const paths = ['policies/p.md', 'reviews/a.md', 'reviews/b.md', 'monitoring/d.md', 'audits/i.md', 'other/x.md'];
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
          // The clauses likewise: the forecast is `status --catalog clauses --as-of <audit date>`.
          const clausesAsOf = evaluate({
            artifacts,
            sourceRuns,
            mappings,
            notApplicable,
            now: parseAsOf(date),
            catalog: 'clauses',
          });
          expect(f.clauses.controls.map((c) => c.atAudit)).toEqual(clausesAsOf);
          expect(f.clauses.controls.find((c) => c.control.id === '9.3')!.atAudit.rules.map((r) => r.rule)).toEqual([
            'management-review',
            'internal-audit',
          ]);
          const clausesToday = evaluate({
            ...{ artifacts, sourceRuns, mappings, notApplicable },
            now: new Date(today),
            catalog: 'clauses',
          });
          expect([...f.clauses.mustRefresh].sort()).toEqual(
            clausesAsOf
              .filter((r, i) => readyStatus(clausesToday[i]!.status) && !readyStatus(r.status))
              .map((r) => r.control.id)
              .sort(),
          );
          expect(f.clauses.notReady).toEqual(
            clausesAsOf.filter((r) => !readyStatus(r.status)).map((r) => r.control.id),
          );
        },
      ),
      { numRuns: 150, minRuns: 150 },
    );
  });
});
