import { createHash } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { LoadedConfig, ScheduleConfig } from '../config/config';
import { integrityWorkflow, integrityWorkflowId, sweepWorkflow } from '../workflows';

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

/** The integrity monitor's schedule ids (`integrity`, `integrity-full`); reserved in `schedules:`. */
export const integrityScheduleIds = ['integrity', 'integrity-full'] as const;

/**
 * The integrity monitor's schedules (workflows/integrity.ts), from `integrity:` in the config: incremental
 * every `every`, full every `fullEvery`. Synced like the declared ones; none when `enabled: false`.
 */
function integrityDesired(
  config: LoadedConfig,
  full: boolean,
): ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof integrityWorkflow>> {
  const every = full ? config.integrity.fullEvery : config.integrity.every;
  const id = integrityScheduleIds[full ? 1 : 0];
  const digest = createHash('sha256').update(JSON.stringify({ id, every, full })).digest('hex').slice(0, 16);
  return {
    scheduleId: scheduleIdFor(config, id),
    spec: { intervals: [{ every: every as `${number}h` }] },
    action: {
      type: 'startWorkflow',
      workflowType: integrityWorkflow,
      taskQueue: config.temporal.taskQueue,
      workflowId: integrityWorkflowId(config.temporal.taskQueue, full),
      args: [{ full }],
    },
    policies: { overlap: 'SKIP', catchupWindow: '1d', pauseOnFailure: false },
    memo: { managedBy, taskQueue: config.temporal.taskQueue, configId: id },
    state: { paused: false, note: `managed by evidence-hub; integrity monitor; config digest ${digest}` },
  };
}

/** Every schedule sync manages: the declared ones, then the integrity monitor's. */
function allDesired(config: LoadedConfig): { id: string; paused: boolean; want: ScheduleOptions }[] {
  const out: { id: string; paused: boolean; want: ScheduleOptions }[] = config.schedules.map((s) => ({
    id: s.id,
    paused: s.paused,
    want: desired(config, s) as ScheduleOptions,
  }));
  if (config.integrity.enabled) {
    for (const full of [false, true])
      out.push({
        id: integrityScheduleIds[full ? 1 : 0],
        paused: false,
        want: integrityDesired(config, full) as ScheduleOptions,
      });
  }
  return out;
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
  const wanted = new Map(allDesired(config).map((s) => [scheduleIdFor(config, s.id), s]));
  const ours: string[] = [];
  for await (const summary of client.schedule.list()) {
    const memo = summary.memo as { managedBy?: string; taskQueue?: string } | undefined;
    if (memo?.managedBy === managedBy && memo.taskQueue === config.temporal.taskQueue) ours.push(summary.scheduleId);
  }
  for (const [scheduleId, s] of wanted) {
    const want = s.want;
    const handle = client.schedule.getHandle(scheduleId);
    let current;
    try {
      current = await describeSchedule(handle);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!current) {
      try {
        await client.schedule.create(want);
        report.created.push(s.id);
        continue;
      } catch (err) {
        // Another worker (or one killed a moment ago) created it between our describe and create: sync is
        // idempotent, so reconcile against what it created instead of failing the worker's start.
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        current = await describeJustCreated(handle);
      }
    }
    if (current.state.note !== want.state!.note) {
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
  const listed = [
    ...config.schedules.map((s) => ({
      id: s.id,
      paused: s.paused,
      spec: s.cron ? `cron "${s.cron}" ${s.timezone}` : `every ${s.every}`,
    })),
    ...(config.integrity.enabled
      ? [
          {
            id: integrityScheduleIds[0],
            paused: false,
            spec: `every ${config.integrity.every} (integrity, incremental)`,
          },
          { id: integrityScheduleIds[1], paused: false, spec: `every ${config.integrity.fullEvery} (integrity, full)` },
        ]
      : []),
  ];
  for (const s of listed) {
    const scheduleId = scheduleIdFor(config, s.id);
    try {
      const d = await describeSchedule(client.schedule.getHandle(scheduleId));
      rows.push({
        id: s.id,
        scheduleId,
        spec: s.spec,
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

/**
 * A schedule whose create raced ours exists ("already running") yet can answer describe with "not found"
 * for a moment while its scheduler workflow takes its first task; wait for it rather than fail.
 */
async function describeJustCreated(handle: Pick<ScheduleHandle, 'describe'>): Promise<ScheduleDescription> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await describeSchedule(handle);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError) || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 300 * attempt));
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
