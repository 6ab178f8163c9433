import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planAlerts } from '../../alerts/engine';
import { emptyAlertState } from '../../alerts/state';
import type { AlertPolicy } from '../../alerts/types';
import { controlStatus } from '../../cli/commands/status';
import type { SourceOutcome } from '../../core/sweep-outcome';
import { buildOscal, buildPackModel } from '../../evidence/export';
import { esc, renderControlPage } from '../../evidence/export/html';
import { FilesystemStore } from '../../evidence/fs-store';
import { mappingVocabulary } from '../../connectors';
import type { CollectionFailedCause } from '../../mappings/causes';
import { dueLabel } from '../../mappings/due';
import type { ControlResult } from '../../mappings/evaluate';
import { loadMappings } from '../../mappings/load';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir, writeTree } from '../support/tmp';

/**
 * Issue 15 acceptance: one row per reason class, each through `status --json`, the HTML control page, the
 * OSCAL findings and the Slack alert, which must agree on the deciding rule, the date and the facts.
 */
const DAY = 86_400_000;
const now = new Date('2026-06-01T00:00:00.000Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY);

interface Row {
  name: string;
  rule: string;
  /** The rule's YAML body after `id` (controls are added). */
  yaml: string;
  control: string;
  bundles: {
    at: Date;
    files: Record<string, string>;
    attributes?: Record<string, Record<string, unknown>>;
    failed?: string[];
  }[];
  status: ControlResult['status'];
  /** The expected DUE date, or undefined when the control must have none. */
  due?: Date;
  /** Sentence fragments every renderer must show. */
  facts: string[];
  /** Every failing source `status --json` must list. */
  failedSources?: string[];
}

const failedRun = (source: string): SourceOutcome => ({
  source,
  sourceType: 'folder',
  status: 'failed',
  artifactCount: 0,
  error: { type: 'AuthError', message: `HTTP 401 from ${source}` },
});

const rows: Row[] = [
  {
    name: 'collected, but a test fails: named with the actual value',
    rule: 'log-continuity',
    yaml: 'select: { source: folder, where: { path: { glob: "siem/**" }, maxGapHours: { lte: 24 } } }\n    freshness: 30d',
    control: 'A.6.2.8',
    bundles: [
      {
        at: daysAgo(2),
        files: { 'siem/continuity.json': '{}\n' },
        attributes: { 'siem/continuity.json': { maxGapHours: 33404.94 } },
      },
    ],
    status: 'missing',
    facts: ['collected, but no record matches rule "log-continuity"', 'maxGapHours is 33404.94, rule needs ≤ 24'],
  },
  {
    name: 'nothing collected from the source kind',
    rule: 'branch-protection',
    yaml: 'select: { source: github, kind: branch-protection, where: { protected: true } }\n    freshness: 30d',
    control: 'A.6.1.3',
    bundles: [{ at: daysAgo(2), files: { 'README.md': 'x\n' } }],
    status: 'missing',
    facts: ['nothing collected for rule "branch-protection" from github branch-protection'],
  },
  {
    name: 'matched, but too old',
    rule: 'communication-plan',
    yaml: 'select: { source: folder, where: { path: { glob: "comms/**" } } }\n    freshness: { maxAge: 30d, grace: 5d }',
    control: 'A.8.4',
    bundles: [{ at: daysAgo(100), files: { 'comms/plan.md': 'plan\n' } }],
    status: 'stale',
    due: daysAgo(65),
    facts: ['newest evidence docs:comms/plan.md is 100d old', 'max age 30d'],
  },
  {
    name: 'collection failed',
    rule: 'impact-assessments',
    yaml: 'select: { source: folder, where: { path: { glob: "impact/**" } } }\n    freshness: 90d',
    control: 'A.5.2',
    bundles: [{ at: daysAgo(1), files: { 'README.md': 'x\n' }, failed: ['drive'] }],
    status: 'collection-failed',
    facts: ['source "drive" failed', 'HTTP 401 from drive'],
    failedSources: ['drive'],
  },
  {
    name: 'every failed source named',
    rule: 'monitoring',
    yaml: 'select: { source: folder, where: { path: { glob: "monitoring/**" } } }\n    freshness: 30d',
    control: 'A.6.2.6',
    bundles: [{ at: daysAgo(1), files: { 'README.md': 'x\n' }, failed: ['gh-d', 'gh-b', 'gh-a', 'gh-c'] }],
    status: 'collection-failed',
    facts: ['4 sources failed: gh-a, gh-b, gh-c and 1 more', 'HTTP 401 from gh-a', 'evidence is already missing'],
    failedSources: ['gh-a', 'gh-b', 'gh-c', 'gh-d'],
  },
];

const policy: AlertPolicy = {
  defaultChannel: '#compliance',
  routes: [],
  digest: false,
  reminderEveryMs: 7 * DAY,
  dueSoonNotice: true,
};

async function hubFor(row: Row) {
  const dir = await tempDir();
  await writeTree(dir, {
    'm.yaml': `rules:\n  - id: ${row.rule}\n    controls: [${row.control}]\n    ${row.yaml}\n`,
  });
  const mappings = await loadMappings([path.join(dir, 'm.yaml')], mappingVocabulary());
  const store = await FilesystemStore.open(path.join(dir, 'store'));
  const key = newKey();
  for (const [i, b] of row.bundles.entries())
    await writeBundle(store, key, mappings, `sweep-${i}`, b.files, b.at, {
      ...(b.attributes ? { attributes: b.attributes } : {}),
      extraOutcomes: (b.failed ?? []).map(failedRun),
    });
  return { store, mappings, notApplicable: [] };
}

describe('reason classes agree across status --json, HTML, OSCAL and Slack', () => {
  it.each(rows)('$name', async (row) => {
    const hub = await hubFor(row);
    const day = row.due?.toISOString().slice(0, 10);

    // status --json: what the command prints, parsed back.
    const { results } = await controlStatus(hub, { asOf: now.toISOString() });
    const json = JSON.parse(JSON.stringify({ controls: results })) as { controls: ControlResult[] };
    const c = json.controls.find((x) => x.control.id === row.control)!;
    expect(c).toMatchObject({ status: row.status, decidingRule: row.rule });
    expect(c.dueAt).toBe(row.due?.toISOString());
    for (const f of row.facts) expect(c.reason).toContain(f);
    const label = dueLabel(c);
    expect(label).toBe(row.due ? (row.status === 'stale' ? 'stale since' : 'goes stale on') : undefined);
    if (row.failedSources) {
      const cause = (c.cause as Extract<ControlResult['cause'], { kind: 'rule' }>).cause as CollectionFailedCause;
      expect(cause.sources.map((s) => s.source)).toEqual(row.failedSources);
    }

    // The HTML control page of an audit pack evaluated at the same time.
    const { model } = await buildPackModel(hub, { from: daysAgo(120), to: now, now });
    const view = model.controls.find((x) => x.id === row.control)!;
    expect(view.result).toEqual(c);
    const html = renderControlPage(model, view);
    expect(html).toContain(`<p class="reason" id="reason">${esc(c.reason)}</p>`);
    expect(html).toContain(`decided by rule <code id="deciding-rule">${row.rule}</code>`);
    if (day) expect(html).toContain(`${label} <b id="due">${day}</b>`);
    else expect(html).not.toContain('id="due"');
    for (const f of row.facts) expect(html).toContain(esc(f));
    for (const s of row.failedSources ?? []) expect(html).toContain(`Source <b>${s}</b>`);

    // The OSCAL finding.
    const oscal = buildOscal(model) as {
      'assessment-results': {
        results: {
          findings: {
            description: string;
            target: { 'target-id': string };
            props: { name: string; value: string; class?: string }[];
          }[];
        }[];
      };
    };
    const finding = oscal['assessment-results'].results[0]!.findings.find(
      (f) => f.target['target-id'] === row.control,
    )!;
    expect(finding.description).toBe(c.reason);
    const props = (name: string) => finding.props.filter((p) => p.name === name);
    expect(props('deciding-rule').map((p) => p.value)).toEqual([row.rule]);
    expect(props('due').map((p) => [p.value, p.class])).toEqual(
      row.due ? [[row.due.toISOString(), label!.replace(/ /g, '-')]] : [],
    );
    expect(props('failed-source').map((p) => p.value)).toEqual(row.failedSources ?? []);

    // The Slack alert.
    const plan = planAlerts(emptyAlertState(), results, now, policy);
    const text = JSON.stringify(plan.messages.filter((m) => m.controls.includes(row.control)).map((m) => m.blocks));
    expect(text).toContain(row.control);
    for (const f of row.facts) expect(text).toContain(JSON.stringify(f).slice(1, -1));
    if (day) expect(text).toMatch(new RegExp(`${label} <!date\\^\\d+\\^\\{date_short_pretty\\}\\|${day}>`));
    else expect(text).not.toMatch(/goes stale on <|stale since </);
  });
});
