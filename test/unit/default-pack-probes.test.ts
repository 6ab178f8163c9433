import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { evaluate, type ControlResult, type IndexedArtifact } from '../../mappings/evaluate';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { ago, artifact, control, document, folderArtifacts, now, pack, ruleOf } from '../support/default-pack';

/**
 * Probes of the shipped default pack (issue 16): each row builds a small index the way the connectors
 * would, evaluates it with the default rules for the configured source types, and checks one control.
 */

const protectedBranch = {
  repository: 'acme/app',
  branch: 'main',
  protected: true,
  pullRequestRequired: true,
  requiredApprovingReviewCount: 1,
  forcePushesBlocked: true,
};

describe('1. current state vs events: only the newest snapshot per subject decides', () => {
  const probes: {
    name: string;
    control: string;
    artifacts: () => IndexedArtifact[];
    configured: string[];
    /** The rule probed (the control may have others). */
    rule: string;
    status: ControlResult['status'];
    reason?: RegExp;
  }[] = [
    {
      name: 'branch protection removed today is an exception at once (an older passing snapshot does not count)',
      control: 'A.6.1.3',
      rule: 'github-branch-protection',
      configured: ['github'],
      artifacts: () => [
        artifact('github', 'branch-protection', ago(10), protectedBranch),
        artifact('github', 'branch-protection', ago(0.1), { ...protectedBranch, protected: false }),
      ],
      status: 'exception',
      reason: /exception: the current state breaks rule "github-branch-protection".*acme\/app main.*protected is false/,
    },
    {
      name: 'protection restored after a lapse: the newest snapshot passes',
      control: 'A.6.1.3',
      rule: 'github-branch-protection',
      configured: ['github'],
      artifacts: () => [
        artifact('github', 'branch-protection', ago(5), { ...protectedBranch, protected: false }),
        artifact('github', 'branch-protection', ago(1), protectedBranch),
      ],
      status: 'current',
    },
    {
      name: 'one of two repositories lost protection: exception, naming that repository',
      control: 'A.6.1.3',
      rule: 'github-branch-protection',
      configured: ['github'],
      artifacts: () => [
        artifact('github', 'branch-protection', ago(1), protectedBranch),
        artifact('github', 'branch-protection', ago(1), {
          ...protectedBranch,
          repository: 'acme/model',
          requiredApprovingReviewCount: 0,
        }),
      ],
      status: 'exception',
      reason: /acme\/model main.*requiredApprovingReviewCount is 0/,
    },
    {
      name: 'an unapproved merge in the newest summary is an exception at once',
      control: 'A.6.2.3',
      rule: 'github-no-unreviewed-merges',
      configured: ['github'],
      artifacts: () => [
        artifact('github', 'pull-request-summary', ago(3), { repository: 'acme/app', allApproved: true }),
        artifact('github', 'pull-request-summary', ago(0.2), { repository: 'acme/app', allApproved: false }),
      ],
      status: 'exception',
    },
    {
      name: 'a SIEM gap in the newest continuity summary is an exception (older continuous summaries do not count)',
      control: 'A.6.2.8',
      rule: 'siem-log-continuity',
      configured: ['siem'],
      artifacts: () => [
        artifact('siem', 'log-continuity', ago(20), { maxGapHours: 2 }),
        artifact('siem', 'log-continuity', ago(1), { maxGapHours: 72 }),
        artifact('siem', 'retention', ago(1), { retainedDays: 200 }),
      ],
      status: 'exception',
      reason: /maxGapHours is 72, rule needs ≤ 24/,
    },
    {
      name: 'a snapshot that is no longer collected ages like any record: stale, not an exception',
      control: 'A.6.1.3',
      rule: 'github-branch-protection',
      configured: ['github'],
      artifacts: () => [artifact('github', 'branch-protection', ago(45), protectedBranch)],
      status: 'stale',
    },
  ];
  it.each(probes)('$name', async (p) => {
    const c = await control(p.control, p.artifacts(), p.configured);
    // Branch protection is informational on A.6.1.3 (item 9): judged the same way, shown, not deciding.
    const rule = [...c.rules, ...(c.informational ?? [])].find((r) => r.rule === p.rule)!;
    expect(rule.status, c.reason).toBe(p.status);
    if (p.status === 'exception' && c.rules.includes(rule)) expect(c.status).toBe('exception');
    if (p.reason) expect(rule.reason).toMatch(p.reason);
  });
});

describe('2. alternatives vs requirements: connector packs extend the base rule', () => {
  const policy = () => document('policies/ai-policy.md', ago(30), { type: 'ai-policy', effective_date: '2026-05-01' });
  const card = () => document('model-cards/fraud.md', ago(30), { type: 'model-card', effective_date: '2026-05-01' });
  const design = () => document('adr/0001.md', ago(30), { type: 'design-record', effective_date: '2026-05-01' });
  const probes: { name: string; control: string; rule: string; artifacts: () => IndexedArtifact[] }[] = [
    { name: 'AI policy in a folder', control: 'A.2.2', rule: 'ai-policy-document', artifacts: () => [policy()] },
    { name: 'model cards in a folder', control: 'A.6.2.7', rule: 'model-cards', artifacts: () => [card()] },
    { name: 'design records in a folder', control: 'A.6.2.3', rule: 'design-records', artifacts: () => [design()] },
  ];
  const extra: string[][] = [['github'], ['mlflow'], ['github', 'mlflow', 'jira', 's3']];
  it.each(probes.flatMap((p) => extra.map((e) => ({ ...p, extra: e }))))(
    'adding $extra never makes $rule ($control) harder: $name stays current',
    async (p) => {
      const alone = (await control(p.control, p.artifacts(), ['folder'])).rules.find((r) => r.rule === p.rule)!;
      expect(alone.status).toBe('current');
      const more = await control(p.control, p.artifacts(), ['folder', ...p.extra]);
      expect(more.rules.find((r) => r.rule === p.rule)!.status).toBe('current');
      // No other rule of the control asks for the same document from the new source.
      const rules = (await pack('folder', ...p.extra)).rules.filter((r) => r.controls.includes(p.control));
      const docRules = rules.filter((r) => r.selectors.some((s) => s.kind === 'file' || s.kind === 'model-card'));
      expect(docRules.map((r) => r.id).filter((id) => id !== p.rule)).toEqual([]);
    },
  );

  it('a GitHub policy or an MLflow model card alone satisfies the same rule', async () => {
    const ghPolicy = artifact('github', 'file', ago(20), {
      path: 'docs/ai-policy.md',
      repository: 'acme/p',
      frontMatter: { type: 'ai-policy' },
    });
    const c = await control('A.2.2', [ghPolicy], ['folder', 'github']);
    expect(c.rules.find((r) => r.rule === 'ai-policy-document')!.status).toBe('current');
    const mlCard = artifact('mlflow', 'model-card', ago(20), { modelVersion: 'fraud/3', path: 'README.md' });
    const m = await control('A.6.2.7', [mlCard], ['folder', 'mlflow']);
    expect(m.rules.find((r) => r.rule === 'model-cards')!.status).toBe('current');
  });
});

describe('3. no activity is not staleness', () => {
  it('a quiet quarter of merges and releases is not-exercised, not stale and not current', async () => {
    const old = artifact('github', 'pull-request', ago(200), {
      repository: 'acme/app',
      number: 1,
      approved: true,
      toDefaultBranch: true,
    });
    const c = await control('A.6.2.3', [old], ['github']);
    const merges = c.rules.find((r) => r.rule === 'github-reviewed-merges')!;
    expect(merges.status).toBe('not-exercised');
    expect(merges.reason).toMatch(/^not exercised: no changes in the last 90d/);
    const r = await control('A.6.2.5', [], ['github']);
    expect(r.rules.find((x) => x.rule === 'github-releases')!.status).toBe('not-exercised');
  });

  it('a merge without approval in the window is named; approved merges are recorded', async () => {
    const pr = (number: number, approved: boolean) =>
      artifact('github', 'pull-request', ago(3), { repository: 'acme/app', number, approved, toDefaultBranch: true });
    const c = await control('A.6.2.3', [pr(1, true), pr(2, false)], ['github']);
    const merges = c.rules.find((r) => r.rule === 'github-reviewed-merges')!;
    // An unapproved merge has no record at all: missing evidence, not ageing evidence.
    expect(merges.status).toBe('missing');
    expect(merges.reason).toContain('acme/app#2');
  });

  it('a per-change rule whose source is not configured says not-configured', async () => {
    const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
    const c = evaluate({ artifacts: [], sourceRuns: [], mappings, notApplicable: [], now: new Date(now) }).find(
      (r) => r.control.id === 'A.8.4',
    )!;
    const jira = c.informational!.find((r) => r.rule === 'jira-incident-handling')!;
    expect(jira.status).toBe('not-configured');
    expect(jira.reason).toMatch(/^not configured: no jira source feeds rule "jira-incident-handling"/);
  });

  it('an incident opened years ago and closed today is late, not handled within 30 days', async () => {
    const incident = artifact('jira', 'incident', ago(0.5), {
      key: 'AI-7',
      created: '2015-03-01T00:00:00Z',
      statusCategory: 'done',
    });
    const c = await control('A.8.4', [incident], ['jira']);
    // Informational on A.8.4 (closing a ticket is not communication), judged per change all the same.
    const jira = c.informational!.find((r) => r.rule === 'jira-incident-handling')!;
    expect(jira.status).toBe('stale');
    expect(jira.reason).toContain('AI-7');
    const onTime = artifact('jira', 'incident', ago(0.5), {
      key: 'AI-8',
      created: new Date(ago(10)).toISOString(),
      statusCategory: 'done',
    });
    const ok = await control('A.8.4', [onTime], ['jira']);
    expect(ok.informational!.find((r) => r.rule === 'jira-incident-handling')!.status).toBe('current');
  });
});

describe('4. design vs operating: a design document alone is design-only', () => {
  const dated = { effective_date: '2026-05-01' };
  const probes: { control: string; design: string; operating: IndexedArtifact }[] = [
    {
      control: 'A.6.2.8',
      design: 'logging-standard',
      operating: artifact('manual', 'record', ago(10), { topic: 'log-review' }, 'records'),
    },
    {
      control: 'A.3.3',
      design: 'concern-procedure',
      operating: artifact('manual', 'record', ago(10), { topic: 'concern-register' }, 'records'),
    },
    {
      control: 'A.8.3',
      design: 'external-reporting',
      operating: artifact('manual', 'record', ago(10), { topic: 'external-reports' }, 'records'),
    },
    {
      control: 'A.8.4',
      design: 'incident-communication-plan',
      operating: artifact('manual', 'record', ago(10), { topic: 'incident-communication' }, 'records'),
    },
    {
      control: 'A.9.2',
      design: 'responsible-use',
      operating: artifact('manual', 'record', ago(10), { topic: 'oversight-review' }, 'records'),
    },
    {
      control: 'A.6.1.2',
      design: 'development-objectives',
      operating: document('objectives/2026-q1.md', ago(10), { type: 'objective-measurement', ...dated }),
    },
    {
      control: 'A.9.3',
      design: 'use-objectives',
      operating: document('objectives/use-2026-q1.md', ago(10), { type: 'objective-measurement', ...dated }),
    },
  ];
  it.each(probes)('$control: design-only on its $design document, current with an operating record', async (p) => {
    const designDoc = () => document(`docs/${p.design}.md`, ago(30), { type: p.design, ...dated });
    const alone = await control(p.control, [designDoc()], ['folder', 'manual']);
    expect(alone.status, alone.reason).toBe('design-only');
    expect(alone.reason).toMatch(/^(.*: )?design only: no operating record/);
    const both = await control(p.control, [designDoc(), p.operating], ['folder', 'manual']);
    expect(both.status, both.reason).toBe('current');
    // Without the design document either, the control is plainly missing.
    expect((await control(p.control, [], ['folder', 'manual'])).status).toBe('missing');
  });
});

describe('5. document dates and approval', () => {
  it('a document dated only by its file time is unverified, naming it and what to add', async () => {
    const docs = await folderArtifacts({ 'ai-policy.md': '---\ntype: ai-policy\nversion: 2\n---\n# Policy\n' });
    const policy = ruleOf(await control('A.2.2', docs, ['folder'], Date.now()), 'ai-policy-document');
    expect(policy.status).toBe('unverified');
    expect(policy.cause).toMatchObject({ kind: 'undated', record: { id: 'docs:ai-policy.md' } });
    expect(policy.reason).toContain('docs:ai-policy.md has no effective, approval or review date');
    expect(policy.reason).toContain('add effective_date, approved or review_date to its front matter');
    expect(policy.dueAt).toBeUndefined();
  });

  it('a draft never counts: an older approved version decides, and a draft alone matches nothing', async () => {
    const approved = '---\ntype: ai-policy\nversion: 1\neffective_date: 2026-03-01\nstatus: approved\n---\n';
    const draft = '---\ntype: ai-policy\nversion: 2\neffective_date: 2026-05-20\nstatus: draft\n---\n';
    const both = await folderArtifacts({ 'ai-policy.md': approved, 'drafts/ai-policy-v2.md': draft });
    const decided = ruleOf(await control('A.2.2', both, ['folder']), 'ai-policy-document');
    expect(decided).toMatchObject({ status: 'current', evidence: ['docs:ai-policy.md'] });
    const alone = ruleOf(
      await control('A.2.2', await folderArtifacts({ 'drafts/ai-policy-v2.md': draft }), ['folder']),
      'ai-policy-document',
    );
    expect(alone.status).toBe('missing');
    expect(alone.reason).toContain('documentStatus is "draft"');
  });

  it("a PDF's metadata date is used, and the reason says it is the PDF's date", async () => {
    const pdf = await PDFDocument.create();
    pdf.addPage();
    pdf.setCreationDate(new Date('2026-01-12T00:00:00Z'));
    pdf.setModificationDate(new Date('2026-01-12T00:00:00Z'));
    // The PDF's type comes from its sidecar (no front matter in a PDF); its date from the PDF metadata.
    const docs = await folderArtifacts({
      'responsible-use-objectives.pdf': Buffer.from(await pdf.save()),
      'responsible-use-objectives.pdf.meta.yaml': 'type: use-objectives\n',
    });
    const rule = ruleOf(await control('A.9.3', docs, ['folder']), 'responsible-use-objectives');
    expect(rule).toMatchObject({ status: 'current', newest: { observedAt: '2026-01-12T00:00:00.000Z' } });
    expect(rule.reason).toContain('PDF modified 2026-01-12');
  });

  it('the date source and the approver are recorded and shown', async () => {
    const docs = await folderArtifacts({
      'ai-policy.md': '---\ntype: ai-policy\napproved: 2026-02-02\napproved_by: Chief Risk Officer\n---\n',
    });
    expect(docs[0]!.attributes).toMatchObject({ dateSource: 'approved', approvedBy: 'Chief Risk Officer' });
    const rule = ruleOf(await control('A.2.2', docs, ['folder']), 'ai-policy-document');
    expect(rule.status).toBe('current');
    expect(rule.reason).toContain('approved 2026-02-02');
  });
});

describe('5. acknowledgements name the policy version they acknowledge', () => {
  const policy = document('policies/ai-policy.md', ago(60), {
    type: 'ai-policy',
    version: '2026.1',
    effective_date: '2026-04-01',
  });
  const ack = (policyVersion?: string) =>
    artifact('manual', 'record', ago(30), {
      topic: 'policy-acknowledgement',
      dateSource: 'effective',
      ...(policyVersion !== undefined ? { policyVersion } : {}),
    });

  it('an acknowledgement of an old policy version is reported with both versions', async () => {
    const old = ack('2025.1');
    const rule = ruleOf(await control('A.2.2', [policy, old], ['folder', 'manual']), 'policy-acknowledgements');
    expect(rule.status).toBe('stale');
    expect(rule.cause).toMatchObject({
      kind: 'version-mismatch',
      record: { id: old.id, version: '2025.1' },
      current: { rule: 'ai-policy-document', id: policy.id, version: '2026.1' },
    });
    expect(rule.reason).toContain('is for version 2025.1, but the current version is 2026.1');
  });

  it('an acknowledgement of the current version, or one naming none, is told apart', async () => {
    const current = ruleOf(
      await control('A.2.2', [policy, ack('2026.1')], ['folder', 'manual']),
      'policy-acknowledgements',
    );
    expect(current.status).toBe('current');
    const unnamed = ruleOf(await control('A.2.2', [policy, ack()], ['folder', 'manual']), 'policy-acknowledgements');
    expect(unnamed).toMatchObject({ status: 'stale', reason: expect.stringContaining('names no version') });
  });
});
