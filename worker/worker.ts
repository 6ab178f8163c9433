import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Runtime, Worker, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { SlackNotifier, slackLoggerFor } from '../alerts/slack-notifier';
import type { SigningKey } from '../evidence/signing';
import type { Client } from '@temporalio/client';
import { monitorWorkflowId, stalenessMonitorWorkflow } from '../workflows/monitor';
import type { Hub } from './hub';
import { workerConfigActivities, workerConfigInfo } from './config-digest';

let runtimeInstalled = false;

/** Routes the Temporal SDK's own logs through pino (and its redaction) instead of the console. */
export function installTemporalLogging(log: Logger): void {
  if (runtimeInstalled) return;
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
    });
  } catch {
    // A runtime already exists (e.g. created by a test environment): keep it.
  }
}

export interface WorkerOptions {
  connection: NativeConnection;
  /** Prebuilt workflow bundle (tests reuse one); bundled from workflows/ when absent. */
  workflowBundle?: { code: string };
  clock?: () => Date;
}

export async function createHubWorker(hub: Hub, key: SigningKey, log: Logger, options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: hub.config.temporal.namespace,
    taskQueue: hub.config.temporal.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
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
      }),
    },
  });
}

export async function connectWorker(address: string): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${address} (${(err as Error).message}); start one with \`temporal server start-dev\` or set TEMPORAL_ADDRESS`,
    );
  }
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
