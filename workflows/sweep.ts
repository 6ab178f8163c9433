import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import type { Activities, BundleSummary, SourcePlan } from '../activities';
import type { SourceOutcome, Trigger } from '../core/sweep-outcome';
import { collectOptions, operationsOptions, storeOptions } from './activity-options';
import { collectedSignal, monitorWorkflowId } from './monitor';
import { storeFaultFailure, storeFaultIn } from './store-faults';

const { planSweep, sealBundle, discardStaging } = proxyActivities<Activities>(storeOptions);
const { notifyOperations } = proxyActivities<Activities>(operationsOptions);

/** Sources per child workflow: keeps every workflow's history small however many sources a sweep has. */
export const sourcesPerBatch = 50;

export interface SweepInput {
  /** Source ids to collect; all configured sources when absent. */
  sources?: string[];
  trigger: Trigger['type'];
  /** How many sources collect at once, across the whole sweep. */
  concurrency?: number;
  /** Collect only what changed since this time (RFC 3339), where the source supports it. */
  since?: string;
  /** Overrides of the collection retry policy (config `temporal.collectRetry`). */
  collectRetry?: CollectRetry;
}

export interface CollectRetry {
  maximumAttempts?: number | undefined;
  initialInterval?: string | undefined;
}

export interface SweepResult {
  bundle: BundleSummary;
  sources: SourceOutcome[];
}

export type SourceState =
  | { state: 'pending' }
  | { state: 'running' }
  | { state: 'done'; artifactCount: number; problems?: string[] }
  | { state: 'failed'; error: string };

export interface SweepProgress {
  bundleId: string;
  phase: 'planning' | 'collecting' | 'sealing' | 'done' | 'cancelled' | 'failed';
  sources: Record<string, SourceState>;
  /** Child workflows collecting batches of sources (query them for their sources' progress). */
  batches: string[];
}

export const progressQuery = defineQuery<SweepProgress>('progress');

/** The bundle id a sweep run seals under (also how the console finds a past sweep's bundle). */
export function sweepBundleId(workflowId: string, runId: string): string {
  return `${workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.${runId.slice(0, 8)}`;
}

export interface BatchInput {
  bundleId: string;
  sources: SourcePlan[];
  concurrency: number;
  since?: string;
  collectRetry?: CollectRetry;
}

/** The collection activity, with the declared options (activity-options.ts) and any per-sweep retry override. */
function collector(retry: CollectRetry | undefined) {
  // Only the fields the sweep sets override the declared policy: an absent field keeps the default.
  const options: ActivityOptions = retry
    ? {
        ...collectOptions,
        retry: {
          ...collectOptions.retry,
          ...(retry.maximumAttempts !== undefined ? { maximumAttempts: retry.maximumAttempts } : {}),
          ...(retry.initialInterval !== undefined ? { initialInterval: retry.initialInterval } : {}),
        },
      }
    : collectOptions;
  return proxyActivities<Activities>(options).collectSource;
}

/**
 * One sweep = one bundle. Each source is collected by its own activity; a source that fails is recorded
 * in the bundle and never prevents the others' evidence from being sealed. Large sweeps hand batches of
 * sources to child workflows, so no single history grows with the number of sources.
 */
export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  const info = workflowInfo();
  // Deterministic and unique per run, so a retried seal finds its own bundle instead of adding another.
  const bundleId = sweepBundleId(info.workflowId, info.runId);
  const progress: SweepProgress = { bundleId, phase: 'planning', sources: {}, batches: [] };
  setHandler(progressQuery, () => progress);
  const concurrency = Math.max(1, input.concurrency ?? 4);

  try {
    const plan = await planSweep({ ...(input.sources ? { sources: input.sources } : {}) });
    progress.phase = 'collecting';
    for (const s of plan) progress.sources[s.id] = { state: 'pending' };

    let outcomes: SourceOutcome[];
    if (plan.length <= sourcesPerBatch) {
      outcomes = await collectAll(bundleId, plan, concurrency, input.since, input.collectRetry, progress);
    } else {
      const batches = chunk(plan, sourcesPerBatch);
      const lanes = Math.max(1, Math.ceil(concurrency / batches.length));
      const results = await Promise.all(
        batches.map(async (batch, i) => {
          const workflowId = `${info.workflowId}.batch-${i + 1}`;
          progress.batches.push(workflowId);
          for (const s of batch) progress.sources[s.id] = { state: 'running' };
          const out = await executeChild(collectBatchWorkflow, {
            workflowId,
            args: [
              {
                bundleId,
                sources: batch,
                concurrency: lanes,
                ...(input.since ? { since: input.since } : {}),
                ...(input.collectRetry ? { collectRetry: input.collectRetry } : {}),
              },
            ],
          });
          for (const o of out) progress.sources[o.source] = stateOf(o);
          return out;
        }),
      );
      outcomes = results.flat();
    }

    progress.phase = 'sealing';
    const bundle = await sealBundle({
      bundleId,
      startedAt: info.startTime.toISOString(),
      trigger: { type: input.trigger, workflowId: info.workflowId, runId: info.runId },
      outcomes,
    });
    progress.phase = 'done';
    // Tell the staleness monitor there is new evidence; a deployment without alerts has none running.
    await getExternalWorkflowHandle(monitorWorkflowId(info.taskQueue))
      .signal(collectedSignal)
      .catch(() => undefined);
    return { bundle, sources: outcomes };
  } catch (err) {
    progress.phase = isCancellation(err) ? 'cancelled' : 'failed';
    // Nothing was sealed, so there is no half bundle; only the staged records are cleared. A failed run's
    // bundle id is never used again, so its staging would only take space (on a full disk, the space
    // the next sweep needs). Clearing is best effort: the sweep's own error is what gets reported.
    await CancellationScope.nonCancellable(() => discardStaging({ bundleId })).catch(() => undefined);
    // The store failed, not a source: the operations route hears of it (never control owners), and the
    // sweep fails naming the store. Only runs for store fault types, which no earlier history contains.
    const fault = storeFaultIn(err);
    if (fault) {
      await CancellationScope.nonCancellable(() =>
        notifyOperations({
          kind: 'store-fault',
          subject: info.workflowId,
          summary: `sweep ${info.workflowId} stopped: ${fault.message}`,
          action:
            fault.type === 'StoreAccessError'
              ? 'Fix the store credentials or permissions (the `store:` section of the config: s3, azure or gcs) and restart the workers; nothing was sealed.'
              : 'Nothing was sealed and no source was recorded as failed; the next sweep collects again once the store is back.',
          at: new Date().toISOString(),
        }),
      ).catch(() => undefined);
      throw storeFaultFailure(fault, err);
    }
    throw err;
  }
}

/** A child of a large sweep: collects its batch and returns the outcomes (small: counts and errors). */
export async function collectBatchWorkflow(input: BatchInput): Promise<SourceOutcome[]> {
  const progress: SweepProgress = { bundleId: input.bundleId, phase: 'collecting', sources: {}, batches: [] };
  setHandler(progressQuery, () => progress);
  for (const s of input.sources) progress.sources[s.id] = { state: 'pending' };
  const outcomes = await collectAll(
    input.bundleId,
    input.sources,
    input.concurrency,
    input.since,
    input.collectRetry,
    progress,
  );
  progress.phase = 'done';
  return outcomes;
}

async function collectAll(
  bundleId: string,
  plan: SourcePlan[],
  concurrency: number,
  since: string | undefined,
  retry: CollectRetry | undefined,
  progress: SweepProgress,
): Promise<SourceOutcome[]> {
  const collectSource = collector(retry);
  return mapLimited(plan, concurrency, async (s): Promise<SourceOutcome> => {
    progress.sources[s.id] = { state: 'running' };
    let outcome: SourceOutcome;
    try {
      const r = await collectSource({ bundleId, source: s.id, ...(since ? { since } : {}) });
      outcome =
        r.problems.length > 0
          ? {
              source: s.id,
              sourceType: r.sourceType,
              status: 'partial',
              artifactCount: r.artifactCount,
              stats: r.stats,
              problems: r.problems,
            }
          : { source: s.id, sourceType: r.sourceType, status: 'ok', artifactCount: r.artifactCount, stats: r.stats };
    } catch (err) {
      // A store fault is not the source's: it stops the sweep instead of sealing a bundle of failures.
      if (isCancellation(err) || storeFaultIn(err)) throw err;
      outcome = { source: s.id, sourceType: s.type, status: 'failed', artifactCount: 0, error: failureOf(err) };
    }
    progress.sources[s.id] = stateOf(outcome);
    return outcome;
  });
}

function stateOf(o: SourceOutcome): SourceState {
  if (o.status === 'failed') return { state: 'failed', error: `${o.error.type}: ${o.error.message}` };
  return { state: 'done', artifactCount: o.artifactCount, ...(o.status === 'partial' ? { problems: o.problems } : {}) };
}

function failureOf(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', message: cause.message };
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'Error', message: String(cause) };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight, preserving order in the result. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}
