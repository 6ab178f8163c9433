import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { sha256Hex } from '../../core/digest';
import { fingerprintOf } from '../../evidence/trust/fingerprint';
import { loadCatalog } from '../../mappings/catalog';
import { hubIn, signingKey } from '../support/hub-fixture';
import { writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('Statement of Applicability in the audit pack', () => {
  it('lists every Annex A control with applicability, justification, status and rules, as CSV and HTML, in SHA256SUMS', async () => {
    const dir = await tempDir();
    const at = new Date(); // after `keys init`: the key must be valid when the bundle is sealed
    const { configFile, hub } = await hubIn(
      dir,
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./k.pem } }',
        'mappings: [./m.yaml]',
        'soa: ./soa.yaml',
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        '',
      ].join('\n'),
      {
        'm.yaml':
          'rules:\n  - id: ai-policy-review\n    controls: [A.2.2]\n    select: { source: folder }\n    freshness: 365d\n',
        // A justification with a comma, quotes and a leading "=": the CSV must keep it one harmless field.
        'soa.yaml':
          'notApplicable:\n  - { control: A.10.4, justification: \'=no customers, no "AI services" offered\' }\n',
      },
    );
    const key = await signingKey(hub);
    await writeBundle(hub.store, key, hub.mappings, 'b1', { 'policies/ai.md': 'policy' }, at);
    const out = path.join(dir, 'pack.tar.gz');
    const from = at.toISOString().slice(0, 10);
    // A narrowed report still carries the whole SoA.
    const r = await run([
      'export',
      '-c',
      configFile,
      '--from',
      from,
      '--to',
      from,
      '--controls',
      'A.6.*',
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    execFileSync('tar', ['xzf', out, '-C', dir]);
    const pack = path.join(dir, 'pack');

    const csv = await readFile(path.join(pack, 'report', 'soa.csv'), 'utf8');
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual(['control', 'title', 'applicable', 'justification', 'status', 'reason', 'rules']);
    const catalog = loadCatalog();
    expect(rows.map((row) => row[0])).toEqual(catalog.controls.map((c) => c.id));
    const byId = new Map(rows.map((row) => [row[0], row]));
    expect(byId.get('A.10.4')!.slice(2, 5)).toEqual([
      'no',
      `'=no customers, no "AI services" offered`,
      'not-applicable',
    ]);
    const policy = byId.get('A.2.2')!;
    expect(policy[2]).toBe('yes');
    expect(policy[4]).toBe('current');
    expect(policy[6]).toBe('ai-policy-review (operating; max age 365d)');
    expect(byId.get('A.3.2')![4]).toBe('missing'); // applicable, no rule: the evaluation says so

    const html = await readFile(path.join(pack, 'report', 'soa.html'), 'utf8');
    expect(html.match(/<tr data-soa="/g)).toHaveLength(catalog.controls.length);
    expect(html).toContain('<tr data-soa="A.10.4" data-status="not-applicable">');
    expect(html).toContain('no &quot;AI services&quot; offered');

    const summary = await readFile(path.join(pack, 'report', 'index.html'), 'utf8');
    expect(summary).toContain('<a href="soa.html">soa.html</a>');

    // Both are in SHA256SUMS with their digests, so verify covers them like every other file.
    const sums = await readFile(path.join(pack, 'SHA256SUMS'), 'utf8');
    expect(sums).toContain(`${sha256Hex(Buffer.from(csv))}  report/soa.csv\n`);
    expect(sums).toContain(`${sha256Hex(Buffer.from(html))}  report/soa.html\n`);
    const v = await run(['verify', pack, '--trust', `sha256:${fingerprintOf(key.publicKeyPem)}`]);
    expect(v.code, v.out + v.err).toBe(0);
  });
});
