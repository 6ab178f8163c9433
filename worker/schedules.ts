import { createHash } from 'node:crypto';
import {
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { LoadedConfig, ScheduleConfig } from '../config/config';
import { sweepWorkflow } from '../workflows';

/**
 * Temporal Schedules from the config. Ours are recognised by their memo (managedBy + task queue), so
 * sync never touches schedules somebody else created in the namespace, nor another deployment's.
 */
const managedBy = 'evidence-hub';

const overlapPolicies: Record<ScheduleConfig['overlap'], ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

export function scheduleIdFor(config: LoadedConfig, id: string): string {
  return `evidence-hub.${config.temporal.taskQueue}.${id}`;
}

/** The action is typed by the workflow function, so its arguments are checked against `SweepInput`. */
function desired(
  config: LoadedConfig,
  s: ScheduleConfig,
): ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof sweepWorkflow>> {
  const spec = s.cron
    ? { cronExpressions: [s.cron], timezone: s.timezone, ...(s.jitter ? { jitter: s.jitter as `${number}s` } : {}) }
    : {
        intervals: [{ every: s.every! as `${number}h` }],
        timezone: s.timezone,
        ...(s.jitter ? { jitter: s.jitter as `${number}s` } : {}),
      };
  return {
    scheduleId: scheduleIdFor(config, s.id),
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: sweepWorkflow,
      taskQueue: config.temporal.taskQueue,
      workflowId: `sweep-${s.id}`,
      args: [
        {
          trigger: 'schedule',
          concurrency: config.temporal.concurrency,
          ...(config.temporal.collectRetry ? { collectRetry: config.temporal.collectRetry } : {}),
          ...(s.sources ? { sources: s.sources } : {}),
        },
      ],
    },
    policies: {
      overlap: overlapPolicies[s.overlap],
      catchupWindow: s.catchupWindow as `${number}d`,
      pauseOnFailure: false,
    },
    memo: { managedBy, taskQueue: config.temporal.taskQueue, configId: s.id },
    state: { paused: s.paused, note: noteFor(s) },
  };
}

/** The note carries a digest of the declared schedule, so sync can tell "unchanged" without diffing specs. */
function noteFor(s: ScheduleConfig): string {
  const digest = createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 16);
  return `managed by evidence-hub; config digest ${digest}${s.paused ? '; paused in config' : ''}`;
}

export interface SyncReport {
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

/** Makes our schedules match the config exactly: create, update, delete. Idempotent. */
export async function syncSchedules(client: Client, config: LoadedConfig): Promise<SyncReport> {
  const report: SyncReport = { created: [], updated: [], deleted: [], unchanged: [] };
  const wanted = new Map(config.schedules.map((s) => [scheduleIdFor(config, s.id), s]));
  const ours: string[] = [];
  for await (const summary of client.schedule.list()) {
    const memo = summary.memo as { managedBy?: string; taskQueue?: string } | undefined;
    if (memo?.managedBy === managedBy && memo.taskQueue === config.temporal.taskQueue) ours.push(summary.scheduleId);
  }
  for (const [scheduleId, s] of wanted) {
    const want = desired(config, s);
    const handle = client.schedule.getHandle(scheduleId);
    let current;
    try {
      current = await describeSchedule(handle);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!current) {
      await client.schedule.create(want);
      report.created.push(s.id);
    } else if (current.state.note !== want.state!.note) {
      await handle.update(() => ({
        spec: want.spec,
        action: want.action,
        policies: want.policies!,
        state: want.state!,
      }));
      if (current.state.paused !== s.paused)
        await (s.paused ? handle.pause(want.state!.note) : handle.unpause(want.state!.note));
      report.updated.push(s.id);
    } else report.unchanged.push(s.id);
  }
  for (const scheduleId of ours.filter((id) => !wanted.has(id))) {
    await client.schedule.getHandle(scheduleId).delete();
    report.deleted.push(scheduleId.slice(scheduleIdFor(config, '').length));
  }
  return report;
}

export interface ScheduleRow {
  id: string;
  scheduleId: string;
  spec: string;
  paused: boolean;
  nextRuns: string[];
  recentRuns: { scheduledAt: string; workflowId: string }[];
}

export async function listSchedules(client: Client, config: LoadedConfig): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for (const s of config.schedules) {
    const scheduleId = scheduleIdFor(config, s.id);
    try {
      const d = await describeSchedule(client.schedule.getHandle(scheduleId));
      rows.push({
        id: s.id,
        scheduleId,
        spec: s.cron ? `cron "${s.cron}" ${s.timezone}` : `every ${s.every}`,
        paused: d.state.paused,
        nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
        recentRuns: d.info.recentActions
          .slice(-3)
          .map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
      });
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      rows.push({
        id: s.id,
        scheduleId,
        spec: 'not created yet: run `evidence-hub schedules sync`',
        paused: s.paused,
        nextRuns: [],
        recentRuns: [],
      });
    }
  }
  return rows;
}

/**
 * Describing a schedule queries the schedule's own workflow: a busy or just restarted server can miss the
 * call's deadline once. Such transient answers are retried twice; anything else is thrown at once.
 */
export async function describeSchedule(handle: Pick<ScheduleHandle, 'describe'>): Promise<ScheduleDescription> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.describe();
    } catch (err) {
      const code = (err as { cause?: { code?: number } }).cause?.code;
      if (attempt >= 3 || (code !== grpcStatus.DEADLINE_EXCEEDED && code !== grpcStatus.UNAVAILABLE)) throw err;
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
}

const grpcStatus = { DEADLINE_EXCEEDED: 4, UNAVAILABLE: 14 } as const;

/** Runs the schedule's action for every time it would have fired between `from` and `to`. */
export async function backfillSchedule(
  client: Client,
  config: LoadedConfig,
  id: string,
  from: Date,
  to: Date,
): Promise<void> {
  if (!config.schedules.some((s) => s.id === id)) {
    throw new Error(
      `no schedule "${id}" in ${config.file}; declared: ${config.schedules.map((s) => s.id).join(', ') || 'none'}`,
    );
  }
  await client.schedule.getHandle(scheduleIdFor(config, id)).backfill({ start: from, end: to, overlap: 'ALLOW_ALL' });
}
