import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, type IndexedArtifact } from '../../mappings/evaluate';
import type { AiSystemInventory, RegisteredSystem } from '../../mappings/ai-systems';
import type { MappingSet } from '../../mappings/load';
import { patternRegex } from '../../mappings/system-namer';
import type { SystemVerdict } from '../../mappings/causes';
import { loadAiSystems } from '../../config/ai-systems';
import { InputError } from '../../core/yaml-source';
import { DAY, doc, mappingsFrom } from '../support/mapping-fixture';
import { tempDir, writeTree } from '../support/tmp';

const t0 = Date.parse('2026-01-01T00:00:00Z');

const rule = (systemFrom = '{ attribute: frontMatter.system }') => `rules:
  - id: impact-assessment-records
    controls: [A.5.3]
    select: { source: folder, where: { frontMatter.type: impact-assessment } }
    freshness: { maxAge: 365d, grace: 30d }
    per: aiSystem
    systemFrom: ${systemFrom}
`;

/** An impact assessment document for `system`, dated `at`. */
function ia(name: string, system: string | undefined, at: number, extra: Partial<IndexedArtifact> = {}) {
  const d = doc(name, at, extra);
  return {
    ...d,
    attributes: { ...d.attributes, frontMatter: { type: 'impact-assessment', ...(system ? { system } : {}) } },
  };
}

const inventory = (register: RegisteredSystem[], extra: Partial<AiSystemInventory> = {}): AiSystemInventory => ({
  register,
  grace: { ms: 30 * DAY, text: '30d' },
  ...extra,
});

function control(mappings: MappingSet, artifacts: IndexedArtifact[], now: number, aiSystems?: AiSystemInventory) {
  const m = aiSystems ? { ...mappings, aiSystems } : mappings;
  return evaluate({ artifacts, sourceRuns: [], mappings: m, notApplicable: [], now: new Date(now) }).find(
    (r) => r.control.id === 'A.5.3',
  )!;
}

function verdicts(c: ReturnType<typeof control>): SystemVerdict[] {
  const cause = c.cause.kind === 'rule' ? c.cause.cause : undefined;
  if (cause?.kind !== 'per-system') throw new Error(`not a per-system cause: ${JSON.stringify(c.cause)}`);
  return cause.systems;
}

const two = [
  { id: 'chat-assistant', origin: 'r:2' },
  { id: 'route-optimizer', origin: 'r:3' },
];

describe('per: aiSystem', () => {
  it('without an inventory the rule is an ordinary max-age rule: the newest record anywhere decides', async () => {
    const m = await mappingsFrom(rule());
    const c = control(m, [ia('ia-r.md', 'route-optimizer', t0 - 400 * DAY), ia('ia-c.md', 'chat-assistant', t0)], t0);
    expect(c.status).toBe('current');
    expect(c.cause.kind === 'rule' && c.cause.cause.kind).toBe('current');
  });

  it('with an inventory a stale system is no longer hidden behind a fresh one; the reason names it', async () => {
    const m = await mappingsFrom(rule());
    const docs = [ia('ia-r.md', 'route-optimizer', t0 - 400 * DAY), ia('ia-c.md', 'chat-assistant', t0 - 10 * DAY)];
    const c = control(m, docs, t0, inventory(two));
    expect(c.status).toBe('stale');
    expect(verdicts(c).map((v) => [v.system, v.status])).toEqual([
      ['chat-assistant', 'current'],
      ['route-optimizer', 'stale'],
    ]);
    expect(c.reason).toContain('stale for route-optimizer (400d old)');
    expect(c.reason).toContain('current for chat-assistant');
    expect(c.dueAt).toBe(new Date(t0 - 400 * DAY + 395 * DAY).toISOString()); // when route-optimizer went stale
    expect(c.newest?.id).toBe('docs:ia-r.md'); // NEWEST and DUE both from the system that decides
    expect(c.evidence).toEqual(['docs:ia-c.md', 'docs:ia-r.md']);
  });

  it('a system with no evidence is missing, and missing is worse than stale', async () => {
    const m = await mappingsFrom(rule());
    const c = control(m, [ia('ia-r.md', 'route-optimizer', t0 - 400 * DAY)], t0, inventory(two));
    expect(c.status).toBe('missing');
    expect(c.dueAt).toBeUndefined();
    expect(c.reason).toMatch(/^missing for chat-assistant, stale for route-optimizer \(400d old\)/);
  });

  it('every system current: current, due on the date the first one goes stale', async () => {
    const m = await mappingsFrom(rule());
    const docs = [ia('ia-r.md', 'route-optimizer', t0 - 100 * DAY), ia('ia-c.md', 'chat-assistant', t0 - 10 * DAY)];
    const c = control(m, docs, t0, inventory(two));
    expect(c.status).toBe('current');
    expect(c.dueAt).toBe(new Date(t0 - 100 * DAY + 395 * DAY).toISOString());
  });

  it('a retired system stops being required from its retirement day, not before', async () => {
    const m = await mappingsFrom(rule());
    const register = [
      { id: 'chat-assistant', origin: 'r:2' },
      { id: 'legacy-ocr', retiredOn: t0 + 10 * DAY, origin: 'r:3' },
    ];
    const docs = [ia('ia-c.md', 'chat-assistant', t0 - 10 * DAY)];
    const before = control(m, docs, t0, inventory(register));
    expect(before.status).toBe('missing');
    expect(before.reason).toContain('missing for legacy-ocr');
    const after = control(m, docs, t0 + 10 * DAY, inventory(register));
    expect(after.status).toBe('current');
    expect(verdicts(after).find((v) => v.system === 'legacy-ocr')).toEqual({
      system: 'legacy-ocr',
      status: 'retired',
      retiredOn: new Date(t0 + 10 * DAY).toISOString(),
    });
    expect(after.reason).toContain('retired: legacy-ocr (2026-01-11)');
  });

  it('every system retired: nothing is owed (not exercised)', async () => {
    const m = await mappingsFrom(rule());
    const c = control(m, [], t0, inventory([{ id: 'old', retiredOn: t0 - DAY, origin: 'r:2' }]));
    expect(c.status).toBe('not-exercised');
  });

  it('a new system is in grace (due soon, dated the end of its grace), then missing', async () => {
    const m = await mappingsFrom(rule());
    const register = [
      { id: 'chat-assistant', origin: 'r:2' },
      { id: 'new-bot', addedOn: t0 - 5 * DAY, origin: 'r:3' },
    ];
    const docs = [ia('ia-c.md', 'chat-assistant', t0 - 10 * DAY)];
    const inGrace = control(m, docs, t0, inventory(register));
    expect(inGrace.status).toBe('due-soon');
    expect(inGrace.dueAt).toBe(new Date(t0 + 25 * DAY).toISOString());
    expect(verdicts(inGrace).find((v) => v.system === 'new-bot')?.status).toBe('in-grace');
    expect(inGrace.reason).toContain('new, in grace for new-bot (missing after 2026-01-26)');
    expect(control(m, docs, t0 + 25 * DAY, inventory(register)).status).toBe('missing');
    // Before it was added, as of an earlier date, the system did not exist yet.
    const earlier = control(m, docs, t0 - 6 * DAY, inventory(register));
    expect(verdicts(earlier).map((v) => v.system)).toEqual(['chat-assistant']);
  });

  it('a record naming an unknown system is a warning with the closest known name; it counts for no system', async () => {
    const m = await mappingsFrom(rule());
    const docs = [ia('ia-typo.md', 'route-optimiser', t0), ia('ia-c.md', 'chat-assistant', t0)];
    const c = control(m, docs, t0, inventory(two));
    expect(c.status).toBe('missing');
    const cause = c.cause.kind === 'rule' ? c.cause.cause : undefined;
    expect(cause?.kind === 'per-system' && cause.unknown).toEqual([
      { system: 'route-optimiser', record: 'docs:ia-typo.md', didYouMean: 'route-optimizer' },
    ]);
    expect(c.reason).toContain(
      'warning: docs:ia-typo.md names unknown AI system "route-optimiser" (did you mean route-optimizer?)',
    );
  });

  it('a system with evidence from two sources counts once, decided by the newest record', async () => {
    const m = await mappingsFrom(`rules:
  - id: impact-assessment-records
    controls: [A.5.3]
    select:
      - { source: folder, where: { frontMatter.type: impact-assessment } }
      - { source: manual, kind: record, where: { topic: impact-assessment } }
    freshness: { maxAge: 365d, grace: 30d }
    per: aiSystem
    systemFrom: { attribute: system }
`);
    const old = ia('ia-r.md', undefined, t0 - 400 * DAY);
    const folderDoc = { ...old, attributes: { ...old.attributes, system: 'route-optimizer' } };
    const upload: IndexedArtifact = {
      ...doc('upload-1', t0 - 20 * DAY),
      id: 'manual:ia-r-2026',
      source: 'manual',
      sourceType: 'manual',
      kind: 'record',
      attributes: { topic: 'impact-assessment', system: 'route-optimizer' },
    };
    const c = control(m, [folderDoc, upload], t0, inventory([{ id: 'route-optimizer', origin: 'r:2' }]));
    expect(c.status).toBe('current');
    expect(verdicts(c)).toHaveLength(1);
    expect(verdicts(c)[0]).toMatchObject({
      system: 'route-optimizer',
      status: 'current',
      record: { id: 'manual:ia-r-2026' },
    });
  });

  it('a system in the register and the model registry is one system; registry-only systems count too', async () => {
    const m = await mappingsFrom(rule());
    const model = (name: string, at: number): IndexedArtifact => ({
      ...doc(`models/${name}`, at),
      id: `mlflow:${name}`,
      source: 'mlflow',
      sourceType: 'mlflow',
      kind: 'registered-model',
      attributes: { model: name, tags: { ai_system: name } },
    });
    const registry = { sourceTypes: ['mlflow'], nameAttribute: 'tags.ai_system' };
    const docs = [ia('ia-c.md', 'chat-assistant', t0 - DAY), model('chat-assistant', t0 - 90 * DAY)];
    const merged = control(
      m,
      [...docs, model('fraud-scoring', t0 - 90 * DAY)],
      t0,
      inventory(two.slice(0, 1), { registry }),
    );
    expect(verdicts(merged).map((v) => [v.system, v.status])).toEqual([
      ['chat-assistant', 'current'],
      ['fraud-scoring', 'missing'],
    ]);
  });

  it('systemFrom tag and pathPattern name the system', async () => {
    expect(patternRegex('assessments/{system}/**').exec('assessments/chat-assistant/2026/ia.md')?.[1]).toBe(
      'chat-assistant',
    );
    expect(patternRegex('assessments/{system}/**').exec('other/chat-assistant/ia.md')).toBeNull();
    expect(patternRegex('**/{system}-ia.md').exec('docs/x/route-optimizer-ia.md')?.[1]).toBe('route-optimizer');
    const m = await mappingsFrom(rule('{ pathPattern: "assessments/{system}/**" }'));
    const docs = [
      ia('assessments/chat-assistant/ia.md', undefined, t0),
      ia('assessments/route-optimizer/ia.md', undefined, t0),
    ];
    expect(control(m, docs, t0, inventory(two)).status).toBe('current');
  });

  it('mapping files: per without systemFrom, systemFrom without per, per on a per-change rule, a bad pattern', async () => {
    const bad = (extra: string) =>
      mappingsFrom(`rules:\n  - id: r\n    controls: [A.5.3]\n    select: { source: folder }\n${extra}`);
    await expect(bad('    freshness: 365d\n    per: aiSystem\n')).rejects.toThrow(
      /m\.yaml:\d+:\d+: rules\[0\]\.per: per: aiSystem needs systemFrom/,
    );
    await expect(bad('    freshness: 365d\n    systemFrom: { tag: x }\n')).rejects.toThrow(
      /systemFrom without per: aiSystem/,
    );
    await expect(
      bad(
        '    freshness: { perChange: { changes: { source: mlflow }, key: model } }\n    per: aiSystem\n    systemFrom: { tag: x }\n',
      ),
    ).rejects.toThrow(/per: aiSystem applies to max-age rules only/);
    await expect(
      bad('    freshness: 365d\n    per: aiSystem\n    systemFrom: { pathPattern: "a/x{system}/**" }\n'),
    ).rejects.toThrow(/names \{system\} once, as a whole path segment/);
  });
});

describe('aiSystems config: the register file', () => {
  const cols = { idColumn: 'system', statusColumn: 'status', retiredColumn: 'retired_on', addedColumn: 'added_on' };

  it('reads a CSV register (quoted fields, custom id column) and a YAML one', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'r.csv':
        'system,status,retired_on,added_on,notes\nchat-assistant,active,,2026-01-01,"a, b"\nlegacy-ocr,Retired,2026-05-01,,\n',
      'r.yaml':
        'systems:\n  - { system: chat-assistant }\n  - { system: legacy-ocr, status: retired, retired_on: 2026-05-01 }\n',
    });
    for (const file of ['r.csv', 'r.yaml']) {
      const inv = await loadAiSystems({ register: { file, ...cols }, grace: '14d' }, dir);
      expect(inv.grace.ms).toBe(14 * DAY);
      expect(inv.register.map((s) => [s.id, s.retiredOn])).toEqual([
        ['chat-assistant', undefined],
        ['legacy-ocr', Date.parse('2026-05-01T00:00:00Z')],
      ]);
    }
  });

  it('a malformed register fails naming the file, line and column of every problem', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'r.csv':
        'system,status,retired_on,added_on\nchat-assistant,,,2026-13-01\nlegacy-ocr,retired,,\nchat-assistant,,,\n,active,,\n',
      'r.yaml': 'systems:\n  - { system: a }\n  - { system: b, added_on: "soon" }\n',
    });
    const err = await loadAiSystems({ register: { file: 'r.csv', ...cols }, grace: '30d' }, dir).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    const csv = path.join(dir, 'r.csv');
    expect((err as InputError).message.split('\n')).toEqual([
      `${csv}:2:1: added_on: "2026-13-01" in column "added_on" is not a date (hint: write it as YYYY-MM-DD)`,
      `${csv}:3:1: status: AI system "legacy-ocr" is retired but column "retired_on" gives no retirement day (hint: add the day it was retired (YYYY-MM-DD) in "retired_on")`,
      `${csv}:4:1: system: duplicate AI system "chat-assistant" (also line 2) (hint: list each system once)`,
      `${csv}:5:1: system: no AI system id in column "system" (hint: every row names its system)`,
    ]);
    const yamlErr = await loadAiSystems({ register: { file: 'r.yaml', ...cols }, grace: '30d' }, dir).catch((e) => e);
    expect((yamlErr as InputError).message).toContain(
      `${path.join(dir, 'r.yaml')}:3:28: systems[1].added_on: "soon" in column "added_on" is not a date`,
    );
    await expect(loadAiSystems({ register: { file: 'nope.csv', ...cols }, grace: '30d' }, dir)).rejects.toThrow(
      /nope\.csv:0:1: AI system register not found \(hint: check aiSystems\.register\.file/,
    );
  });
});
