import type { Command } from 'commander';
import { loadConfig } from '../../config/config';
import { backfillSchedule, listSchedules, syncSchedules } from '../../worker/schedules';
import { configOption, parseDateArg, type CommandContext } from '../command-kit';
import { connectClient } from '../connect';

const list = (xs: string[]) => (xs.length > 0 ? xs.join(', ') : 'none');

/** `evidence-hub schedules sync|list|backfill`: the Temporal Schedules declared in the config. */
export function registerSchedules(program: Command, { io }: CommandContext): void {
  const schedules = program.command('schedules').description('Temporal Schedules declared in the config');
  schedules
    .command('sync')
    .description('create, update and delete our schedules to match the config (foreign schedules are left alone)')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const config = await loadConfig(o.config);
      const report = await syncSchedules(await connectClient(config), config);
      io.out(
        o.json
          ? JSON.stringify(report)
          : `schedules: created ${list(report.created)}; updated ${list(report.updated)}; deleted ${list(report.deleted)}; unchanged ${list(report.unchanged)}`,
      );
    });
  schedules
    .command('list')
    .description('our schedules with their next run times')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const config = await loadConfig(o.config);
      const rows = await listSchedules(await connectClient(config), config);
      if (o.json) io.out(JSON.stringify(rows, null, 2));
      else
        for (const r of rows)
          io.out(
            `${r.id.padEnd(20)} ${r.paused ? 'PAUSED ' : 'active '} ${r.spec}  next: ${r.nextRuns.join(', ') || '-'}`,
          );
    });
  schedules
    .command('backfill')
    .description('run a schedule for every time it would have fired in a past date range')
    .argument('<id>', 'schedule id from the config')
    .requiredOption('--from <date>', 'start of the range')
    .requiredOption('--to <date>', 'end of the range')
    .addOption(configOption())
    .action(async (id: string, o) => {
      const config = await loadConfig(o.config);
      await backfillSchedule(
        await connectClient(config),
        config,
        id,
        parseDateArg(o.from, 'start', '--from'),
        parseDateArg(o.to, 'end', '--to'),
      );
      io.out(`backfill of ${id} from ${o.from} to ${o.to} requested`);
    });
}
