import { chmod, cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../core/data-files';
import { statuses, type ControlStatus } from '../../mappings/evaluate';
import { statusText } from '../../mappings/reasons';
import { runCli } from '../support/processes';
import { tempDir, writeTree } from '../support/tmp';

/** The first JSON document in a command's stdout (the embedded dev server prints a banner first). */
function jsonOf(stdout: string): {
  bundle: unknown;
  controls: unknown[];
  systems: { systems: string[]; rows: { control: string; systems: Record<string, { status: string }> }[] };
} {
  return JSON.parse(stdout.slice(stdout.indexOf('\n{') + 1));
}

describe('evidence-hub command line', () => {
  it('demo sweeps the sample organisation; its store verifies, and fails verification after one flipped byte', async () => {
    const dir = await tempDir();
    await cp(dataPath('examples', 'demo'), path.join(dir, 'demo'), {
      recursive: true,
      filter: (src) => !src.includes('.state'),
    });
    const config = path.join(dir, 'demo', 'evidence-hub.yaml');
    const store = path.join(dir, 'demo', '.state', 'evidence-store');

    const demo = await runCli(['demo', '--config', config, '--json']);
    expect(demo.stderr).toContain('web UI: http://127.0.0.1:');
    expect(demo.stderr).toMatch(
      /schedules: nightly-documents, integrity, integrity-full \(see http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/schedules\)/,
    );
    expect(demo.code).toBe(0);
    const out = jsonOf(demo.stdout);
    expect(out.bundle).toMatchObject({ sequence: 1, artifactCount: 46, failedSources: [] });
    expect(out.controls).toHaveLength(38);
    // The management-system clauses (issue 17 item 2) from the demo's register of AIMS records: internal
    // audit and management review current, each nonconformity closed by its due date or open with a reason.
    // (Fixed 2026 dates: whether they are still current depends on the day the test runs, so the test
    // checks the evidence that decided, not the status.)
    type Clause = { control: { id: string }; status: string; rules: { rule: string; evidence: string[] }[] };
    const clauses = (out as unknown as { clauses: Clause[] }).clauses;
    expect(clauses).toHaveLength(27);
    const clauseRule = (id: string, rule: string) =>
      clauses.find((c) => c.control.id === id)!.rules.find((r) => r.rule === rule)!;
    expect(clauseRule('9.2', 'internal-audit-reports').evidence).toEqual([
      'registers:management-system/internal-audit-report-2026.md',
    ]);
    expect(clauseRule('9.3', 'management-review-minutes').evidence).toEqual([
      'registers:management-system/management-review-2026.md',
    ]);
    expect(clauseRule('10.2', 'nonconformity-handling').evidence.sort()).toEqual([
      'registers:management-system/nonconformities/NC-2026-01.md',
      'registers:management-system/nonconformities/NC-2026-02.md',
    ]);

    const status = await runCli(['status', '--config', config, '--json']);
    expect(status.code).toBe(0);
    const controls = JSON.parse(status.stdout).controls as {
      control: { id: string };
      status: ControlStatus;
      statusText: string;
      reason: string;
    }[];
    expect(controls).toHaveLength(38);
    for (const c of controls) {
      expect(statuses as readonly string[]).toContain(c.status);
      expect(c.statusText).toBe(statusText[c.status]); // "evidence current", never "fresh"
      expect(c.reason.length).toBeGreaterThan(10);
    }
    expect(controls.find((c) => c.control.id === 'A.10.4')!.status).toBe('not-applicable');
    // The not-applicable row names where the exclusion comes from: the SoA's version and approval.
    expect(controls.find((c) => c.control.id === 'A.10.4')!.reason).toMatch(
      /^not applicable \(Statement of Applicability v2026\.1, approved by Northwind Vision management board on 2026-01-12\): /,
    );
    // Filed manual records count like any evidence; a manual rule without a record keeps its control missing.
    // (The sample records carry fixed dates, so whether they are still current depends on the day the test runs.)
    type Rules = { rules: { rule: string; status: string; evidence: string[] }[] };
    const ruleOf = (id: string, rule: string) =>
      (controls.find((c) => c.control.id === id) as unknown as Rules).rules.find((r) => r.rule === rule)!;
    expect(ruleOf('A.4.6', 'training-records').evidence).toEqual([
      'records:training/2026-09-30-ai-literacy-completions.csv',
    ]);
    expect(ruleOf('A.4.6', 'training-records').status).not.toBe('missing');
    expect(ruleOf('A.2.2', 'policy-acknowledgements').evidence).toEqual([
      'records:policy-acknowledgement/2026-03-02-ai-policy-acknowledgements.csv',
    ]);
    // Every demo document carries an effective, approval or review date (the CSVs in a .meta.yaml sidecar),
    // so none is unverified; the acknowledgements name the policy version in force (2026.1).
    expect(controls.filter((c) => c.status === 'unverified').map((c) => c.control.id)).toEqual([]);
    expect(ruleOf('A.2.2', 'policy-acknowledgements').status).not.toBe('missing');
    expect((ruleOf('A.2.2', 'policy-acknowledgements') as unknown as { cause: { kind: string } }).cause.kind).not.toBe(
      'version-mismatch',
    );
    // Every document is selected by its front-matter type (#16 item 8): the inventories, competence
    // requirements and data records the demo keeps are current with their own reasons, the objectives PDF
    // (typed in its sidecar) evidences A.9.3 only, and the policy review names its reviewer (A.2.4).
    type Decided = { status: string; decidingRule?: string };
    const decided = (id: string) => controls.find((c) => c.control.id === id) as unknown as Decided;
    for (const [id, rule] of [
      ['A.4.5', 'compute-inventory'],
      ['A.7.3', 'data-acquisition-records'],
      ['A.7.4', 'data-quality-reports'],
      ['A.2.4', 'ai-policy-review-record'],
      ['A.8.2', 'user-information'],
    ] as const) {
      expect(decided(id), id).toMatchObject({ status: 'current', decidingRule: rule });
    }
    // Per AI system (aiSystems: in the demo config, issue 17 item 3): defect-detector's impact assessment is
    // current, route-optimizer's (2025-10-01) is past 365 days and its grace, and the reason names it.
    for (const id of ['A.5.3', 'A.5.4', 'A.5.5']) {
      expect(controls.find((c) => c.control.id === id)!.status, id).toBe('stale');
      expect(controls.find((c) => c.control.id === id)!.reason, id).toMatch(
        /^stale for route-optimizer \(\d+d old\), current for defect-detector \(per AI system, max age 365d\)/,
      );
    }
    expect(out.systems.systems).toEqual(['defect-detector', 'route-optimizer']);
    expect(
      out.systems.rows.map((r) => [
        r.control,
        r.systems['defect-detector']!.status,
        r.systems['route-optimizer']!.status,
      ]),
    ).toEqual([
      ['A.5.3', 'current', 'stale'],
      ['A.5.4', 'current', 'stale'],
      ['A.5.5', 'current', 'stale'],
      // The clauses' impact assessments are per AI system too.
      ['6.1.4', 'current', 'stale'],
      ['8.4', 'current', 'stale'],
    ]);
    expect(ruleOf('A.4.6', 'competence-requirements').status).toBe('current');
    expect(ruleOf('A.9.2', 'responsible-use-procedure').evidence).toEqual(['policies:responsible-use-procedure.md']);
    // The RACI (design) is current, so the missing contract clauses make A.10.2 design-only.
    expect(controls.find((c) => c.control.id === 'A.10.2')).toMatchObject({
      status: 'design-only',
      reason: expect.stringContaining('needs a manual upload'),
    });
    // The communication plan took effect in 2023 (stale), and no record shows who was told about incidents.
    expect(controls.find((c) => c.control.id === 'A.8.4')!.status).toBe('missing');
    expect(ruleOf('A.8.4', 'incident-communication-plan').status).toBe('stale');
    // NEWEST and DUE never contradict the status: both are the deciding rule's, and a missing control has no DUE.
    type Dated = Rules & { status: string; decidingRule?: string; dueAt?: string; newest?: { id: string } };
    for (const c of controls as unknown as Dated[]) {
      if (c.status === 'missing') expect(c.dueAt).toBeUndefined();
      if (c.decidingRule === undefined) continue;
      const rule = c.rules.find((r) => r.rule === c.decidingRule) as Rules['rules'][number] & Partial<Dated>;
      expect(rule.status).toBe(c.status);
      expect(c.dueAt).toBe(rule.dueAt);
      expect(c.newest).toEqual(rule.newest);
    }

    const table = await runCli(['status', '--config', config, '--controls', 'A.6.2.*']);
    expect(table.stdout.split('\n').filter((l) => l.startsWith('A.6.2.'))).toHaveLength(7);
    expect(table.stdout).toMatch(/^CONTROL +STATUS +NEWEST +STALE ON +RULE +TITLE: REASON$/m);
    // The table prints the same dates as the JSON, per control.
    for (const c of controls as unknown as { control: { id: string }; dueAt?: string }[]) {
      const row = table.stdout.split('\n').find((l) => l.startsWith(`${c.control.id} `));
      if (row) expect(row.split(/ {2,}/)[3]).toBe(c.dueAt ? c.dueAt.slice(0, 10) : '-');
    }

    const rebuilt = await runCli(['index', 'rebuild', '--config', config]);
    expect(rebuilt.stdout).toMatch(/rebuilt index of .*: 1 bundle\(s\), 46 distinct artifact\(s\)/);
    const newest = JSON.parse((await runCli(['index', 'newest', '--config', config, '--json'])).stdout);
    expect(newest['A.9.3']).toMatchObject({ id: 'policies:responsible-use-objectives.pdf', bundle: 1 });
    const inWindow = JSON.parse(
      (
        await runCli([
          'index',
          'evidence',
          'A.8.4',
          '--from',
          '2023-01-01',
          '--to',
          '2023-12-31',
          '--config',
          config,
          '--json',
        ])
      ).stdout,
    );
    expect(inWindow.map((r: { id: string }) => r.id)).toEqual(['policies:incident-communication-plan.md']);

    // Without a pinned key, verify checks integrity only and says so (exit 3); pinned, it authenticates (0).
    const unpinned = await runCli(['verify', store]);
    expect(unpinned.code).toBe(3);
    expect(unpinned.stdout).toMatch(/^OK: .*1 bundle\(s\), 46 blob\(s\) checked/);
    expect(unpinned.stdout).toContain('AUTHENTICITY NOT CHECKED');
    const shown = JSON.parse((await runCli(['keys', 'show', '--config', config, '--json'])).stdout);
    const fingerprint = `sha256:${shown.keys[0].fingerprint}`;
    expect(demo.stderr).toContain(`created demo signing key`);
    const ok = await runCli(['verify', store, '--trust', fingerprint]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: .*1 bundle\(s\), 46 blob\(s\) checked/);
    const one = await runCli([
      'verify',
      path.join(store, 'manifests', '000000000001.json'),
      '--trust',
      fingerprint,
      '--json',
    ]);
    expect(JSON.parse(one.stdout)).toMatchObject({ ok: true, authenticated: true, bundlesChecked: 1 });

    const prefix = (await readdir(path.join(store, 'blobs', 'sha256')))[0]!;
    const blobName = (await readdir(path.join(store, 'blobs', 'sha256', prefix)))[0]!;
    const blob = path.join(store, 'blobs', 'sha256', prefix, blobName);
    await chmod(blob, 0o644);
    const bytes = await readFile(blob);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    await writeFile(blob, bytes);
    const bad = await runCli(['verify', store]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('FAILED');
    expect(bad.stdout).toContain(`blob-altered: bundle #1: blob of `);
    expect(bad.stdout).toContain(`expected ${blobName.slice(0, 12)}`);
  });

  it('a malformed config exits 2 naming the file, line and field', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'evidence-hub.yaml':
        'version: 1\nsources:\n  - id: docs\n    type: folder\n    path: ./docs\nschedules:\n  - id: nightly\n    cron: "0 2 * *"\n',
    });
    const r = await runCli(['status', '--config', path.join(dir, 'evidence-hub.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, 'evidence-hub.yaml')}:8:11: schedules[0].cron: expected 5 fields`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for bad input
  });

  it('a mapping naming a control that does not exist exits 2 with file:line:col and a suggestion', async () => {
    const dir = await tempDir();
    const mapping = path.join(dir, 'org-mappings.yaml');
    await writeTree(dir, {
      'org-mappings.yaml':
        'rules:\n  - id: drift\n    controls: [A.6.2.6, A.6.2.10]\n    select: { source: folder }\n    freshness: 30d\n',
      'evidence-hub.yaml': `version: 1\nmappings: [default, ./org-mappings.yaml]\nsources:\n  - { id: docs, type: folder, path: ./docs }\n`,
    });
    const check = await runCli(['mappings', 'check', mapping]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(
      `${mapping}:3:25: rules[0].controls[1]: unknown control id "A.6.2.10" (hint: did you mean A.6.2.2?)`,
    );
    // Every command that loads mappings refuses to run on them.
    const status = await runCli(['status', '--config', path.join(dir, 'evidence-hub.yaml')]);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(`${mapping}:3:25:`);
    await writeFile(
      mapping,
      'rules:\n  - id: drift\n    controls: [A.6.2.6]\n    select: { source: folder }\n    freshness: 30d\n',
    );
    const good = await runCli(['mappings', 'check', mapping]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('OK: 1 rules in 1 file(s) cover 1 of 38 controls');
    expect(good.stdout).toContain('not covered (they will show as missing): A.2.2, A.2.3,');
    // An informational rule never decides a status, so it covers nothing (#16 item 9).
    await writeFile(
      mapping,
      'rules:\n  - id: drift\n    controls: [A.6.2.6]\n    informational: true\n    select: { source: folder }\n    freshness: 30d\n',
    );
    const signal = await runCli(['mappings', 'check', mapping]);
    expect(signal.stdout).toContain('OK: 1 rules in 1 file(s) cover 0 of 38 controls');
  });

  it('verify on something that is not a store is a usage error', async () => {
    const dir = await tempDir();
    const r = await runCli(['verify', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not an evidence store');
  });
});
