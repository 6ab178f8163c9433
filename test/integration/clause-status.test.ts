import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { sourcesForControls } from '../../cli/commands/sweep';
import { hubIn, signingKey } from '../support/hub-fixture';
import { writeBundle } from '../support/store-fixture';
import { tempDir, writeTree } from '../support/tmp';

const DAY = 86_400_000;

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A hub on the default pack with an internal audit programme and report collected 30 days ago. */
async function hubWithAuditReport() {
  const dir = await tempDir();
  const fixture = await hubIn(
    dir,
    [
      'version: 1',
      'store: { path: ./store }',
      'signing: { key: { file: ./k.pem } }',
      'mappings: [default]',
      'sources:',
      '  - { id: docs, type: folder, path: ./org }',
      '',
    ].join('\n'),
  );
  const key = await signingKey(fixture.hub);
  await writeBundle(
    fixture.hub.store,
    key,
    fixture.hub.mappings,
    'b1',
    { 'aims/internal-audit-2026.md': 'report', 'aims/audit-programme.md': 'programme' },
    new Date(Date.now() - 30 * DAY),
    {
      attributes: {
        'aims/internal-audit-2026.md': { frontMatter: { type: 'internal-audit-report' } },
        'aims/audit-programme.md': { frontMatter: { type: 'audit-programme' } },
      },
    },
  );
  return fixture;
}

type Row = { control: { id: string }; status: string; decidingRule?: string };

describe('status --catalog (issue 17 item 2)', () => {
  it('shows Annex A then the clauses by default, each catalog alone when asked, in text and JSON', async () => {
    const { configFile } = await hubWithAuditReport();
    const all = JSON.parse((await run(['status', '-c', configFile, '--json'])).out);
    expect(all.controls).toHaveLength(38);
    expect(all.clauses).toHaveLength(27);
    expect(all.clauses.find((c: Row) => c.control.id === '9.2')).toMatchObject({ status: 'current' });
    expect(all.clauses.find((c: Row) => c.control.id === '9.3')).toMatchObject({ status: 'missing' });

    const clauses = JSON.parse((await run(['status', '-c', configFile, '--catalog', 'clauses', '--json'])).out);
    expect(clauses.controls).toBeUndefined();
    expect(clauses.clauses.map((c: Row) => c.control.id)).toEqual(all.clauses.map((c: Row) => c.control.id));
    const annex = JSON.parse((await run(['status', '-c', configFile, '--catalog', 'annex-a', '--json'])).out);
    expect(annex.clauses).toBeUndefined();
    expect(annex.controls).toEqual(all.controls);

    const text = (await run(['status', '-c', configFile])).out;
    const annexAt = text.indexOf('ISO/IEC 42001:2023 Annex A\nCONTROL');
    const clausesAt = text.indexOf('ISO/IEC 42001:2023 clauses 4-10\nCONTROL');
    expect(annexAt).toBeGreaterThanOrEqual(0);
    expect(clausesAt).toBeGreaterThan(annexAt);
    expect(text.slice(clausesAt)).toMatch(/\n9\.2\s+evidence current\s+\d{4}-\d{2}-\d{2}/);
    expect(text).toMatch(/ISO\/IEC 42001:2023 clauses 4-10, as of .*: 1 evidence current, 26 missing/);

    const onlyClauses = (await run(['status', '-c', configFile, '--catalog', 'clauses'])).out;
    expect(onlyClauses).not.toContain('A.2.2');
    expect(onlyClauses.startsWith('CONTROL')).toBe(true);

    const globbed = (await run(['status', '-c', configFile, '--controls', 'A.6.2.*'])).out;
    expect(globbed.startsWith('CONTROL')).toBe(true); // no clause matches: one table, no headings
    expect(globbed).not.toContain('clauses 4-10');

    const bad = await run(['status', '-c', configFile, '--catalog', 'annex']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('expected one of annex-a, clauses, all');
  });

  it('index evidence and sweep --controls take clause ids too', async () => {
    const fixture = await hubWithAuditReport();
    const from = new Date(Date.now() - 60 * DAY).toISOString().slice(0, 10);
    const to = new Date().toISOString().slice(0, 10);
    const rows = JSON.parse(
      (await run(['index', 'evidence', '9.2', '--from', from, '--to', to, '-c', fixture.configFile, '--json'])).out,
    );
    expect(rows.map((r: { id: string }) => r.id).sort()).toEqual([
      'docs:aims/audit-programme.md',
      'docs:aims/internal-audit-2026.md',
    ]);
    expect(sourcesForControls(fixture.hub, '9.*')).toEqual(['docs']);
    expect(() => sourcesForControls(fixture.hub, '11.*')).toThrow('--controls "11.*" matches no control');
  });

  it('mappings check gives a did-you-mean for a clause id, and counts covered clauses', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'org.yaml');
    await writeTree(dir, {
      'org.yaml':
        "rules:\n  - id: reviews\n    controls: ['9.33']\n    select: { source: folder }\n    freshness: 365d\n",
    });
    const typo = await run(['mappings', 'check', file]);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain(
      `${file}:3:16: rules[0].controls[0]: unknown control id "9.33" (hint: did you mean 9.3?)`,
    );
    await writeTree(dir, {
      'org.yaml':
        "rules:\n  - id: reviews\n    controls: ['9.3']\n    select: { source: folder }\n    freshness: 365d\n",
    });
    const ok = await run(['mappings', 'check', file]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('OK: 1 rules in 1 file(s) cover 0 of 38 controls');
    expect(ok.out).toContain('clauses: 1 of 27 covered');
  });
});
