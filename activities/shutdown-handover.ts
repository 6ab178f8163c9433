import { ApplicationFailure, CancelledFailure, type Context } from '@temporalio/activity';

/**
 * Graceful shutdown, the activity's side. When the worker's shutdown grace runs out (worker/shutdown.ts), the
 * SDK cancels the activities still running with the reason WORKER_SHUTDOWN. A collection then stops at the
 * next artifact, heartbeats a checkpoint of everything staged so far and fails with a retryable
 * `WorkerShutdown`: the retry (on another worker, or this one restarted) resumes from that checkpoint, so
 * nothing is collected twice or lost. It must not end as "cancelled": that is the answer to a sweep being
 * cancelled, and the workflow would give the source up.
 */
export function workerShuttingDown(ctx: Context | undefined): boolean {
  if (!ctx?.cancellationSignal.aborted) return false;
  if (ctx.cancellationDetails?.workerShutdown) return true;
  const reason: unknown = ctx.cancellationSignal.reason;
  return reason instanceof CancelledFailure && reason.message === 'WORKER_SHUTDOWN';
}

export function handoverFailure(source: string, staged: number): ApplicationFailure {
  return ApplicationFailure.retryable(
    `the worker is shutting down: source ${source} handed over at its checkpoint after ${staged} artifacts; the next attempt resumes there`,
    'WorkerShutdown',
  );
}
