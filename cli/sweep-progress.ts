import { createInterface } from 'node:readline';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { checkpointFromHeartbeat } from '../activities/collect-checkpoint';
import { failureChain, waitingOutRestarts } from './sweep-failure';
import { progressQuery, type sweepWorkflow, type SweepProgress, type SweepResult } from '../workflows';

interface LiveCount {
  count: number;
  stats?: Record<string, number>;
}

/** Heartbeat details of running collection activities: artifacts (and requests) so far, per source. */
async function liveCounts(client: Client, workflowIds: string[]): Promise<Map<string, LiveCount>> {
  // The converter that encoded the heartbeat on the worker decodes it here (the default one unless configured).
  const converter = client.options.loadedDataConverter.payloadConverter;
  const out = new Map<string, LiveCount>();
  for (const id of workflowIds) {
    try {
      const d = await client.workflow.getHandle(id).describe();
      for (const a of d.raw.pendingActivities ?? []) {
        const checkpoint = checkpointFromHeartbeat(a.heartbeatDetails?.payloads, converter);
        if (checkpoint)
          out.set(checkpoint.source, {
            count: checkpoint.count,
            ...(checkpoint.stats ? { stats: checkpoint.stats } : {}),
          });
      }
    } catch {
      // finished or not started yet
    }
  }
  return out;
}

/**
 * Waits for the sweep, reporting each source's progress as it changes: states from the workflow query
 * (no history events), live artifact counts from the running activities' heartbeats.
 */
export async function waitForSweep(
  handle: WorkflowHandle<typeof sweepWorkflow>,
  report: (line: string) => void,
  pollMs = 500,
  client?: Client,
): Promise<SweepResult> {
  const last = new Map<string, string>();
  let done = false;
  const poll = async () => {
    while (!done) {
      try {
        const p: SweepProgress = await handle.query(progressQuery);
        const sources = { ...p.sources };
        for (const batch of p.batches) {
          try {
            Object.assign(sources, (await handle.client.getHandle(batch).query(progressQuery)).sources);
          } catch {
            // batch not started yet
          }
        }
        const live = client
          ? await liveCounts(client, [handle.workflowId, ...p.batches])
          : new Map<string, LiveCount>();
        if (last.get('\u0000phase') !== p.phase) {
          last.set('\u0000phase', p.phase);
          report(`sweep ${p.bundleId}: ${p.phase}`);
        }
        for (const [id, s] of Object.entries(sources)) {
          const l = live.get(id);
          const text =
            s.state === 'done'
              ? `done, ${s.artifactCount} artifacts${s.problems ? ` (with problems: ${s.problems.join('; ')})` : ''}`
              : s.state === 'failed'
                ? `FAILED: ${s.error}`
                : s.state === 'running' && l
                  ? `running, ${l.count} artifacts${l.stats?.['requests'] !== undefined ? `, ${l.stats['requests']} requests` : ''}`
                  : s.state;
          if (last.get(id) !== text) {
            last.set(id, text);
            report(`  [${id}] ${text}`);
          }
        }
      } catch {
        // The workflow may not have been picked up yet, or has just finished.
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  const poller = poll();
  try {
    const result = await waitingOutRestarts(() => handle.result(), report);
    done = true;
    await poller;
    // A fast sweep can finish between two polls: report every source's final state from the result.
    for (const s of result.sources) {
      const text =
        s.status === 'failed'
          ? `FAILED: ${s.error.type}: ${s.error.message}`
          : `done, ${s.artifactCount} artifacts${s.status === 'partial' ? ` (with problems: ${s.problems.join('; ')})` : ''}`;
      if (last.get(s.source) !== text) report(`  [${s.source}] ${text}`);
    }
    if (last.get('\u0000phase') !== 'done') report(`sweep ${result.bundle.bundleId}: done`);
    return result;
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new Error(`sweep ${handle.workflowId} failed: ${failureChain(err)}`);
    throw err;
  } finally {
    done = true;
    await poller;
  }
}

/**
 * Ctrl-C while waiting: ask whether to cancel the sweep (nothing is sealed, staging is discarded) or
 * to detach and leave it running. Without a terminal there is nobody to ask: detach.
 */
export function onInterrupt(handle: WorkflowHandle, report: (line: string) => void): () => void {
  const listener = () => {
    if (!process.stdin.isTTY) {
      report(`detached; sweep ${handle.workflowId} keeps running`);
      process.exit(130);
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    rl.question(`\ncancel sweep ${handle.workflowId} (c) or detach and leave it running (d)? [d] `, (answer) => {
      rl.close();
      if (answer.trim().toLowerCase().startsWith('c')) {
        handle.cancel().then(
          () => report('cancellation requested; no bundle will be sealed for this sweep'),
          (err: unknown) => report(`could not cancel: ${(err as Error).message}`),
        );
      } else {
        report(`detached; sweep ${handle.workflowId} keeps running`);
        process.exit(130);
      }
    });
  };
  process.on('SIGINT', listener);
  return () => process.off('SIGINT', listener);
}
