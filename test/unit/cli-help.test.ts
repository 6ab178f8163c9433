import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandTable } from '../../cli/command-table';
import { main } from '../../cli/main';
import { quietLog } from '../support/hub-fixture';

/** `main` loads only the command that runs (cli/command-table.ts); `--help` must still know every command. */
describe('CLI --help with commands loaded lazily', () => {
  it('lists every command with the summary its own module declares', async () => {
    const out: string[] = [];
    const code = await main(['--help'], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code).toBe(0);
    const help = out.join('\n').replace(/\s+/g, ' ');

    // The real registrations, every module loaded: the table must name each top-level command they add.
    const full = new Command('evidence-hub');
    const context = { io: { out: () => undefined, err: () => undefined }, log: quietLog, setExitCode: () => undefined };
    for (const entry of commandTable) (await entry.load())(full, context);
    const real = full.commands.map((c) => ({ name: c.name(), summary: c.description() }));
    expect(commandTable.map((e) => ({ name: e.name, summary: e.summary }))).toEqual(real);

    for (const { name, summary } of real) {
      expect(help).toContain(` ${name} `);
      expect(help).toContain(summary.replace(/\s+/g, ' '));
    }
  });

  it("a command's own --help still shows its options (its module is loaded)", async () => {
    const out: string[] = [];
    const code = await main(['status', '--help'], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/--as-of <date>/);
  });
});
