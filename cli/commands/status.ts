import { InvalidArgumentError, Option, type Command } from 'commander';
import picomatch from 'picomatch';
import { evaluateStore, evaluateStoreCatalogs } from '../../evidence/index';
import { catalogNames, type CatalogName } from '../../mappings/catalog';
import { pendingSummary, readWitnessState, renderPendingSummary } from '../../evidence/witness/state';
import type { ControlResult } from '../../mappings/evaluate';
import { loadHub, type Hub } from '../../worker/hub';
import { configOption, parseAsOf, storeOption, storeOverrides, type CommandContext } from '../command-kit';
import { withStatusText } from '../../mappings/readiness-json';
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

/** `--catalog`: Annex A, the management-system clauses, or both (Annex A first). */
export type CatalogChoice = CatalogName | 'all';

export function parseCatalogChoice(v: string): CatalogChoice {
  if (v === 'all' || (catalogNames as readonly string[]).includes(v)) return v as CatalogChoice;
  throw new InvalidArgumentError(`expected one of ${[...catalogNames, 'all'].join(', ')}`);
}

/** Each chosen catalog's results, in display order (Annex A, then clauses), from one read of the store. */
export async function catalogStatus(
  hub: Pick<Hub, 'store' | 'mappings' | 'notApplicable'>,
  options: StatusOptions & { catalog?: CatalogChoice },
): Promise<{ asOf: string; groups: { catalog: CatalogName; title: string; results: ControlResult[] }[] }> {
  const now = options.asOf ? parseAsOf(options.asOf) : new Date();
  const chosen = catalogNames.filter((c) => (options.catalog ?? 'all') === 'all' || options.catalog === c);
  const byCatalog = await evaluateStoreCatalogs(hub.store, hub.mappings, hub.notApplicable, now, chosen);
  const match = options.controls ? picomatch(options.controls) : () => true;
  const titles = { 'annex-a': hub.mappings.catalog.framework.title, clauses: hub.mappings.clauses.framework.title };
  return {
    asOf: now.toISOString(),
    groups: chosen.map((catalog) => ({
      catalog,
      title: titles[catalog],
      results: byCatalog[catalog]!.filter((r) => match(r.control.id)),
    })),
  };
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
    .option('--controls <glob>', 'only controls matching this glob, e.g. "A.6.*" or "9.*"')
    .addOption(
      new Option('--catalog <catalog>', 'annex-a, clauses (management-system clauses 4-10) or all')
        .argParser(parseCatalogChoice)
        .default('all'),
    )
    .option('--system <name>', 'only the per-system controls of one AI system, with its verdicts')
    .option('--by-system', 'a matrix of AI systems × per-system controls')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      const { asOf, groups } = await catalogStatus(hub, {
        ...(o.asOf ? { asOf: o.asOf } : {}),
        ...(o.controls ? { controls: o.controls } : {}),
        catalog: o.catalog as CatalogChoice,
      });
      // Checkpoints a witness does not hold yet, as the last seal or retry run left them (evidence/witness/).
      const witnesses = hub.config.witness ? pendingSummary(await readWitnessState(hub.store)) : [];
      if (o.system !== undefined || o.bySystem) {
        // Per-system rules judge Annex A controls and clauses alike (A.5.3, 6.1.4 …): the matrix has both.
        return printSystems(
          hub.mappings,
          groups.flatMap((g) => g.results),
          asOf,
          o,
          io,
        );
      }
      // Annex A stays under `controls` (as before clauses existed); the clauses come under `clauses`.
      const json = Object.fromEntries(
        groups.map((g) => [g.catalog === 'annex-a' ? 'controls' : 'clauses', g.results.map(withStatusText)]),
      );
      if (o.json) io.out(JSON.stringify({ asOf, ...json, witnesses }, null, 2));
      else {
        // A --controls glob that matches nothing of one catalog ("A.6.*": no clause) leaves that table out.
        const shown = groups.filter((g) => g.results.length > 0 || groups.length === 1);
        for (const [i, g] of shown.entries()) {
          if (shown.length > 1) io.out(`${i > 0 ? '\n' : ''}${g.title}`);
          io.out(renderStatusTable(g.results));
          io.out(`\n${shown.length > 1 ? `${g.title}, ` : ''}as of ${asOf}: ${renderCounts(g.results)}`);
        }
        for (const line of renderPendingSummary(witnesses)) io.out(line);
      }
    });
}
