import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { hubIn, signingKey } from '../support/hub-fixture';
import { writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A hub with two rules and an audit calendar around today: the previous audit 200 days ago, the next in 60. */
async function auditedHub() {
  const now = Date.now();
  const dir = await tempDir();
  const previous = ymd(now - 200 * DAY);
  const next = ymd(now + 60 * DAY);
  const fixture = await hubIn(
    dir,
    [
      'version: 1',
      'store: { path: ./store }',
      'signing: { key: { file: ./k.pem } }',
      'mappings: [./m.yaml]',
      'sources:',
      '  - { id: docs, type: folder, path: ./org }',
      'audits:',
      '  calendar:',
      `    - { id: stage2, type: stage2, date: "${previous}", certificationBody: Example Cert }`,
      `    - { id: surv-1, type: surveillance, date: "${next}", certificationBody: Example Cert, scope: all AI systems }`,
      '',
    ].join('\n'),
    {
      'm.yaml': [
        'rules:',
        '  - id: ai-policy-review',
        '    controls: [A.2.2]',
        '    select: { source: folder, where: { path: { glob: "policies/**" } } }',
        '    freshness: { maxAge: 90d, grace: 10d }',
        '  - id: drift-reports',
        '    controls: [A.6.2.6]',
        '    select: { source: folder, where: { path: { glob: "monitoring/**" } } }',
        '    freshness: 365d',
        // A management-system clause rule whose records `readiness` lists when dated in the window.
        '  - id: nonconformities',
        "    controls: ['10.2']",
        '    sinceLastAudit: nonconformities',
        '    select: { source: folder, where: { path: { glob: "ncs/**" } } }',
        '    freshness: 365d',
        '',
      ].join('\n'),
    },
  );
  const key = await signingKey(fixture.hub);
  // The policy review is current today (40 days old) and stale on the audit day (100 days old + 10 grace).
  await writeBundle(
    fixture.hub.store,
    key,
    fixture.hub.mappings,
    'b1',
    { 'policies/ai.md': 'policy' },
    new Date(now - 40 * DAY),
  );
  await writeBundle(
    fixture.hub.store,
    key,
    fixture.hub.mappings,
    'b2',
    { 'monitoring/d.md': 'drift' },
    new Date(now - 5 * DAY),
  );
  // One nonconformity before the observation window (the previous audit saw it), one inside it.
  await writeBundle(
    fixture.hub.store,
    key,
    fixture.hub.mappings,
    'b3',
    { 'ncs/NC-1.md': 'old nonconformity' },
    new Date(now - 300 * DAY),
  );
  await writeBundle(
    fixture.hub.store,
    key,
    fixture.hub.mappings,
    'b4',
    { 'ncs/NC-7.md': 'nonconformity' },
    new Date(now - 10 * DAY),
    { attributes: { 'ncs/NC-7.md': { frontMatter: { status: 'open' } } } },
  );
  return { ...fixture, next, previous };
}

describe('readiness and export --audit', () => {
  it('readiness --json forecasts exactly what status --as-of <audit date> shows, and names what to refresh', async () => {
    const { configFile, next } = await auditedHub();
    const r = await run(['readiness', '-c', configFile, '--json']);
    expect(r.code).toBe(1); // not every control is ready on the day
    const forecast = JSON.parse(r.out);
    expect(forecast.audit.id).toBe('surv-1');
    const s = await run(['status', '-c', configFile, '--as-of', next, '--json']);
    const status = JSON.parse(s.out);
    expect(forecast.auditAt).toBe(status.asOf);
    expect(forecast.controls.map((c: { atAudit: unknown }) => c.atAudit)).toEqual(status.controls);
    expect(forecast.mustRefresh).toEqual(['A.2.2']);
    const policy = forecast.controls.find((c: { control: { id: string } }) => c.control.id === 'A.2.2');
    expect(policy.refresh).toMatchObject({ rule: 'ai-policy-review', statusNow: 'current', statusAtAudit: 'stale' });
    expect(forecast.noEvidenceInWindow).not.toContain('A.6.2.6');
    // The clauses beside the controls: exactly `status --as-of` for them too (10.2 from the nonconformities).
    expect(forecast.clauses.controls.map((c: { atAudit: unknown }) => c.atAudit)).toEqual(status.clauses);
    expect(forecast.clauses.notReady).toContain('9.3'); // unmapped here: missing
    expect(forecast.clauses.notReady).not.toContain('10.2');
    expect(forecast.clauses.noEvidenceInWindow).not.toContain('10.2');

    const text = await run(['readiness', '-c', configFile]);
    expect(text.out).toMatch(/management-system clauses \(4-10\):\n1 of 27 clauses ready on the day, 26 not/);
    expect(text.out).toContain(`surveillance audit surv-1 on ${next} by Example Cert (all AI systems)`);
    expect(text.out).toMatch(
      /A\.2\.2\s+evidence current now, stale on the day \(current until \d{4}-\d{2}-\d{2}, \d+ days before the audit\): refresh ai-policy-review/,
    );
  });

  it('readiness lists the nonconformities, complaints and changes dated in the observation window', async () => {
    const { configFile } = await auditedHub();
    const r = await run(['readiness', '-c', configFile, '--json']);
    const forecast = JSON.parse(r.out);
    expect(forecast.sinceLastAudit.complaints).toEqual([]);
    expect(forecast.sinceLastAudit.changes).toEqual([]);
    expect(forecast.sinceLastAudit.nonconformities).toEqual([
      expect.objectContaining({ id: 'docs:ncs/NC-7.md', name: 'ncs/NC-7.md', status: 'open', rule: 'nonconformities' }),
    ]);
    const text = await run(['readiness', '-c', configFile]);
    expect(text.out).toMatch(/nonconformities \(1\):\n\s+\d{4}-\d{2}-\d{2}\s+ncs\/NC-7\.md\s+\(open, folder document/);
    expect(text.out).toContain('complaints (0): none recorded');
    expect(text.out).not.toContain('NC-1');
  });

  it('names the audits the calendar holds when --audit is unknown', async () => {
    const { configFile, next, previous } = await auditedHub();
    const r = await run(['readiness', '-c', configFile, '--audit', 'surv-9']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`unknown audit "surv-9"`);
    expect(r.err).toContain(`stage2 (${previous}), surv-1 (${next})`);
  });

  it('export --audit takes the observation window from the calendar', async () => {
    const { configFile, dir, previous } = await auditedHub();
    const out = path.join(dir, 'pack.tar.gz');
    const bad = await run(['export', '-c', configFile, '--audit', 'surv-1', '--from', '2026-01-01', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('either --audit or --from/--to');
    const r = await run(['export', '-c', configFile, '--audit', 'stage2', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    execFileSync('tar', ['xzf', out, '-C', dir]);
    const marker = JSON.parse(await readFile(path.join(dir, 'pack', 'export.json'), 'utf8'));
    expect(marker.window.to).toBe(`${previous}T23:59:59.999Z`);
    // The first audit of the calendar: one year before it.
    expect(marker.window.from).toBe(new Date(Date.parse(`${previous}T00:00:00Z`) - 365 * DAY).toISOString());
  });
});
