import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, BundleSummary } from '../activities';
import type { SourceOutcome, Trigger } from '../evidence/manifest';
import { collectOptions, storeOptions } from './activity-options';

const { collectSource } = proxyActivities<Activities>(collectOptions);
const { planSweep, sealBundle, discardStaging } = proxyActivities<Activities>(storeOptions);

export interface SweepInput {
  /** Source ids to collect; all configured sources when absent. */
  sources?: string[];
  trigger: Trigger['type'];
  /** How many sources collect at once. */
  concurrency?: number;
}

export interface SweepResult {
  bundle: BundleSummary;
  sources: SourceOutcome[];
}

export type SourceState =
  | { state: 'pending' }
  | { state: 'running' }
  | { state: 'done'; artifactCount: number }
  | { state: 'failed'; error: string };

export interface SweepProgress {
  bundleId: string;
  phase: 'planning' | 'collecting' | 'sealing' | 'done' | 'cancelled';
  sources: Record<string, SourceState>;
}

export const progressQuery = defineQuery<SweepProgress>('progress');

/**
 * One sweep = one bundle. Each source is collected by its own activity; a source that fails is recorded
 * in the bundle and never prevents the others' evidence from being sealed.
 */
export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  const info = workflowInfo();
  // Deterministic and unique per run, so a retried seal finds its own bundle instead of adding another.
  const bundleId = `${info.workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.${info.runId.slice(0, 8)}`;
  const progress: SweepProgress = { bundleId, phase: 'planning', sources: {} };
  setHandler(progressQuery, () => progress);

  try {
    const plan = await planSweep({ ...(input.sources ? { sources: input.sources } : {}) });
    progress.phase = 'collecting';
    for (const s of plan) progress.sources[s.id] = { state: 'pending' };

    const outcomes = await mapLimited(plan, input.concurrency ?? 4, async (s): Promise<SourceOutcome> => {
      progress.sources[s.id] = { state: 'running' };
      try {
        const r = await collectSource({ bundleId, source: s.id });
        progress.sources[s.id] = { state: 'done', artifactCount: r.artifactCount };
        return { source: s.id, sourceType: r.sourceType, status: 'ok', artifactCount: r.artifactCount, stats: r.stats };
      } catch (err) {
        if (isCancellation(err)) throw err;
        const error = failureOf(err);
        progress.sources[s.id] = { state: 'failed', error: `${error.type}: ${error.message}` };
        return { source: s.id, sourceType: s.type, status: 'failed', artifactCount: 0, error };
      }
    });

    progress.phase = 'sealing';
    const bundle = await sealBundle({
      bundleId,
      startedAt: info.startTime.toISOString(),
      trigger: { type: input.trigger, workflowId: info.workflowId, runId: info.runId },
      outcomes,
    });
    progress.phase = 'done';
    return { bundle, sources: outcomes };
  } catch (err) {
    if (isCancellation(err)) {
      progress.phase = 'cancelled';
      // Nothing was sealed, so there is no half bundle; only the staged records are cleared.
      await CancellationScope.nonCancellable(() => discardStaging({ bundleId }));
    }
    throw err;
  }
}

function failureOf(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', message: cause.message };
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'Error', message: String(cause) };
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
