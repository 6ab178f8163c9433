import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { FilesystemStore } from '../../evidence/fs-store';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { runCli } from '../support/processes';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir, writeTree } from '../support/tmp';

/**
 * `per: aiSystem` end to end through the CLI (issue 17 item 3): sealed bundles in a real store, an AI
 * system register file, and `status`, `status --by-system` and `status --system NAME` as a user runs them.
 */
const assessment = (system: string) => ({
  frontMatter: { type: 'impact-assessment', system, impacts: ['individuals', 'societal'] },
  dateSource: 'effective',
});

const config = (withInventory: boolean) => `version: 1
store: { path: ./store }
sources:
  - { id: docs, type: folder, path: ./org }
${withInventory ? 'aiSystems:\n  register: { file: ./ai-systems.csv }\n  grace: 30d\n' : ''}`;

async function fixture() {
  const dir = await tempDir();
  await writeTree(dir, {
    'evidence-hub.yaml': config(true),
    'plain.yaml': config(false),
    'org/.keep': '',
    'ai-systems.csv': [
      'id,status,retired_on,added_on,owner',
      'chat-assistant,production,,,Support',
      'route-optimizer,production,,,"Logistics, AI team"',
      'legacy-ocr,retired,2026-03-01,,Back office',
      'new-bot,pilot,,2026-06-10,Support',
      '',
    ].join('\n'),
  });
  const store = await FilesystemStore.open(path.join(dir, 'store'));
  const vocabulary = mappingVocabulary();
  const mappings = await loadMappings(
    expandMappingPaths(['default'], dir, vocabulary, new Set(['folder'])),
    vocabulary,
  );
  const key = newKey();
  // route-optimizer's assessment is from January 2025: stale by mid-2026, behind chat-assistant's fresh one.
  await writeBundle(store, key, mappings, 'jan-2025', { 'ia/route.md': 'route' }, new Date('2025-01-10T00:00:00Z'), {
    attributes: { 'ia/route.md': assessment('route-optimizer') },
  });
  await writeBundle(
    store,
    key,
    mappings,
    'jun-2026',
    { 'ia/chat.md': 'chat', 'ia/typo.md': 'typo' },
    new Date('2026-06-01T00:00:00Z'),
    { attributes: { 'ia/chat.md': assessment('chat-assistant'), 'ia/typo.md': assessment('route-optimiser') } },
  );
  return { dir, cfg: path.join(dir, 'evidence-hub.yaml'), plain: path.join(dir, 'plain.yaml') };
}

describe('status per AI system (CLI)', () => {
  it('names the stale system, shows the matrix and one system, and warns about an unknown name', async () => {
    const { cfg, plain } = await fixture();
    const asOf = ['--as-of', '2026-06-15'];

    const status = await runCli(['status', '--config', cfg, ...asOf, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const a53 = JSON.parse(status.stdout).controls.find((c: { control: { id: string } }) => c.control.id === 'A.5.3');
    expect(a53.status).toBe('stale');
    expect(a53.reason).toMatch(
      /^stale for route-optimizer \(522d old\), new, in grace for new-bot \(missing after 2026-07-10\), current for chat-assistant/,
    );
    expect(a53.reason).toContain('retired: legacy-ocr (2026-03-01)');
    expect(a53.reason).toContain(
      'warning: docs:ia/typo.md names unknown AI system "route-optimiser" (did you mean route-optimizer?)',
    );

    const matrix = await runCli(['status', '--config', cfg, ...asOf, '--by-system']);
    expect(matrix.code, matrix.stderr).toBe(0);
    const lines = matrix.stdout.split('\n');
    expect(lines[0]).toMatch(/^CONTROL +RULE +chat-assistant +legacy-ocr +new-bot +route-optimizer$/);
    expect(lines.find((l) => l.startsWith('A.5.3 '))).toMatch(
      /^A\.5\.3 +impact-assessment-records +current +retired 2026-03-01 +new, grace to 2026-07-10 +STALE \(522d old\)$/,
    );
    expect(lines.filter((l) => /^A\.5\.[345] /.test(l))).toHaveLength(3);
    expect(matrix.stdout).toContain('did you mean route-optimizer?');

    const json = JSON.parse((await runCli(['status', '--config', cfg, ...asOf, '--by-system', '--json'])).stdout);
    expect(json.systems).toEqual(['chat-assistant', 'legacy-ocr', 'new-bot', 'route-optimizer']);
    const row = json.rows.find((r: { control: string }) => r.control === 'A.5.3');
    expect(row.systems['route-optimizer']).toMatchObject({ status: 'stale', record: { id: 'docs:ia/route.md' } });
    expect(row.systems['new-bot']).toEqual({
      system: 'new-bot',
      status: 'in-grace',
      graceEndsAt: '2026-07-10T00:00:00.000Z',
    });

    const one = await runCli(['status', '--config', cfg, ...asOf, '--system', 'route-optimizer']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^AI system route-optimizer$/m);
    expect(one.stdout).toMatch(/^A\.5\.3 +STALE \(522d old\) +2025-01-10 +2026-02-09 +impact-assessment-records /m);

    // Later, new-bot's grace is over: missing.
    const later = await runCli(['status', '--config', cfg, '--as-of', '2026-07-11', '--system', 'new-bot', '--json']);
    expect(JSON.parse(later.stdout).controls[0].verdict).toEqual({ system: 'new-bot', status: 'missing' });

    const typo = await runCli(['status', '--config', cfg, '--system', 'route-optimiser']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no AI system "route-optimiser" in the inventory; did you mean route-optimizer?');

    // Without aiSystems: the pack behaves as before (the newest assessment decides) and --by-system says why it cannot.
    const before = JSON.parse((await runCli(['status', '--config', plain, ...asOf, '--json'])).stdout);
    expect(before.controls.find((c: { control: { id: string } }) => c.control.id === 'A.5.3').status).toBe('current');
    const none = await runCli(['status', '--config', plain, '--by-system']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no AI system inventory: add aiSystems: to the config');
  });

  it('a malformed register fails the command naming the file and line', async () => {
    const { dir, cfg } = await fixture();
    await writeTree(dir, { 'ai-systems.csv': 'id,status,retired_on\nchat-assistant,retired,\n' });
    const r = await runCli(['status', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${path.join(dir, 'ai-systems.csv')}:2:1: status: AI system "chat-assistant" is retired but column "retired_on" gives no retirement day`,
    );
  });
});
