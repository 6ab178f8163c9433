import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { configDifferences, type WorkerConfigInfo } from '../core/config-digest';
import { workerConfigInfo } from '../worker/config-digest';
import type { Hub } from '../worker/hub';
import { workerConfigWorkflow, workerConfigWorkflowId } from '../workflows';

/**
 * Before a sweep: asks a worker of the task queue which config it runs and warns, naming the differences,
 * when the file as it is now says something else (a source added here that the worker does not know, one
 * removed, one changed, other sections). The worker keeps its config until it restarts: this makes the
 * disagreement visible instead of silent. Never fails the command: no answer within the timeout (no
 * worker, an older worker without the activity) is only logged.
 */
export async function warnOnConfigDrift(
  client: Client,
  hub: Hub,
  warn: (line: string) => void,
  log: Logger,
  timeoutMs = 15_000,
): Promise<string[]> {
  const { taskQueue, namespace } = hub.config.temporal;
  let worker: WorkerConfigInfo;
  try {
    // No worker polls the queue: nobody to ask, and the sweep would wait for one without a word.
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    if ((pollers ?? []).length === 0) {
      warn(
        `warning: no worker polls task queue ${taskQueue} in namespace ${namespace}; the sweep waits until one starts (\`evidence-hub worker\`)`,
      );
      return [];
    }
    const handle = await client.workflow.start(workerConfigWorkflow, {
      taskQueue,
      workflowId: workerConfigWorkflowId(taskQueue, randomBytes(4).toString('hex')),
      workflowExecutionTimeout: `${Math.ceil(timeoutMs / 1000)}s`,
    });
    worker = await handle.result();
  } catch (err) {
    log.debug({ err }, 'no worker answered the config check');
    return [];
  }
  const differences = configDifferences(worker, workerConfigInfo(hub));
  if (differences.length > 0) {
    warn(
      `warning: the worker (${worker.host} pid ${worker.pid}, started ${worker.startedAt}, config ${worker.digest}) runs a different config than ${hub.config.file} (${workerConfigInfo(hub).digest}):`,
    );
    for (const d of differences) warn(`  - ${d}`);
    warn('  restart the workers to run the file as it is now (docs/deploy.md, "Config changes")');
  }
  return differences;
}
