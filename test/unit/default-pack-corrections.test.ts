import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { documentDating, metadataAsFrontMatter } from '../../connectors/document-dating';
import { dataPath } from '../../core/data-files';
import { renderControlPage } from '../../evidence/export/html';
import type { ControlView, PackModel } from '../../evidence/export/model';
import { loadCatalog } from '../../mappings/catalog';
import { evaluate, type ControlResult, type IndexedArtifact } from '../../mappings/evaluate';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { ago, artifact, control, document, folderArtifacts, now, pack, runsOf } from '../support/default-pack';
import { tempDir } from '../support/tmp';

/**
 * Probes of the default pack's mapping corrections (issue 16, items 6 to 10): each row is one thing an
 * auditor reproduced against the earlier rules, asserted the way it must behave now.
 */

const dated = { effective_date: '2026-05-01' };
const anyRule = (c: ControlResult, rule: string) =>
  [...c.rules, ...(c.informational ?? [])].find((r) => r.rule === rule);
const usedAsEvidence = (results: ControlResult[], id: string) =>
  results.filter((r) => r.evidence.includes(id)).map((r) => r.control.id);

async function evaluateAll(artifacts: IndexedArtifact[], configured: string[]): Promise<ControlResult[]> {
  return evaluate({
    artifacts,
    sourceRuns: runsOf(...configured),
    mappings: await pack(...configured),
    notApplicable: [],
    now: new Date(now),
  });
}

describe('6. A.2.4 is a review record, not an upload', () => {
  const review = (fm: Record<string, unknown>) =>
    document('policies/ai-policy-review.md', ago(20), { type: 'policy-review', review_date: '2026-05-12', ...fm });
  const probes: {
    name: string;
    artifacts: () => IndexedArtifact[];
    configured: string[];
    status: ControlResult['status'];
    reason?: RegExp;
  }[] = [
    {
      name: 'a new S3 version of the policy alone is not a review',
      configured: ['folder', 's3'],
      artifacts: () => [
        artifact('s3', 'policy-document', ago(2), {
          path: 'policies/ai-policy.pdf',
          versionId: 'v7',
          metadata: { type: 'ai-policy' },
          dateSource: 'effective',
        }),
      ],
      status: 'missing',
    },
    {
      name: 'a review record of an old policy, with reviewer and "no change" outcome, counts',
      configured: ['folder'],
      artifacts: () => [
        document('policies/ai-policy.md', ago(700), { type: 'ai-policy', effective_date: '2024-07-01' }),
        review({ reviewer: 'AI Governance Board', outcome: 'no change' }),
      ],
      status: 'current',
    },
    {
      name: 'reviewed_by names the reviewer as well',
      configured: ['folder'],
      artifacts: () => [review({ reviewed_by: 'CRO', outcome: 'revised to 2026.2' })],
      status: 'current',
    },
    {
      name: 'a review record without a reviewer is not accepted, and the reason says what is missing',
      configured: ['folder'],
      artifacts: () => [review({ outcome: 'no change' })],
      status: 'missing',
      reason: /frontMatter\.reviewer/,
    },
    {
      name: 'a review record without an outcome is not accepted',
      configured: ['folder'],
      artifacts: () => [review({ reviewer: 'AI Governance Board' })],
      status: 'missing',
      reason: /frontMatter\.outcome/,
    },
    {
      name: 'an S3 review record with reviewer and outcome in its user metadata counts',
      configured: ['folder', 's3'],
      artifacts: () => [
        artifact('s3', 'policy-document', ago(2), {
          path: 'reviews/2026.pdf',
          metadata: { type: 'policy-review', reviewer: 'CRO', outcome: 'no-change' },
          dateSource: 'reviewed',
        }),
      ],
      status: 'current',
    },
  ];
  it.each(probes)('$name', async (p) => {
    const c = await control('A.2.4', p.artifacts(), p.configured);
    expect(c.status, c.reason).toBe(p.status);
    if (p.reason) expect(c.reason).toMatch(p.reason);
  });
});

describe('7. A.5.4: impact assessments, not fairness metrics', () => {
  const assessment = (fm: Record<string, unknown>, days = 30) =>
    document(`impact-assessments/${String(fm['system'] ?? 'x')}-${days}.md`, ago(days), {
      type: 'impact-assessment',
      ...dated,
      ...fm,
    });
  const version = (modelVersion: string, attrs: Record<string, unknown> = {}) =>
    artifact('mlflow', 'model-version', ago(10), {
      model: modelVersion.split('/')[0],
      modelVersion,
      production: true,
      hasValidationMetrics: true,
      hasFairnessMetrics: false,
      tags: {},
      ...attrs,
    });

  it('no rule of A.5.4 reads MLflow; the fairness metrics rule verifies A.6.2.4', async () => {
    const rules = (await pack('folder', 'mlflow', 'jira')).rules;
    const a54 = rules.filter((r) => r.controls.includes('A.5.4'));
    expect(a54.flatMap((r) => r.sourceTypes)).not.toContain('mlflow');
    expect(rules.find((r) => r.id === 'mlflow-production-fairness-metrics')!.controls).toEqual(['A.6.2.4']);
  });

  const probes: {
    name: string;
    control: string;
    artifacts: () => IndexedArtifact[];
    configured?: string[];
    rule?: string;
    status: ControlResult['status'];
  }[] = [
    {
      name: 'an assessment covering individuals and societal impacts is current for A.5.4 and A.5.5',
      control: 'A.5.4',
      artifacts: () => [assessment({ impacts: ['individuals', 'societal'] })],
      status: 'current',
    },
    {
      name: 'an assessment that does not cover individuals does not evidence A.5.4',
      control: 'A.5.4',
      artifacts: () => [assessment({ impacts: ['societal'] })],
      status: 'missing',
    },
    {
      name: 'an assessment that finds no individuals affected evidences A.5.4',
      control: 'A.5.4',
      artifacts: () => [assessment({ impacts: ['societal'], individuals_affected: false })],
      status: 'current',
    },
    {
      name: 'A.5.5 needs the societal impacts covered',
      control: 'A.5.5',
      artifacts: () => [assessment({ impacts: ['individuals'] })],
      status: 'missing',
    },
    {
      name: 'an assessment older than the planned interval (and its grace) is stale',
      control: 'A.5.3',
      artifacts: () => [assessment({ impacts: ['individuals', 'societal'] }, 400)],
      status: 'stale',
    },
    {
      name: 'before deployment: a production model without an assessment naming it is reported',
      control: 'A.5.3',
      configured: ['folder', 'mlflow'],
      rule: 'mlflow-production-impact-assessment',
      artifacts: () => [assessment({ system: 'fraud' }), version('credit/2')],
      // No record at all for credit/2: missing, not stale (#15).
      status: 'missing',
    },
    {
      name: 'before deployment: the production model is named by an assessment',
      control: 'A.5.3',
      configured: ['folder', 'mlflow'],
      rule: 'mlflow-production-impact-assessment',
      artifacts: () => [assessment({ system: 'credit' }), version('credit/2')],
      status: 'current',
    },
    {
      name: 'a production version without fairness metrics owes them when it affects individuals',
      control: 'A.6.2.4',
      configured: ['mlflow'],
      rule: 'mlflow-production-fairness-metrics',
      artifacts: () => [version('credit/2')],
      status: 'missing',
    },
    {
      name: 'no fairness metrics are demanded of a version tagged as affecting no individuals',
      control: 'A.6.2.4',
      configured: ['mlflow'],
      rule: 'mlflow-production-fairness-metrics',
      artifacts: () => [version('defects/3', { tags: { affects_individuals: 'false' } })],
      status: 'not-exercised',
    },
  ];
  it.each(probes)('$name', async (p) => {
    const c = await control(p.control, p.artifacts(), p.configured ?? ['folder']);
    const status = p.rule ? anyRule(c, p.rule)!.status : c.status;
    expect(status, c.reason).toBe(p.status);
  });
});

describe('8. documents are selected by their front-matter type, never by path', () => {
  const files: Record<string, string> = {
    'lib/logging-config.md': '---\neffective_date: 2026-05-01\n---\n# Library logging configuration\n',
    'k8s/deployment/values.yaml': 'effective_date: 2026-05-01\nreplicas: 3\n',
    'docs/monitoring/concerns-faq.md': '---\neffective_date: 2026-05-01\n---\n# FAQ on concerns\n',
    'policies/responsible-use-objectives.md':
      '---\ntype: use-objectives\neffective_date: 2026-05-01\n---\n# Objectives for responsible use\n',
  };
  const probes: { file: string; not: string[] }[] = [
    { file: 'lib/logging-config.md', not: ['every control'] },
    { file: 'k8s/deployment/values.yaml', not: ['every control'] },
    { file: 'docs/monitoring/concerns-faq.md', not: ['every control'] },
    { file: 'policies/responsible-use-objectives.md', not: ['A.9.2'] },
  ];
  it.each(probes)('$file is no evidence of $not', async (p) => {
    const results = await evaluateAll(await folderArtifacts(files), ['folder']);
    const used = usedAsEvidence(results, `docs:${p.file}`);
    if (p.not[0] === 'every control') expect(used).toEqual([]);
    else for (const c of p.not) expect(used).not.toContain(c);
  });

  it('the objectives document evidences A.9.3 by its type', async () => {
    const results = await evaluateAll(await folderArtifacts(files), ['folder']);
    expect(usedAsEvidence(results, 'docs:policies/responsible-use-objectives.md')).toEqual(['A.9.3']);
  });

  it('a rule without a document of its type says so, instead of naming the newest unrelated document', async () => {
    const drift = document('monitoring/2026-q2-drift.md', ago(1), { type: 'monitoring-report', ...dated });
    const c = await control('A.4.5', [drift], ['folder']);
    expect(c.status).toBe('missing');
    expect(c.reason).toContain('from folder document of type compute-inventory');
    expect(c.reason).not.toContain('drift');
  });

  it('path globs are a fallback the user opts into with an extend in their own mapping file', async () => {
    const dir = await tempDir();
    const own = path.join(dir, 'ours.yaml');
    await writeFile(
      own,
      'extend:\n  - rule: logging-decision\n    select: { source: folder, kind: document, where: { path: { glob: "standards/logging-*.md" } } }\n',
    );
    const v = mappingVocabulary();
    const mappings = await loadMappings(
      expandMappingPaths(['default', own], dir, v, new Set(['folder'])).filter(Boolean),
      v,
    );
    const docs = await folderArtifacts({ 'standards/logging-standard.md': '---\neffective_date: 2026-05-01\n---\n' });
    const results = evaluate({
      artifacts: docs,
      sourceRuns: runsOf('folder'),
      mappings,
      notApplicable: [],
      now: new Date(now),
    });
    const rule = results.find((r) => r.control.id === 'A.6.2.8')!.rules.find((r) => r.rule === 'logging-decision')!;
    expect(rule).toMatchObject({ status: 'current', evidence: ['docs:standards/logging-standard.md'] });
  });

  it('docs/mappings.md lists every document type the default pack reads, and no other', async () => {
    const all = await pack('folder', 'github', 'jira', 'siem', 'mlflow', 's3', 'manual');
    const used = new Set<string>();
    const collect = (w: unknown): void => {
      if (Array.isArray(w)) return w.forEach(collect);
      if (w === null || typeof w !== 'object') return;
      for (const [k, v] of Object.entries(w)) {
        if (k === 'frontMatter.type' || k === 'metadata.type') {
          if (typeof v === 'string') used.add(v);
          else if (typeof v === 'object' && v !== null && 'in' in v)
            for (const t of (v as { in: string[] }).in) used.add(t);
        } else collect(v);
      }
    };
    for (const r of all.rules) for (const s of r.selectors) collect(s.where);
    const doc = await readFile(dataPath('docs', 'mappings.md'), 'utf8');
    const section = doc.slice(
      doc.indexOf('## Document types'),
      doc.indexOf('\n## ', doc.indexOf('## Document types') + 5),
    );
    const listed = new Set([...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!).filter((t) => t !== 'type'));
    expect([...listed].sort()).toEqual([...used].sort());
  });
});

describe('9. evidence that shows the control operates; unrelated signals are informational', () => {
  it('A.8.2 needs user-facing information: a model card is developer documentation', async () => {
    const card = document('model-cards/fraud.md', ago(10), { type: 'model-card', ...dated });
    expect((await control('A.8.2', [card], ['folder'])).status).toBe('missing');
    const notice = document('users/fraud-notice.md', ago(10), { type: 'transparency-notice', ...dated });
    expect((await control('A.8.2', [card, notice], ['folder'])).status).toBe('current');
  });

  it('A.8.4: a done incident ticket is not communication; one naming who was told and when is', async () => {
    const plan = document('policies/incident-communication-plan.md', ago(10), {
      type: 'incident-communication-plan',
      ...dated,
    });
    const done = artifact('jira', 'incident', ago(2), {
      key: 'AI-1',
      statusCategory: 'done',
      created: new Date(ago(5)).toISOString(),
    });
    const c = await control('A.8.4', [plan, done], ['folder', 'jira']);
    expect(c).toMatchObject({ status: 'design-only', decidingRule: 'incident-communication-records' });
    expect(c.status).toBe('design-only');
    const told = artifact('jira', 'incident', ago(2), {
      key: 'AI-2',
      statusCategory: 'done',
      created: new Date(ago(5)).toISOString(),
      customFields: { notified: ['Affected customers', 'Regulator'], notifiedAt: new Date(ago(3)).toISOString() },
    });
    const ok = await control('A.8.4', [plan, told], ['folder', 'jira']);
    expect(ok.rules.find((r) => r.rule === 'incident-communication-records')!.status).toBe('current');
  });

  it('A.8.4: a folder communication record must say who was told', async () => {
    const record = (fm: Record<string, unknown>) =>
      document('comms/2026-q2.md', ago(5), { type: 'incident-communication', ...dated, ...fm });
    const unnamed = await control('A.8.4', [record({})], ['folder']);
    expect(unnamed.rules.find((r) => r.rule === 'incident-communication-records')!.status).toBe('missing');
    const named = await control('A.8.4', [record({ notified: 'none: no incident in Q2' })], ['folder']);
    expect(named.rules.find((r) => r.rule === 'incident-communication-records')!.status).toBe('current');
  });

  const intended = () => document('registers/intended-use.md', ago(10), { type: 'intended-use', ...dated });
  const tooling = () => document('registers/tooling.md', ago(10), { type: 'tooling-inventory', ...dated });
  const raci = () => document('registers/raci.md', ago(10), { type: 'raci', ...dated });
  const process = () => document('eng/process.md', ago(10), { type: 'development-process', ...dated });
  const signals: {
    name: string;
    control: string;
    rule: string;
    base: () => IndexedArtifact[];
    signal: () => IndexedArtifact;
    configured: string[];
    signalStatus: ControlResult['status'];
  }[] = [
    {
      name: 'Dependabot with an old critical alert',
      control: 'A.4.4',
      rule: 'github-dependency-alerts',
      base: () => [tooling()],
      signal: () =>
        artifact('github', 'dependabot-alerts', ago(1), {
          repository: 'acme/app',
          enabled: true,
          oldestCriticalAgeDays: 90,
        }),
      configured: ['folder', 'github'],
      signalStatus: 'exception',
    },
    {
      name: 'Dependabot enabled and clean',
      control: 'A.4.4',
      rule: 'github-dependency-alerts',
      base: () => [tooling()],
      signal: () => artifact('github', 'dependabot-alerts', ago(1), { repository: 'acme/app', enabled: true }),
      configured: ['folder', 'github'],
      signalStatus: 'current',
    },
    {
      name: 'CODEOWNERS without a default owner',
      control: 'A.3.2',
      rule: 'github-code-ownership',
      base: () => [raci()],
      signal: () =>
        artifact('github', 'codeowners', ago(1), { repository: 'acme/app', present: true, hasDefaultOwner: false }),
      configured: ['folder', 'github'],
      signalStatus: 'exception',
    },
    {
      name: 'branch protection removed',
      control: 'A.6.1.3',
      rule: 'github-branch-protection',
      base: () => [process()],
      signal: () =>
        artifact('github', 'branch-protection', ago(1), { repository: 'acme/app', branch: 'main', protected: false }),
      configured: ['folder', 'github'],
      signalStatus: 'exception',
    },
    {
      name: 'guardrail event counts',
      control: 'A.9.4',
      rule: 'siem-guardrail-events',
      base: () => [intended()],
      signal: () => artifact('siem', 'event-counts', ago(1), { totalEvents: 10, categories: { guardrail: 4 } }),
      configured: ['folder', 'siem'],
      signalStatus: 'current',
    },
  ];
  it.each(signals)('$name does not change $control, and shows as informational ($signalStatus)', async (p) => {
    const base = p.base();
    const without = await control(p.control, base, p.configured);
    const withSignal = await control(p.control, [...base, p.signal()], p.configured);
    expect(withSignal.status).toBe(without.status);
    expect(withSignal.reason).toBe(without.reason);
    expect(withSignal.evidence).toEqual(without.evidence);
    expect(withSignal.rules.map((r) => r.rule)).not.toContain(p.rule);
    expect(withSignal.informational?.find((r) => r.rule === p.rule)?.status).toBe(p.signalStatus);
  });

  it('A.9.4 is not evidenced by guardrail counts alone', async () => {
    const counts = artifact('siem', 'event-counts', ago(1), { totalEvents: 10, categories: { guardrail: 4 } });
    expect((await control('A.9.4', [counts], ['folder', 'siem'])).status).toBe('missing');
  });

  it('a control whose only rules are informational is as unmapped as one without rules', async () => {
    const dir = await tempDir();
    const own = path.join(dir, 'only-signal.yaml');
    await writeFile(
      own,
      'remove: [tooling-inventory]\nrules:\n  - { id: signal, controls: [A.4.4], informational: true, select: { source: folder, kind: document }, freshness: 30d }\n',
    );
    const v = mappingVocabulary();
    const mappings = await loadMappings(expandMappingPaths(['default', own], dir, v, new Set(['folder'])), v);
    const doc = document('x.md', ago(1), { ...dated });
    const c = evaluate({
      artifacts: [doc],
      sourceRuns: runsOf('folder'),
      mappings,
      notApplicable: [],
      now: new Date(now),
    }).find((r) => r.control.id === 'A.4.4')!;
    expect(c).toMatchObject({ status: 'missing', cause: { kind: 'unmapped' }, rules: [] });
    expect(c.informational!.map((r) => r.status)).toEqual(['current']);
  });

  it('`informational` is validated by the mapping schema, naming the file and field', async () => {
    const dir = await tempDir();
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'rules:\n  - { id: x, controls: [A.4.4], informational: "yes", select: { source: folder }, freshness: 30d }\n',
    );
    const v = mappingVocabulary();
    await expect(loadMappings([bad], v)).rejects.toThrow(/bad\.yaml:2.*informational/s);
  });

  it("the audit pack's control page shows informational signals apart from the status", async () => {
    const c = await control(
      'A.4.4',
      [tooling(), artifact('github', 'dependabot-alerts', ago(1), { repository: 'acme/app', enabled: false })],
      ['folder', 'github'],
    );
    const model = {
      window: { from: new Date(ago(90)).toISOString(), to: new Date(now).toISOString() },
      evaluatedAt: new Date(now).toISOString(),
    } as unknown as PackModel;
    const view: ControlView = {
      id: 'A.4.4',
      title: 'Tooling resources',
      group: 'A.4',
      groupTitle: 'Resources for AI systems',
      result: c,
      timeline: [{ at: new Date(now).toISOString(), status: c.status, cause: c.cause, reason: c.reason }],
      evidence: [],
      decidedBy: [],
      rules: [],
    };
    const html = renderControlPage(model, view);
    expect(html).toContain('Informational signals (not used for the status)');
    expect(html).toMatch(/<tr data-rule="github-dependency-alerts">.*s-exception/);
    expect(c.status).toBe('current');
  });
});

describe('10. catalog: sub-groups, A.5.23 and weak links', () => {
  const catalog = loadCatalog();
  it.each([
    ['A.6.1.2', 'A.6.1'],
    ['A.6.1.3', 'A.6.1'],
    ['A.6.2.2', 'A.6.2'],
    ['A.6.2.8', 'A.6.2'],
  ])('%s is in sub-group %s', (id, subgroup) => {
    expect(catalog.controls.find((c) => c.id === id)).toMatchObject({ group: 'A.6', subgroup });
  });

  it('A.10.3 lines up with ISO/IEC 27001:2022 A.5.23', () => {
    const a103 = catalog.controls.find((c) => c.id === 'A.10.3')!;
    expect(a103.crosswalk).toContainEqual(expect.objectContaining({ framework: 'iso27001-2022', ref: 'A.5.23' }));
  });

  it('weak links are marked with a note saying why', () => {
    const weak = catalog.controls.flatMap((c) =>
      (c.crosswalk ?? []).filter((x) => x.strength === 'weak').map((x) => ({ id: c.id, ...x })),
    );
    expect(weak.map((w) => `${w.id} ${w.ref}`)).toContain('A.8.4 MEASURE 2.1');
    for (const w of weak) expect(w.note, `${w.id} ${w.ref}`).toBeTruthy();
  });
});

describe('GitHub and S3 documents are dated like folder documents', () => {
  it('S3 user metadata dates a document and names its approver; without a date it is file-time', () => {
    const fm = metadataAsFrontMatter({ 'effective-date': '2026-03-01', 'approved-by': 'CRO', type: 'ai-policy' });
    expect(documentDating({ frontMatter: fm }, { iso: '2026-06-01T00:00:00.000Z', from: 'last-modified' })).toEqual({
      observedAt: '2026-03-01T00:00:00.000Z',
      attributes: { observedAtFrom: 'front-matter:effective_date', dateSource: 'effective', approvedBy: 'CRO' },
    });
    expect(documentDating({}, { iso: '2026-06-01T00:00:00.000Z', from: 'last-modified' })).toEqual({
      observedAt: '2026-06-01T00:00:00.000Z',
      attributes: { observedAtFrom: 'last-modified', dateSource: 'file-time' },
    });
  });

  it('an undated GitHub policy is unverified, a dated one current', async () => {
    const file = (fm: Record<string, unknown>, dateSource: string) =>
      artifact('github', 'file', ago(3), {
        path: 'docs/ai-policy.md',
        repository: 'acme/p',
        frontMatter: fm,
        dateSource,
      });
    const undated = await control('A.2.2', [file({ type: 'ai-policy' }, 'file-time')], ['folder', 'github']);
    expect(anyRule(undated, 'ai-policy-document')!.status).toBe('unverified');
    const good = await control('A.2.2', [file({ type: 'ai-policy', ...dated }, 'effective')], ['folder', 'github']);
    expect(anyRule(good, 'ai-policy-document')!.status).toBe('current');
  });
});
