import type { Logger } from 'pino';

/** How long past the grace the SDK waits before it gives up on a clean stop and the process exits anyway. */
const forceMarginMs = 15_000;

/**
 * The Worker options that make a stop graceful: after `shutdown()`, polling stops at once and running
 * activities get `grace` to finish; then they are cancelled and a collection hands over at its checkpoint
 * (activities/shutdown-handover.ts). `shutdownForceTime` bounds the whole stop, so a stuck activity cannot
 * keep a terminating pod alive past its own termination grace period.
 */
export function gracefulShutdownOptions(grace: string): { shutdownGraceTime: number; shutdownForceTime: number } {
  const ms = durationMs(grace);
  return { shutdownGraceTime: ms, shutdownForceTime: ms + forceMarginMs };
}

/**
 * SIGTERM (Kubernetes, systemd) or SIGINT (Ctrl-C) starts the graceful stop; the worker's `run()` then
 * resolves and the command exits 0. A second signal stops at once with exit code 1, for someone who does
 * not want to wait. Returns a function that removes the handlers.
 */
export function stopOnSignals(stop: () => void, log: Logger, grace: string): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting for running activities');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, grace }, 'stopping: no new tasks; running activities finish or hand over within the grace');
    stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

const unitMs = { ms: 1, s: 1_000, m: 60_000 } as const;

/** `500ms`, `30s`, `2m` (the form config/worker-settings.ts accepts) in milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`shutdown grace "${text}" is not a duration such as 500ms, 30s or 2m`);
  return Number(m[1]) * unitMs[m[2] as keyof typeof unitMs];
}
