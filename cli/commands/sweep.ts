import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import {
  Client,
  Connection,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import picomatch from 'picomatch';
import type { Hub } from '../../worker/hub';
import { UsageError } from './status';
import type { LoadedConfig } from '../../config/config';
import { progressQuery, type SweepInput, type SweepProgress, type SweepResult } from '../../workflows';

export async function connectClient(config: LoadedConfig): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '5s' });
    return new Client({ connection, namespace: config.temporal.namespace });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${config.temporal.address} (${(err as Error).message}); is the worker's server running? (set TEMPORAL_ADDRESS or temporal.address)`,
    );
  }
}

export function sweepWorkflowId(now = new Date()): string {
  return `sweep-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** Starts a sweep; the config's concurrency and retry settings apply unless the input overrides them. */
export async function startSweep(
  client: Client,
  config: LoadedConfig,
  input: SweepInput,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const { collectRetry, concurrency } = config.temporal;
  return client.workflow.start('sweepWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId: sweepWorkflowId(),
    args: [{ concurrency, ...(collectRetry ? { collectRetry } : {}), ...input }],
  });
}

/**
 * Source ids that feed controls matching `glob`: the sources whose type some rule for those controls
 * reads. A sweep before an audit of A.6 controls then collects exactly what A.6 needs.
 */
export function sourcesForControls(hub: Hub, glob: string): string[] {
  const match = picomatch(glob);
  const types = new Set(
    hub.mappings.rules.filter((r) => r.controls.some((c) => match(c))).flatMap((r) => r.sourceTypes),
  );
  if (!hub.mappings.catalog.controls.some((c) => match(c.id)))
    throw new UsageError(`--controls "${glob}" matches no control`);
  return hub.config.sources.filter((s) => types.has(s.type)).map((s) => s.id);
}

interface LiveCount {
  count: number;
  stats?: Record<string, number>;
}

/** Heartbeat details of running collection activities: artifacts (and requests) so far, per source. */
async function liveCounts(client: Client, workflowIds: string[]): Promise<Map<string, LiveCount>> {
  const out = new Map<string, LiveCount>();
  for (const id of workflowIds) {
    try {
      const d = await client.workflow.getHandle(id).describe();
      for (const a of d.raw.pendingActivities ?? []) {
        const data = a.heartbeatDetails?.payloads?.[0]?.data;
        if (!data) continue;
        const details = JSON.parse(Buffer.from(data).toString('utf8')) as {
          source?: string;
          count?: number;
          stats?: Record<string, number>;
        };
        if (details.source && typeof details.count === 'number')
          out.set(details.source, { count: details.count, ...(details.stats ? { stats: details.stats } : {}) });
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
  handle: WorkflowHandle,
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
    const result = (await handle.result()) as SweepResult;
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
    if (err instanceof WorkflowFailedError)
      throw new Error(`sweep ${handle.workflowId} failed: ${err.cause?.message ?? err.message}`);
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
