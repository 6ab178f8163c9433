import type { Logger } from 'pino';
import picomatch from 'picomatch';
import { EvaluationCache, type Evaluated } from '../console/evaluation-cache';
import type { ConsoleSources, IndexRuns, Reevaluation } from '../console/data';
import { loadIndex } from '../evidence/index';
import { ArtifactBuckets } from '../mappings/buckets';
import { catalogNames } from '../mappings/catalog';
import { evaluate, type ControlResult } from '../mappings/evaluate';
import type { Hub } from '../worker/hub';
import { parseAsOf } from './command-kit';
import type { catalogStatus } from './commands/status';

/** What `status --catalog all` returns, and the index's run and bundle tables it was evaluated from. */
type Catalogs = Awaited<ReturnType<typeof catalogStatus>> & { runs: IndexRuns };

/**
 * Both catalogs evaluated as `status` evaluates them (evidence/index.ts `evaluateStoreCatalogs`: the index
 * cache brought up to the store's head, bucketed once, `evaluate` per catalog), keeping the index's source
 * runs and bundle rows beside the results. The overview shows those (failed sources, the last sweep): taken
 * from the evaluation it serves, it never re-reads an index of a million lines per request, and never pairs
 * the results of one store head with the runs of another. The artifacts themselves are not kept.
 */
async function evaluateCatalogs(hub: Pick<Hub, 'store' | 'mappings' | 'notApplicable'>, asOf: Date): Promise<Catalogs> {
  const index = await loadIndex(hub.store);
  const artifacts = ArtifactBuckets.of(index.artifacts);
  const titles = { 'annex-a': hub.mappings.catalog.framework.title, clauses: hub.mappings.clauses.framework.title };
  return {
    asOf: asOf.toISOString(),
    groups: catalogNames.map((catalog) => ({
      catalog,
      title: titles[catalog],
      results: evaluate({
        artifacts,
        sourceRuns: index.sourceRuns,
        mappings: hub.mappings,
        notApplicable: hub.notApplicable,
        now: asOf,
        catalog,
      }),
    })),
    runs: { sourceRuns: index.sourceRuns, bundles: index.bundles },
  };
}

/**
 * The store's head as the console's cache key: the number of manifests and the newest sequence. Manifests
 * are written once under a new sequence number and never rewritten (`putManifestIfAbsent`), so every seal
 * changes the newest sequence and every prune the count; listing them costs far less than hashing the
 * newest manifest (megabytes after a deep sweep) on every request.
 */
async function storeHead(hub: Pick<Hub, 'store'>): Promise<string> {
  const sequences = await hub.store.sequences();
  return `${sequences.length}:${sequences.at(-1) ?? 0}`;
}

/** The newest bundle sequence a `storeHead` key names. */
const newestOf = (head: string): number => Number(head.split(':')[1] ?? 0);

/** What a page and the API say about results served from an earlier evaluation while a newer one runs. */
function reevaluationOf(evaluated: Evaluated<Catalogs>): Reevaluation | undefined {
  if (!evaluated.revalidating) return undefined;
  return {
    evaluating: true,
    evaluatedBundle: newestOf(evaluated.head),
    newestBundle: newestOf(evaluated.revalidating.head),
  };
}

/** The soonest date after `asOf` at which a control's deciding evidence goes stale: a status changes then. */
function soonestDue(value: Catalogs, asOf: Date): number | undefined {
  let soonest: number | undefined;
  for (const g of value.groups)
    for (const r of g.results) {
      const due = r.dueAt !== undefined ? Date.parse(r.dueAt) : NaN;
      if (due > asOf.getTime() && (soonest === undefined || due < soonest)) soonest = due;
    }
  return soonest;
}

/**
 * The console's `status` (controls and clauses), from one cached evaluation of every catalog (what `evidence-hub
 * status` prints), recomputed when the store's head moves or the day changes (console/evaluation-cache.ts);
 * meanwhile the previous evaluation is served, with `reevaluation` saying so.
 */
export function consoleEvaluations(
  hub: Pick<Hub, 'store' | 'mappings' | 'notApplicable'>,
  log?: Logger,
): Pick<ConsoleSources, 'status'> {
  const cache = new EvaluationCache<Catalogs>({
    head: () => storeHead(hub),
    compute: (asOf) => evaluateCatalogs(hub, asOf),
    validUntil: soonestDue,
    log,
  });
  const resultsOf = (value: Catalogs, catalog: 'annex-a' | 'clauses'): ControlResult[] =>
    value.groups.find((g) => g.catalog === catalog)?.results ?? [];
  return {
    status: async (options = {}) => {
      const evaluated = await cache.get(options.asOf ? parseAsOf(options.asOf) : undefined);
      const { value } = evaluated;
      const match = options.controls ? picomatch(options.controls) : () => true;
      const reevaluation = reevaluationOf(evaluated);
      return {
        asOf: value.asOf,
        results: resultsOf(value, 'annex-a').filter((r) => match(r.control.id)),
        clauses: resultsOf(value, 'clauses').filter((r) => match(r.control.id)),
        runs: value.runs,
        ...(reevaluation ? { reevaluation } : {}),
      };
    },
  };
}
