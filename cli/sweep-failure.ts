import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';

/**
 * What `sweep --wait` needs to survive and to say: a Temporal server restart while it waits (the sweep
 * carries on on the server, so the CLI waits for it to come back instead of exiting 1), and a failed sweep
 * reported with the cause raised in the activity, not the wrapper's "Activity task failed".
 */

/** gRPC codes that mean "the server went away or did not answer in time", not "the answer is no". */
const connectionLossCodes = new Set([
  1, // CANCELLED: the channel was torn down under the call
  4, // DEADLINE_EXCEEDED
  13, // INTERNAL: a stream reset by a dying server
  14, // UNAVAILABLE
]);

export function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && connectionLossCodes.has(code);
}

/**
 * Calls `get` until it returns, waiting out connection losses (backoff 0.5 s to 10 s) for at most
 * `maxOutageMs` in a row; any other error is thrown at once. `report` is told once per outage.
 */
export async function waitingOutRestarts<T>(
  get: () => Promise<T>,
  report: (line: string) => void,
  maxOutageMs = 15 * 60_000,
): Promise<T> {
  let outageSince: number | undefined;
  let delay = 500;
  for (;;) {
    try {
      const value = await get();
      if (outageSince !== undefined) report('Temporal is back');
      return value;
    } catch (err) {
      if (!isConnectionLoss(err)) throw err;
      if (outageSince === undefined) {
        outageSince = Date.now();
        report(`lost the connection to Temporal (${causeText(err)}); the sweep runs on, waiting for the server`);
      } else if (Date.now() - outageSince > maxOutageMs)
        throw new Error(
          `Temporal has not answered for ${Math.round(maxOutageMs / 60_000)} min (${causeText(err)}); the sweep may still finish: check it with \`evidence-hub status\` later`,
        );
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(10_000, delay * 2);
    }
  }
}

/**
 * The chain of a failure down to where it was raised, as "Type: message" parts joined by " ← ", skipping
 * the SDK's wrappers that say nothing ("Activity task failed", "Child Workflow execution failed").
 */
export function failureChain(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err instanceof WorkflowFailedError ? (err.cause ?? err) : err;
  for (let depth = 0; e && depth < 10; depth++) {
    const wrapper = e instanceof TemporalFailure && !(e instanceof ApplicationFailure);
    if (!wrapper && e instanceof Error) {
      const type = e instanceof ApplicationFailure ? (e.type ?? e.name) : e.name;
      const text = `${type}: ${e.message}`;
      if (!parts.some((p) => p.includes(e instanceof Error ? e.message : ''))) parts.push(text);
    }
    e = e instanceof Error ? e.cause : undefined;
  }
  if (parts.length === 0) return err instanceof Error ? err.message : String(err);
  return parts.join(' ← ');
}

function causeText(err: unknown): string {
  const cause = err instanceof ServiceError ? err.cause : err;
  return cause instanceof Error ? cause.message.split('\n')[0]! : String(cause);
}
