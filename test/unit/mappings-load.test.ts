import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../mappings/catalog';
import { expandMappingPaths, loadMappings, loadSoa } from '../../mappings/load';
import { InputError } from '../../core/yaml-source';
import { tempDir, writeTree } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

async function mappingError(yaml: string): Promise<{ message: string; file: string }> {
  const dir = await tempDir();
  await writeTree(dir, { 'm.yaml': yaml });
  const file = path.join(dir, 'm.yaml');
  const err = await loadMappings([file], mappingVocabulary()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return { message: (err as InputError).message, file };
}

const rule = (over: string) =>
  `rules:\n  - id: r1\n    controls: [A.6.2.6]\n    select: { source: folder, kind: document }\n    freshness: 30d\n${over}`;

describe('mapping files', () => {
  it('the shipped default pack loads and covers all 38 controls of the catalog', async () => {
    const catalog = loadCatalog();
    expect(catalog.controls).toHaveLength(38);
    const set = await loadMappings(
      expandMappingPaths(['default'], '/', mappingVocabulary()),
      mappingVocabulary(),
      catalog,
    );
    // The pack also covers the management-system clauses (test/unit/clause-catalog.test.ts).
    const covered = new Set(set.rules.flatMap((r) => r.controls).filter((c) => c.startsWith('A.')));
    expect([...covered].sort()).toEqual(catalog.controls.map((c) => c.id).sort());
  });

  it('extend adds alternative selectors to an earlier rule; extending an unknown rule is located', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'a.yaml': rule(''),
      'b.yaml': 'extend:\n  - rule: r1\n    select: { source: s3, kind: policy-document }\n',
      'c.yaml': 'extend:\n  - rule: r9\n    select: { source: s3 }\n',
    });
    const set = await loadMappings([path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')], mappingVocabulary());
    const r1 = set.rules.find((r) => r.id === 'r1')!;
    expect(r1.sourceTypes.sort()).toEqual(['folder', 's3']);
    expect(r1.matches({ source: 'b', sourceType: 's3', kind: 'policy-document', attributes: {} })).toBe(true);
    expect(r1.matches({ source: 'a', sourceType: 'folder', kind: 'document', attributes: {} })).toBe(true);
    const err = await loadMappings([path.join(dir, 'a.yaml'), path.join(dir, 'c.yaml')], mappingVocabulary()).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toContain(
      `${path.join(dir, 'c.yaml')}:2:11: extend[0].rule: extends rule "r9", which no earlier mapping file defines`,
    );
  });

  it('sameVersion names a rule some mapping file defines', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'a.yaml': rule('    sameVersion: { rule: r2, attribute: policyVersion, of: frontMatter.version }\n'),
    });
    const err = await loadMappings([path.join(dir, 'a.yaml')], mappingVocabulary()).catch((e: unknown) => e);
    expect((err as Error).message).toContain(
      'r1.sameVersion.rule: rule "r1" compares versions with rule "r2", which no mapping file defines',
    );
  });

  it('default includes a connector pack only when that source type is configured', () => {
    const names = (types?: string[]) =>
      expandMappingPaths(['default'], '/', mappingVocabulary(), types ? new Set(types) : undefined).map((p) =>
        path.basename(p),
      );
    expect(names(['folder'])).toEqual(['10-documents.yaml', '40-clauses.yaml', '90-manual.yaml']);
    expect(names(['folder', 'siem'])).toEqual([
      '10-documents.yaml',
      '30-siem.yaml',
      '40-clauses.yaml',
      '90-manual.yaml',
    ]);
    expect(names(['folder', 's3', 'mlflow'])).toEqual([
      '10-documents.yaml',
      '40-clauses.yaml',
      '40-mlflow.yaml',
      '50-s3.yaml',
      '90-manual.yaml',
    ]);
    expect(names()).toContain('20-jira.yaml');
  });

  it('accepts the documented shape, with freshness shorthand', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'm.yaml': [
        'rules:',
        '  - id: ai-policy-document',
        '    controls: [A.2.2, A.2.4]',
        '    evidence: design',
        '    select:',
        '      source: folder',
        '      kind: document',
        '      where: { path: { glob: "policies/ai-policy*" } }',
        '    freshness: { maxAge: 365d, grace: 30d }',
        '  - id: monitoring-alerts',
        '    controls: [A.6.2.6]',
        '    select: { source: folder }',
        '    freshness: 30d',
      ].join('\n'),
    });
    const set = await loadMappings([path.join(dir, 'm.yaml')], mappingVocabulary());
    expect(set.rules.map((r) => r.id)).toEqual(['ai-policy-document', 'monitoring-alerts']);
    expect(set.rules[0]!.freshness).toMatchObject({
      type: 'maxAge',
      maxAgeMs: 365 * 86_400_000,
      graceMs: 30 * 86_400_000,
    });
    expect(set.rules[1]!.freshness).toMatchObject({ type: 'maxAge', maxAgeMs: 30 * 86_400_000, graceMs: 0 });
    expect(set.rules[0]!.origin.line).toBe(2);
  });

  it('unknown control id: file:line:col and a did-you-mean', async () => {
    const { message, file } = await mappingError(rule('').replace('[A.6.2.6]', '[A.6.2.66]'));
    expect(message).toContain(
      `${file}:3:16: rules[0].controls[0]: unknown control id "A.6.2.66" (hint: did you mean A.6.2.6?)`,
    );
  });

  it('unknown source type and unknown kind', async () => {
    const src = await mappingError(rule('').replace('source: folder', 'source: foldr'));
    expect(src.message).toContain(
      `${src.file}:4:23: rules[0].select.source: unknown source type "foldr" (hint: did you mean folder?)`,
    );
    const kind = await mappingError(rule('').replace('kind: document', 'kind: documnet'));
    expect(kind.message).toContain(
      `${kind.file}:4:37: rules[0].select.kind: source type "folder" has no kind "documnet" (hint: did you mean document?)`,
    );
  });

  it('bad duration', async () => {
    const { message, file } = await mappingError(rule('').replace('freshness: 30d', 'freshness: 30 days'));
    expect(message).toContain(`${file}:5:16: rules[0].freshness:`);
    expect(message).toContain('24h, 90d or 2w');
  });

  it('bad regex', async () => {
    const { message, file } = await mappingError(
      rule('').replace('kind: document }', 'kind: document, where: { path: { regex: "([a-z" } } }'),
    );
    expect(message).toContain(`${file}:4:71: rules[0].select.where.path.regex: bad regular expression`);
  });

  it('duplicate rule id in one file', async () => {
    const { message, file } = await mappingError(
      rule('  - id: r1\n    controls: [A.2.2]\n    select: { source: manual }\n    freshness: 365d\n'),
    );
    expect(message).toContain(`${file}:6:9: rules[1].id: duplicate rule id "r1" (also rules[0] in this file)`);
  });

  it('reports every problem of every file in one error', async () => {
    const { message } = await mappingError(
      rule('  - id: r2\n    controls: [A.9.9]\n    select: { source: nope }\n    freshness: 1w\n'),
    );
    expect(message.split('\n')).toHaveLength(2);
    expect(message).toContain('unknown control id "A.9.9"');
    expect(message).toContain('unknown source type "nope"');
  });

  it('later files override rules with the same id, and can remove rules', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'a.yaml': rule('  - id: r2\n    controls: [A.2.2]\n    select: { source: manual }\n    freshness: 365d\n'),
      'b.yaml':
        'rules:\n  - id: r1\n    controls: [A.6.2.6]\n    select: { source: folder }\n    freshness: 7d\nremove: [r2]\n',
    });
    const set = await loadMappings([path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')], mappingVocabulary());
    expect(set.rules.map((r) => r.id)).toEqual(['r1']);
    expect(set.rules[0]!.freshness).toMatchObject({ maxAgeMs: 7 * 86_400_000 });
    expect(set.rules[0]!.origin.file).toBe(path.join(dir, 'b.yaml'));
  });

  it('statement of applicability: unknown control and missing justification are located', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'soa.yaml':
        'notApplicable:\n  - control: A.10.5\n    justification: We have no customers for AI output at all.\n  - control: A.10.4\n    justification: n/a\n',
    });
    const err = await loadSoa(path.join(dir, 'soa.yaml'), loadCatalog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(
      'soa.yaml:5:20: notApplicable[1].justification: auditors expect a real justification',
    );
  });

  // warnBefore is zod-validated (a duration) and checked against the rule it warns about.
  it.each([
    ['not a duration', rule('    warnBefore: soon\n'), ':6:17: rules[0].warnBefore: not a duration'],
    [
      'not shorter than the max age',
      rule('    warnBefore: 30d\n'),
      ':6:17: rules[0].warnBefore: warnBefore 30d is not shorter than the max age 30d of rule "r1"',
    ],
    [
      "a file's default longer than a rule's max age",
      `warnBefore: 60d\n${rule('')}`,
      ':1:13: warnBefore: warnBefore 60d is not shorter than the max age 30d of rule "r1"',
    ],
    [
      'on a per-change rule',
      rule('    warnBefore: 7d\n').replace(
        'freshness: 30d',
        'freshness: { perChange: { changes: { source: folder }, key: path } }',
      ),
      'rules[0].warnBefore: warnBefore applies to max-age rules only',
    ],
  ])('warnBefore %s is located', async (_, yaml, expected) => {
    const { message } = await mappingError(yaml);
    expect(message).toContain(expected);
  });

  it('warnBefore defaults to 14d or a quarter of the max age, whichever is smaller', async () => {
    const dir = await tempDir();
    const rules = [
      ['w7', '7d'],
      ['w90', '90d'],
      ['w365', '365d'],
    ]
      .map(
        ([id, age]) => `  - id: ${id}\n    controls: [A.2.2]\n    select: { source: folder }\n    freshness: ${age}\n`,
      )
      .join('');
    await writeTree(dir, { 'm.yaml': `rules:\n${rules}` });
    const set = await loadMappings([path.join(dir, 'm.yaml')], mappingVocabulary());
    expect(set.rules.map((r) => [r.id, r.freshness.type === 'maxAge' ? r.freshness.warnBeforeText : ''])).toEqual([
      ['w7', '42h'],
      ['w90', '14d'],
      ['w365', '14d'],
    ]);
  });

  it('statement of applicability: version and approval are read and carried by every not-applicable entry', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'soa.yaml':
        'version: 2026.1\napprovedBy: J. Doe (CEO)\napprovedOn: "2026-01-05"\nnotApplicable:\n  - control: A.10.4\n    justification: We have no customers for AI output at all.\n',
      'bad.yaml': 'approvedOn: 5 January\nnotApplicable: []\n',
    });
    expect(await loadSoa(path.join(dir, 'soa.yaml'), loadCatalog())).toEqual([
      {
        control: 'A.10.4',
        justification: 'We have no customers for AI output at all.',
        soa: { version: '2026.1', approvedBy: 'J. Doe (CEO)', approvedOn: '2026-01-05' },
      },
    ]);
    const err = await loadSoa(path.join(dir, 'bad.yaml'), loadCatalog()).catch((e: unknown) => e);
    expect((err as Error).message).toContain('bad.yaml:1:13: approvedOn: not a date; write it as YYYY-MM-DD');
  });
});
