import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Runtime, Worker, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { TelemetryOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { SlackNotifier, slackLoggerFor } from '../alerts/slack-notifier';
import type { Signer } from '../evidence/signing';
import type { Client } from '@temporalio/client';
import { monitorWorkflowId, stalenessMonitorWorkflow } from '../workflows/monitor';
import type { Hub } from './hub';
import type { LoadedConfig } from '../config/config';
import { connectTemporalWorker } from './temporal-connection';
import type { ActivityMetrics } from '../activities/metrics-recorder';
import { gracefulShutdownOptions } from './shutdown';
import { workerConfigActivities, workerConfigInfo } from './config-digest';

let runtimeInstalled = false;

/**
 * Routes the Temporal SDK's own logs through pino (and its redaction) instead of the console; with
 * `telemetryOptions`, also exports the SDK's metrics (worker/sdk-metrics.ts). Returns false when a runtime
 * already existed, so those options did not take effect.
 */
export function installTemporalLogging(log: Logger, telemetryOptions?: TelemetryOptions): boolean {
  if (runtimeInstalled) return false;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  const sdkLog = log.child({ component: 'temporal-sdk' });
  const emit = (level: LogLevel, message: string, meta?: LogMetadata) => sdkLog[levels[level]](meta ?? {}, message);
  try {
    Runtime.install({
      logger: {
        log: emit,
        trace: (m, meta) => emit('TRACE', m, meta),
        debug: (m, meta) => emit('DEBUG', m, meta),
        info: (m, meta) => emit('INFO', m, meta),
        warn: (m, meta) => emit('WARN', m, meta),
        error: (m, meta) => emit('ERROR', m, meta),
      },
      ...(telemetryOptions ? { telemetryOptions } : {}),
    });
    return true;
  } catch {
    // A runtime already exists (e.g. created by a test environment): keep it.
    return false;
  }
}

export interface WorkerOptions {
  connection: NativeConnection;
  /** Prebuilt workflow bundle (tests reuse one); bundled from workflows/ when absent. */
  workflowBundle?: { code: string };
  clock?: () => Date;
  /** The worker's metrics (worker/metrics.ts), recorded by the activities. */
  metrics?: ActivityMetrics;
  /** After shutdown(): how long running activities may finish before they hand over (worker/shutdown.ts). */
  shutdownGrace?: string;
}

export async function createHubWorker(hub: Hub, key: Signer, log: Logger, options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: hub.config.temporal.namespace,
    taskQueue: hub.config.temporal.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
    ...(options.shutdownGrace !== undefined ? gracefulShutdownOptions(options.shutdownGrace) : {}),
    activities: {
      // Which config this worker runs, for the CLI's check before a sweep (worker/config-digest.ts).
      ...workerConfigActivities(workerConfigInfo(hub)),
      ...createActivities({
        config: hub.config,
        store: hub.store,
        key,
        mappings: hub.mappings,
        notApplicable: hub.notApplicable,
        log,
        ...(hub.config.alerts
          ? {
              notifier: await SlackNotifier.fromConfig(hub.config.alerts, hub.config.baseDir, {
                logger: slackLoggerFor(log),
              }),
            }
          : {}),
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.metrics ? { metrics: options.metrics } : {}),
      }),
    },
  });
}

/** The worker's connection, secured as configured (temporal-connection.ts). */
export async function connectWorker(config: LoadedConfig): Promise<NativeConnection> {
  return connectTemporalWorker(config);
}

/** workflows/index.js in a build, workflows/index.ts when run from sources (tests, tsx). */
export function workflowsPath(): string {
  const base = path.join(__dirname, '..', 'workflows', 'index');
  return existsSync(`${base}.js`) ? `${base}.js` : `${base}.ts`;
}

/** Starts the staleness monitor for this task queue unless it already runs (one per task queue). */
export async function ensureMonitor(client: Client, hub: Hub): Promise<string | undefined> {
  if (!hub.config.alerts) return undefined;
  const workflowId = monitorWorkflowId(hub.config.temporal.taskQueue);
  await client.workflow.start(stalenessMonitorWorkflow, {
    workflowId,
    taskQueue: hub.config.temporal.taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return workflowId;
}
