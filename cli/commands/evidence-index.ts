import type { Command } from 'commander';
import { evidenceForControl, loadIndex, newestPerControl, rebuildIndex } from '../../evidence/index';
import { loadHub } from '../../worker/hub';
import {
  configOption,
  parseAsOf,
  parseDateArg,
  storeOption,
  storeOverrides,
  UsageError,
  type CommandContext,
} from '../command-kit';

/** `evidence-hub index rebuild|newest|evidence`: the derived evidence index (a cache rebuilt from manifests). */
export function registerIndex(program: Command, { io }: CommandContext): void {
  const index = program.command('index').description('the derived evidence index (a cache rebuilt from manifests)');
  index
    .command('rebuild')
    .description('recreate the index from the manifests alone')
    .addOption(configOption())
    .addOption(storeOption())
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      const rebuilt = await rebuildIndex(hub.store);
      io.out(
        `rebuilt index of ${hub.store.location}: ${rebuilt.bundles.length} bundle(s), ${rebuilt.artifacts.length} distinct artifact(s)`,
      );
    });
  index
    .command('newest')
    .description('the newest evidence per control (as of a date)')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--as-of <date>', 'only what was known by then')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      const rows = newestPerControl(await loadIndex(hub.store), o.asOf ? parseAsOf(o.asOf) : undefined);
      if (o.json) io.out(JSON.stringify(rows, null, 2));
      else
        for (const r of Object.values(rows))
          io.out(
            `${r.control.padEnd(8)} ${r.observedAt}  ${r.id}  (bundle #${r.bundle}, sha256 ${r.sha256.slice(0, 12)})`,
          );
    });
  index
    .command('evidence')
    .description('evidence mapped to a control and observed in a date range')
    .argument('<control>', 'control id, e.g. A.6.2.6')
    .requiredOption('--from <date>', 'observed on or after')
    .requiredOption('--to <date>', 'observed on or before (a date means the end of that day)')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action(async (control: string, o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      if (![...hub.mappings.catalog.controls, ...hub.mappings.clauses.controls].some((c) => c.id === control))
        throw new UsageError(`unknown control "${control}"`);
      const rows = evidenceForControl(
        await loadIndex(hub.store),
        control,
        parseDateArg(o.from, 'start', '--from'),
        parseDateArg(o.to, 'end', '--to'),
      );
      if (o.json) io.out(JSON.stringify(rows, null, 2));
      else
        for (const r of rows)
          io.out(`${r.observedAt}  ${r.id}  (bundle #${r.bundle}, sha256 ${r.sha256.slice(0, 12)})`);
    });
}
