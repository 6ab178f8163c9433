import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config';
import { InputError } from '../../core/yaml-source';
import { tempDir, writeTree } from '../support/tmp';

async function load(audits: string) {
  const dir = await tempDir();
  const yaml = `version: 1\nsources:\n  - { id: docs, type: folder, path: ./docs }\naudits:\n${audits}`;
  await writeTree(dir, { 'evidence-hub.yaml': yaml });
  const file = path.join(dir, 'evidence-hub.yaml');
  return {
    file,
    result: await loadConfig(file).then(
      (c) => c,
      (e: unknown) => e,
    ),
  };
}

describe('audits: in the config', () => {
  it('loads the calendar with the default digest thresholds', async () => {
    const { result } = await load(
      '  calendar:\n    - { id: surv-2027, type: surveillance, date: "2027-03-14", certificationBody: CB, scope: all systems }\n',
    );
    expect(result).not.toBeInstanceOf(Error);
    expect((result as Awaited<ReturnType<typeof loadConfig>>).audits).toEqual({
      digestDaysBefore: [30, 14, 3],
      calendar: [
        { id: 'surv-2027', type: 'surveillance', date: '2027-03-14', certificationBody: 'CB', scope: 'all systems' },
      ],
    });
  });

  it('names the line and field of a bad type, an impossible date and a duplicate id', async () => {
    const { file, result } = await load(
      [
        '  calendar:',
        '    - { id: a, type: surveilance, date: "2027-03-14", certificationBody: CB }',
        '    - { id: b, type: stage2, date: "2027-02-30", certificationBody: CB }',
        '',
      ].join('\n'),
    );
    expect(result).toBeInstanceOf(InputError);
    const message = (result as InputError).message;
    expect(message).toContain(`${file}:6:`);
    expect(message).toContain(
      'audits.calendar[0].type: expected one of: stage1, stage2, surveillance, recertification',
    );
    expect(message).toContain('audits.calendar[1].date: not a calendar date');
  });

  it('refuses two audits with one id', async () => {
    const { file, result } = await load(
      [
        '  calendar:',
        '    - { id: a, type: stage2, date: "2026-03-14", certificationBody: CB }',
        '    - { id: a, type: surveillance, date: "2027-03-14", certificationBody: CB }',
        '',
      ].join('\n'),
    );
    expect(result).toBeInstanceOf(InputError);
    expect((result as InputError).message).toContain(
      `${file}:7:13: audits.calendar[1].id: duplicate audit id "a" (also calendar[0])`,
    );
  });
});
