import { describe, expect, it } from 'vitest';
import { parseEvidenceCommand } from '../../console/slack-app/command';

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
