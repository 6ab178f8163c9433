import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { LoadedConfig } from '../../worker/config';
import { progressQuery, type SweepInput, type SweepProgress, type SweepResult } from '../../workflows';

export async function connectClient(config: LoadedConfig): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '5s' });
    return new Client({ connection, namespace: config.temporal.namespace });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${config.temporal.address} (${(err as Error).message}); is the worker's server running? (set TEMPORAL_ADDRESS or temporal.address)`);
  }
}

export function sweepWorkflowId(now = new Date()): string {
  return `sweep-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export async function startSweep(client: Client, config: LoadedConfig, input: SweepInput): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start('sweepWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId: sweepWorkflowId(),
    args: [input],
  });
}

/**
 * Waits for the sweep, reporting each source's progress as it changes (read with a workflow query, so
 * it costs no history events).
 */
export async function waitForSweep(handle: WorkflowHandle, report: (line: string) => void, pollMs = 500): Promise<SweepResult> {
  const last = new Map<string, string>();
  let done = false;
  const poll = async () => {
    while (!done) {
      try {
        const p: SweepProgress = await handle.query(progressQuery);
        for (const [id, s] of Object.entries(p.sources)) {
          const text = s.state === 'done' ? `done, ${s.artifactCount} artifacts` : s.state === 'failed' ? `FAILED: ${s.error}` : s.state;
          if (last.get(id) !== text) {
            last.set(id, text);
            report(`  [${id}] ${text}`);
          }
        }
        if (last.get('\u0000phase') !== p.phase) {
          last.set('\u0000phase', p.phase);
          report(`sweep ${p.bundleId}: ${p.phase}`);
        }
      } catch {
        // The workflow may not have been picked up yet, or has just finished.
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  const poller = poll();
  try {
    const result = (await handle.result()) as SweepResult;
    done = true;
    await poller;
    // A fast sweep can finish between two polls: report every source's final state from the result.
    for (const s of result.sources) {
      const text = s.status === 'ok' ? `done, ${s.artifactCount} artifacts` : `FAILED: ${s.error.type}: ${s.error.message}`;
      if (last.get(s.source) !== text) report(`  [${s.source}] ${text}`);
    }
    if (last.get('\u0000phase') !== 'done') report(`sweep ${result.bundle.bundleId}: done`);
    return result;
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new Error(`sweep ${handle.workflowId} failed: ${err.cause?.message ?? err.message}`);
    throw err;
  } finally {
    done = true;
    await poller;
  }
}
