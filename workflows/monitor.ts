import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { alertOptions } from './activity-options';

const { runAlerts, runReadinessDigest } = proxyActivities<Activities>(alertOptions);

export const collectedSignal = defineSignal('collected');

export interface MonitorStatus {
  runs: number;
  lastRunAt?: string;
  /** Status counts of the last evaluation (current, stale, ...). */
  counts?: Record<string, number>;
  posted: number;
  /** The monitor's own health: a bad Slack token or an unknown channel shows here, as collection-failed. */
  state: 'ok' | 'collection-failed';
  lastError?: { type: string; message: string; at: string };
}

export const monitorStatusQuery = defineQuery<MonitorStatus>('monitorStatus');

export interface MonitorInput {
  /** Evaluate at least this often, even without sweeps (hours). */
  everyHours?: number;
  carried?: MonitorStatus;
}

/**
 * Patch ids of changes to this workflow after its first release (`patched()`), kept until every monitor
 * that started before the change has continued as new; then `deprecatePatch()`, then removed.
 */
export const monitorPatches = { continueAsNewSuggested: 'monitor-continue-as-new-suggested' } as const;

/** Runs between continue-as-new, so the history stays small however long the monitor lives. */
const runsPerHistory = 100;

export function monitorWorkflowId(taskQueue: string): string {
  return `evidence-hub.${taskQueue}.staleness-monitor`;
}

/**
 * The staleness monitor: evaluates every control after each sweep (sweeps signal it) and at least every
 * `everyHours`, and posts status transitions to Slack. One per task queue, so evaluations never overlap.
 */
export async function stalenessMonitorWorkflow(input: MonitorInput = {}): Promise<void> {
  const status: MonitorStatus = input.carried ?? { runs: 0, posted: 0, state: 'ok' };
  let collected = false;
  setHandler(collectedSignal, () => {
    collected = true;
  });
  setHandler(monitorStatusQuery, () => status);
  const every = `${input.everyHours ?? 24}h`;

  for (let i = 0; i < runsPerHistory; i++) {
    collected = false;
    // Workflow time: deterministic, and the time-skipping test server moves it.
    const now = new Date();
    try {
      const r = await runAlerts({ now: now.toISOString() });
      status.posted += r.posted;
      status.counts = r.counts;
      // Added after histories were recorded: monitors started before it replay without the extra activity.
      if (patched('readiness-digest')) {
        const digest = await runReadinessDigest({ now: now.toISOString() });
        status.posted += digest.posted.length;
      }
      status.state = 'ok';
      delete status.lastError;
    } catch (err) {
      const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
      status.state = 'collection-failed';
      status.lastError = {
        type:
          cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : cause instanceof Error ? cause.name : 'Error',
        message: cause instanceof Error ? cause.message : String(cause),
        at: now.toISOString(),
      };
    }
    status.runs++;
    status.lastRunAt = now.toISOString();
    await condition(() => collected, every);
    // Hand over to a new run as soon as the server suggests it (many signals from frequent sweeps grow the
    // history faster than `runsPerHistory` assumes). A new command, so it is patched: monitors started by an
    // earlier release replay their recorded histories without it (docs/deploy.md, "Upgrades").
    if (patched(monitorPatches.continueAsNewSuggested) && workflowInfo().continueAsNewSuggested) break;
  }
  await continueAsNew<typeof stalenessMonitorWorkflow>({ ...input, carried: status });
}
