import type { Command } from 'commander';
import picomatch from 'picomatch';
import { evaluateStore } from '../../evidence/index';
import { pendingSummary, readWitnessState, renderPendingSummary } from '../../evidence/witness/state';
import type { ControlResult } from '../../mappings/evaluate';
import { loadHub, type Hub } from '../../worker/hub';
import { configOption, parseAsOf, storeOption, storeOverrides, type CommandContext } from '../command-kit';
import { statusText } from '../../mappings/reasons';
import { renderCounts, renderStatusTable } from '../status-table';
import { printSystems } from './status-systems';

export interface StatusOptions {
  asOf?: string;
  controls?: string;
}

/** Evaluates every control from what the store holds; nothing outside the store is consulted. */
export async function controlStatus(
  hub: Pick<Hub, 'store' | 'mappings' | 'notApplicable'>,
  options: StatusOptions = {},
): Promise<{ asOf: string; results: ControlResult[] }> {
  const now = options.asOf ? parseAsOf(options.asOf) : new Date();
  let results = await evaluateStore(hub.store, hub.mappings, hub.notApplicable, now);
  if (options.controls) {
    const match = picomatch(options.controls);
    results = results.filter((r) => match(r.control.id));
  }
  return { asOf: now.toISOString(), results };
}

/**
 * `evidence-hub status`: every control with its status, the deciding rule, its newest evidence, the date
 * that evidence goes (went) stale, and the reason. `--json` prints the results as evaluated: `dueAt` is
 * that date, `cause` the facts (every failing source, each failing test with its actual value).
 */
export function registerStatus(program: Command, { io }: CommandContext): void {
  program
    .command('status')
    .description('show every control with its status, deciding rule, newest evidence, stale-on date and reason')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--as-of <date>', 'evaluate as of a past date (YYYY-MM-DD or RFC 3339): only what was known then')
    .option('--controls <glob>', 'only controls matching this glob, e.g. "A.6.*"')
    .option('--system <name>', 'only the per-system controls of one AI system, with its verdicts')
    .option('--by-system', 'a matrix of AI systems × per-system controls')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      const { asOf, results } = await controlStatus(hub, {
        ...(o.asOf ? { asOf: o.asOf } : {}),
        ...(o.controls ? { controls: o.controls } : {}),
      });
      // Checkpoints a witness does not hold yet, as the last seal or retry run left them (evidence/witness/).
      const witnesses = hub.config.witness ? pendingSummary(await readWitnessState(hub.store)) : [];
      if (o.system !== undefined || o.bySystem) return printSystems(hub.mappings, results, asOf, o, io);
      const controls = results.map(withStatusText);
      if (o.json) io.out(JSON.stringify({ asOf, controls, witnesses }, null, 2));
      else {
        io.out(renderStatusTable(results));
        io.out(`\nas of ${asOf}: ${renderCounts(results)}`);
        for (const line of renderPendingSummary(witnesses)) io.out(line);
      }
    });
}

/** A control result as `--json` prints it: with `statusText`, the words every renderer shows for the status. */
export function withStatusText<R extends { status: keyof typeof statusText }>(r: R): R & { statusText: string } {
  return { ...r, statusText: statusText[r.status] };
}
