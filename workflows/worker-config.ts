import { proxyActivities } from '@temporalio/workflow';
import type { WorkerConfigInfo } from '../core/config-digest';

/** The activity a worker registers beside the others (worker/config-digest.ts). */
export interface WorkerConfigActivities {
  describeWorkerConfig(): Promise<WorkerConfigInfo>;
}

const { describeWorkerConfig } = proxyActivities<WorkerConfigActivities>({
  // A worker answers at once or not at all: the CLI asking must never wait long (it only warns).
  scheduleToCloseTimeout: '15s',
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 2 },
});

export function workerConfigWorkflowId(taskQueue: string, nonce: string): string {
  return `evidence-hub.${taskQueue}.config-check.${nonce}`;
}

/**
 * Asks a worker of the task queue which config it runs (its digest per source and section). Short-lived;
 * started by the CLI before a sweep to warn when the file changed under a running worker.
 */
export async function workerConfigWorkflow(): Promise<WorkerConfigInfo> {
  return describeWorkerConfig();
}
