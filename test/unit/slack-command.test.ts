import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dataPath } from '../../core/data-files';
import { parseEvidenceCommand } from '../../console/slack-app/command';
import type { Reevaluation } from '../../console/data';
import { statusReply } from '../../console/slack-app/replies';
import { replyTarget } from '../../console/slack-app/socket';
import { loadCatalog } from '../../mappings/catalog';
import type { ControlResult } from '../../mappings/evaluate';
import { causeFor } from '../support/causes';

describe('the /evidence command parser', () => {
  it('reads status with and without a control glob', () => {
    expect(parseEvidenceCommand('status A.6.*')).toEqual({ ok: true, command: { kind: 'status', controls: 'A.6.*' } });
    expect(parseEvidenceCommand('  status   A.6.2.4 ')).toEqual({
      ok: true,
      command: { kind: 'status', controls: 'A.6.2.4' },
    });
    expect(parseEvidenceCommand('status')).toEqual({ ok: true, command: { kind: 'status' } });
  });

  it('reads sweep --controls in both spellings', () => {
    expect(parseEvidenceCommand('sweep --controls A.6.*')).toEqual({
      ok: true,
      command: { kind: 'sweep', controls: 'A.6.*' },
    });
    expect(parseEvidenceCommand('sweep --controls={A.6.*,A.7.*}')).toEqual({
      ok: true,
      command: { kind: 'sweep', controls: '{A.6.*,A.7.*}' },
    });
  });

  it('an empty text and help give the usage', () => {
    expect(parseEvidenceCommand('')).toEqual({ ok: true, command: { kind: 'help' } });
    expect(parseEvidenceCommand('help')).toEqual({ ok: true, command: { kind: 'help' } });
  });

  it.each([
    ['destroy everything', 'unknown subcommand "destroy"'],
    ['sweep', 'sweep needs --controls'],
    ['sweep --controls', '--controls needs a value'],
    ['sweep --sources github', 'sweep has no option "--sources"'],
    ['sweep A.6.*', 'sweep takes no argument "A.6.*"'],
    ['sweep --controls A.6.* --controls A.7.*', '--controls is given twice'],
    ['sweep --controls A.6;rm', 'is not a control id or glob'],
    ['status --all', 'status takes no option "--all"'],
    ['status A.6.* A.7.*', 'status takes one control glob, got 2'],
    ['status <script>', 'is not a control id or glob'],
    ['help me', 'help takes no arguments'],
  ])('refuses %j, naming what is wrong', (text, problem) => {
    const parsed = parseEvidenceCommand(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

describe('the Slack app manifest of examples/slack/app-manifest.yaml', () => {
  const manifest = parse(readFileSync(dataPath('examples', 'slack', 'app-manifest.yaml'), 'utf8')) as {
    features: { slash_commands: { command: string; usage_hint: string }[] };
    oauth_config: { scopes: { bot: string[] } };
    settings: { socket_mode_enabled: boolean; interactivity: { is_enabled: boolean } };
  };

  it('declares /evidence with Socket Mode, interactivity (the button) and only the scopes the app uses', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/evidence']);
    expect(manifest.settings).toMatchObject({ socket_mode_enabled: true, interactivity: { is_enabled: true } });
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual(['chat:write', 'commands']);
  });

  it("its usage hint's examples are commands the parser accepts", () => {
    const hints = manifest.features.slash_commands[0]!.usage_hint.split('|').map((h) => h.trim());
    expect(hints.length).toBe(3);
    for (const h of hints) expect(parseEvidenceCommand(h)).toMatchObject({ ok: true });
  });
});

describe('where a Slack reply may go', () => {
  it("only to Slack's hooks or the configured API origin: a response_url elsewhere gets nothing", () => {
    const slack = 'https://slack.com/api/';
    expect(replyTarget('https://hooks.slack.com/commands/T1/2/abc', slack)).toBe(
      'https://hooks.slack.com/commands/T1/2/abc',
    );
    expect(replyTarget('http://hooks.slack.com/commands/T1/2/abc', slack)).toBeUndefined();
    expect(replyTarget('https://hooks.slack.com.evil.example/x', slack)).toBeUndefined();
    expect(replyTarget('https://evil.example/commands', slack)).toBeUndefined();
    expect(replyTarget('http://127.0.0.1:4000/response/e1', 'http://127.0.0.1:4000/api/')).toBe(
      'http://127.0.0.1:4000/response/e1',
    );
    expect(replyTarget('http://127.0.0.1:4001/response/e1', 'http://127.0.0.1:4000/api/')).toBeUndefined();
    expect(replyTarget(undefined, slack)).toBeUndefined();
  });
});

describe('the status reply', () => {
  const resultOf = (id: string, title: string, group: string, status: ControlResult['status']): ControlResult => ({
    control: { id, title, group, groupTitle: group },
    status,
    cause: causeFor(status),
    reason: `${id} is ${status}`,
    evidence: ['ev:1'],
    rules: [],
  });
  const c = loadCatalog().controls.find((x) => x.id === 'A.6.2.6')!;
  const current = resultOf(c.id, c.title, c.group, 'current');
  const clause = resultOf('9.2', 'Internal audit', '9', 'stale');
  const at = '2026-12-07T00:00:00Z';
  const reply = (
    controls: ControlResult[],
    clauses: ControlResult[],
    glob: string | undefined,
    reevaluation?: Reevaluation,
  ) => statusReply({ asOf: at, controls, clauses, glob, publicUrl: undefined, reevaluation });
  const texts = (r: ReturnType<typeof statusReply>) => (r.blocks ?? []).map((b) => ('text' in b ? b.text.text : ''));

  it('says when it answers from an earlier bundle while a newer one is evaluated, as the console does', () => {
    const served = reply([current], [], 'A.6.*', { evaluating: true, evaluatedBundle: 3, newestBundle: 4 });
    expect(texts(served).join('\n')).toContain('As of bundle 3; bundle 4 is being evaluated');
    expect(texts(reply([current], [], 'A.6.*')).join('\n')).not.toContain('being evaluated');
  });

  it('names the glob when nothing matches', () => {
    expect(reply([], [], 'B.*').text).toContain('No control or clause matching `B.*`');
  });

  it('lists the clauses a glob matches, under their own heading when controls match too', () => {
    const only = texts(reply([], [clause], '9.*'));
    expect(only.some((t) => t.startsWith('*9.2* Internal audit'))).toBe(true);
    expect(only.join('\n')).toContain('1 clause: 1 stale');
    const both = texts(reply([current], [clause], '*'));
    expect(both).toContain('*Annex A controls*');
    expect(both).toContain('*Management-system clauses*');
    expect(both.findIndex((t) => t.startsWith('*A.6.2.6*'))).toBeLessThan(both.findIndex((t) => t.startsWith('*9.2*')));
  });

  it('without a glob lists Annex A and counts the clauses, saying how to list them', () => {
    const all = reply([current], [clause], undefined);
    const body = texts(all).join('\n');
    expect(body).toContain('1 Annex A control: 1 current; 1 clause: 1 stale');
    expect(body).toContain('`/evidence status 9.*` lists clause 9.');
    expect(texts(all).some((t) => t.startsWith('*9.2*'))).toBe(false);
  });
});
