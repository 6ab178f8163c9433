import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { dataPath } from '../../core/data-files';
import { loadCatalog, loadClauseCatalog } from '../../mappings/catalog';
import { evaluate, type ControlResult, type IndexedArtifact } from '../../mappings/evaluate';
import { loadMappings } from '../../mappings/load';
import { ago, artifact, document, now, pack, runsOf, ruleOf } from '../support/default-pack';
import { tempDir, writeTree } from '../support/tmp';

/** Issue 17 item 2: the management-system clauses as a second catalog, with a default pack. */

const clauseIds = [
  '4.1',
  '4.2',
  '4.3',
  '4.4',
  '5.1',
  '5.2',
  '5.3',
  '6.1.1',
  '6.1.2',
  '6.1.3',
  '6.1.4',
  '6.2',
  '6.3',
  '7.1',
  '7.2',
  '7.3',
  '7.4',
  '7.5',
  '8.1',
  '8.2',
  '8.3',
  '8.4',
  '9.1',
  '9.2',
  '9.3',
  '10.1',
  '10.2',
];

async function clauses(artifacts: IndexedArtifact[], configured: string[], at = now): Promise<ControlResult[]> {
  return evaluate({
    artifacts,
    sourceRuns: runsOf(...configured),
    mappings: await pack(...configured),
    notApplicable: [],
    now: new Date(at),
    catalog: 'clauses',
  });
}
const clause = async (id: string, artifacts: IndexedArtifact[], configured = ['folder'], at = now) =>
  (await clauses(artifacts, configured, at)).find((r) => r.control.id === id)!;

describe('the clause catalog', () => {
  it('loads with the 27 clause ids of issue 17, each title as in the checked reference file', async () => {
    const catalog = loadClauseCatalog();
    expect(catalog.framework.id).toBe('iso42001-2023-clauses');
    expect(catalog.controls.map((c) => c.id)).toEqual(clauseIds);
    // docs/crosswalks.md records every id and short title against two public sources.
    const crosswalks = await readFile(dataPath('docs', 'crosswalks.md'), 'utf8');
    for (const c of catalog.controls) expect(crosswalks).toContain(`| ${c.id} | ${c.title} |`);
    expect(catalog.controls.find((c) => c.id === '6.1.4')).toMatchObject({
      group: '6',
      groupTitle: 'Planning',
      subgroup: '6.1',
    });
  });

  it('every default rule points at a known Annex A or clause id, and every clause has a rule', async () => {
    const all = await pack('folder', 'github', 'jira', 'siem', 'mlflow', 's3', 'manual');
    const known = new Set([...loadCatalog().controls, ...loadClauseCatalog().controls].map((c) => c.id));
    const targets = all.rules.flatMap((r) => r.controls);
    expect(targets.filter((c) => !known.has(c))).toEqual([]);
    const deciding = new Set(all.rules.filter((r) => !r.informational).flatMap((r) => r.controls));
    expect(clauseIds.filter((c) => !deciding.has(c))).toEqual([]);
  });

  it('a mapping file targets clauses with the same rule language; a typo gets a did-you-mean', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'ok.yaml':
        "rules:\n  - id: audit\n    controls: ['9.2', A.2.2]\n    select: { source: folder, kind: document }\n    freshness: 365d\n",
      'typo.yaml':
        "rules:\n  - id: audit\n    controls: ['9.33']\n    select: { source: folder, kind: document }\n    freshness: 365d\n",
    });
    const v = mappingVocabulary();
    await writeTree(dir, {
      'unquoted.yaml':
        'rules:\n  - id: audit\n    controls: [9.2]\n    select: { source: folder, kind: document }\n    freshness: 365d\n',
    });
    const unquoted = await loadMappings([path.join(dir, 'unquoted.yaml')], v).catch((e: unknown) => e as Error);
    expect((unquoted as Error).message).toContain(
      "rules[0].controls[0]: a number (9.2), not an id: quote clause ids, e.g. ['9.2']",
    );
    const ok = await loadMappings([path.join(dir, 'ok.yaml')], v);
    expect(ok.rules[0]!.controls).toEqual(['9.2', 'A.2.2']);
    const err = await loadMappings([path.join(dir, 'typo.yaml')], v).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(
      `${path.join(dir, 'typo.yaml')}:3:16: rules[0].controls[0]: unknown control id "9.33" (hint: did you mean 9.3?)`,
    );
  });

  it('evaluates Annex A by default and the clauses when asked, never mixing the two', async () => {
    const mappings = await pack('folder');
    const input = { artifacts: [], sourceRuns: runsOf('folder'), mappings, notApplicable: [], now: new Date(now) };
    expect(evaluate(input).map((r) => r.control.id)).toEqual(loadCatalog().controls.map((c) => c.id));
    expect(evaluate({ ...input, catalog: 'clauses' }).map((r) => r.control.id)).toEqual(clauseIds);
  });
});

describe('the default clause pack', () => {
  const inputs = [
    'previous-actions',
    'context-changes',
    'interested-parties',
    'nonconformities',
    'monitoring-results',
    'audit-results',
    'improvement-opportunities',
  ];
  const review = (list: string[], days = 40) =>
    document('aims/management-review-2026.md', ago(days), {
      type: 'management-review',
      effective_date: new Date(ago(days)).toISOString().slice(0, 10),
      inputs: list,
    });

  it('9.3: management review minutes count only with every required input, and the reason names a missing one', async () => {
    expect((await clause('9.3', [review(inputs)])).status).toBe('current');
    const partial = await clause('9.3', [review(inputs.filter((i) => i !== 'audit-results'))]);
    expect(partial.status).toBe('missing');
    expect(partial.reason).toContain('audit-results');
    // At least one a year: 400 days old is stale.
    expect((await clause('9.3', [review(inputs, 400)])).status).toBe('stale');
  });

  it('9.2: an internal audit report at least once a year, beside the programme', async () => {
    const report = (days: number) =>
      document('aims/internal-audit-2026.md', ago(days), { type: 'internal-audit-report' });
    const programme = document('aims/audit-programme.md', ago(100), { type: 'audit-programme' });
    expect((await clause('9.2', [programme, report(100)])).status).toBe('current');
    expect((await clause('9.2', [programme, report(420)])).status).toBe('stale');
    expect((await clause('9.2', [programme])).status).toBe('design-only');
  });

  it('10.2: each nonconformity closed by its due date, or open with a reason; late or unanswered ones are named', async () => {
    const register = document('aims/corrective-actions.md', ago(10), { type: 'corrective-action-register' });
    const nc = (name: string, days: number, fm: Record<string, unknown>) =>
      document(`aims/nonconformities/${name}.md`, ago(days), { type: 'nonconformity', ...fm });
    const due = (days: number) => new Date(ago(days)).toISOString().slice(0, 10);
    const closedInTime = nc('NC-1', 30, { status: 'closed', due: due(20) });
    const openWithReason = nc('NC-2', 15, { status: 'open', open_reason: 'supplier fix pending', due: due(-30) });
    let c = await clause('10.2', [register, closedInTime, openWithReason]);
    expect(c.status).toBe('current');
    expect(ruleOf(c, 'nonconformity-handling').evidence.sort()).toEqual([closedInTime.id, openWithReason.id].sort());
    // Closed after its due date: late, so stale from the due date.
    const closedLate = nc('NC-3', 5, { status: 'closed', due: due(20) });
    c = await clause('10.2', [register, closedInTime, closedLate]);
    expect(ruleOf(c, 'nonconformity-handling')).toMatchObject({ status: 'stale' });
    expect(ruleOf(c, 'nonconformity-handling').dueAt!.slice(0, 10)).toBe(due(20));
    // Open, no reason, due date passed: missing, naming the nonconformity.
    const overdue = nc('NC-4', 50, { status: 'open', due: due(10) });
    c = await clause('10.2', [register, overdue]);
    expect(c.status).toBe('missing');
    expect(c.reason).toContain('aims/nonconformities/NC-4.md');
    // Open, no reason, before its due date: due soon, by that date.
    const open = nc('NC-5', 5, { status: 'open', due: due(-10) });
    c = await clause('10.2', [register, open]);
    expect(ruleOf(c, 'nonconformity-handling')).toMatchObject({ status: 'due-soon' });
    expect(ruleOf(c, 'nonconformity-handling').dueAt!.slice(0, 10)).toBe(due(-10));
  });

  it('10.2 in Jira: a corrective action done by its due date (custom field dueDate) is current; done late is stale', async () => {
    const ca = (key: string, resolvedDaysAgo: number, dueDaysAgo: number, done = true) =>
      artifact('jira', 'corrective-action', ago(resolvedDaysAgo), {
        key,
        created: new Date(ago(60)).toISOString(),
        statusCategory: done ? 'done' : 'indeterminate',
        customFields: { dueDate: new Date(ago(dueDaysAgo)).toISOString().slice(0, 10) },
      });
    const register = document('aims/corrective-actions.md', ago(10), { type: 'corrective-action-register' });
    const inTime = await clause('10.2', [register, ca('CA-1', 20, 10)], ['folder', 'jira']);
    expect(ruleOf(inTime, 'jira-corrective-actions').status).toBe('current');
    // The due date decides, not the 30 days from `created` (60 days ago) the rule would otherwise allow.
    const late = await clause('10.2', [register, ca('CA-2', 5, 10)], ['folder', 'jira']);
    expect(ruleOf(late, 'jira-corrective-actions').status).toBe('stale');
  });

  it('5.2 reads the same AI policy document as A.2.2; 6.2 objectives need an owner', async () => {
    const policy = document('policies/ai-policy.md', ago(30), { type: 'ai-policy', effective_date: '2026-05-01' });
    expect((await clause('5.2', [policy])).status).toBe('current');
    const objectives = (fm: Record<string, unknown>) =>
      document('aims/objectives.md', ago(30), { type: 'ai-objectives', effective_date: '2026-05-01', ...fm });
    expect((await clause('6.2', [objectives({})])).status).toBe('missing');
    expect((await clause('6.2', [objectives({ owner: 'Head of AI' })])).status).toBe('current');
  });
});
