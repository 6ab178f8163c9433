import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Command } from 'commander';
import picomatch from 'picomatch';
import type { LoadedConfig } from '../../config/config';
import { loadHub, type Hub } from '../../worker/hub';
import { sweepWorkflow, type SweepInput } from '../../workflows';
import {
  configOption,
  exitCodes,
  parseDateArg,
  storeOption,
  storeOverrides,
  UsageError,
  type CommandContext,
} from '../command-kit';
import { connectClient } from '../connect';
import { warnOnConfigDrift } from '../config-drift';
import { renderCounts, renderStatusTable } from '../status-table';
import { onInterrupt, waitForSweep } from '../sweep-progress';
import { controlStatus } from './status';

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
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof sweepWorkflow>> {
  const { collectRetry, concurrency } = config.temporal;
  return client.workflow.start(sweepWorkflow, {
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
  if (![...hub.mappings.catalog.controls, ...hub.mappings.clauses.controls].some((c) => match(c.id)))
    throw new UsageError(`--controls "${glob}" matches no control`);
  return hub.config.sources.filter((s) => types.has(s.type)).map((s) => s.id);
}

/** `evidence-hub sweep`: starts a sweep on a running worker; with --wait, shows its progress and the readiness table. */
export function registerSweep(program: Command, { io, log, setExitCode }: CommandContext): void {
  program
    .command('sweep')
    .description('start a sweep on a running worker')
    .addOption(configOption())
    .addOption(storeOption())
    .option(
      '--controls <glob>',
      'collect exactly the sources that feed these controls (or clauses), e.g. "A.6.*" or "9.*"',
    )
    .option('--sources <ids>', 'comma-separated source ids (default: all)')
    .option('--since <date>', 'collect only what changed since this date, where the source supports it')
    .option('--concurrency <n>', 'sources collected at once', (v) => Number(v))
    .option('--wait', 'wait for the sweep, showing progress, then print the readiness table')
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      const client = await connectClient(hub.config);
      let sources: string[] | undefined = o.sources
        ? String(o.sources)
            .split(',')
            .map((s: string) => s.trim())
            .filter(Boolean)
        : undefined;
      if (o.controls) {
        const feeding = sourcesForControls(hub, o.controls);
        sources = sources ? sources.filter((s) => feeding.includes(s)) : feeding;
        if (sources.length === 0) throw new UsageError(`no configured source feeds controls "${o.controls}"`);
      }
      // The worker runs the config it started with: say so when this file differs (cli/config-drift.ts).
      await warnOnConfigDrift(client, hub, io.err, log);
      const since = o.since ? parseDateArg(o.since, 'start', '--since').toISOString() : undefined;
      if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency > 0))
        throw new UsageError('--concurrency must be a positive whole number');
      const handle = await startSweep(client, hub.config, {
        trigger: 'manual',
        ...(sources ? { sources } : {}),
        ...(since ? { since } : {}),
        ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      });
      if (!o.wait) {
        io.out(
          o.json
            ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId })
            : `started sweep ${handle.workflowId}`,
        );
        return;
      }
      const stopListening = onInterrupt(handle, io.err);
      let result;
      try {
        result = await waitForSweep(handle, o.json ? () => undefined : io.err, 500, client);
      } finally {
        stopListening();
      }
      const { results } = await controlStatus(hub, o.controls ? { controls: o.controls } : {});
      if (o.json) io.out(JSON.stringify({ ...result, controls: results }, null, 2));
      else {
        io.out(
          `bundle ${result.bundle.bundleId} (#${result.bundle.sequence}): ${result.bundle.artifactCount} artifacts, manifest ${result.bundle.location}`,
        );
        for (const s of result.sources) {
          if (s.status === 'failed') io.out(`source ${s.source} FAILED: ${s.error.message}`);
          if (s.status === 'partial') io.out(`source ${s.source} collected with problems: ${s.problems.join('; ')}`);
        }
        io.out('');
        io.out(renderStatusTable(results));
        io.out(`\nreadiness: ${renderCounts(results)}`);
      }
      if (result.sources.some((s) => s.status !== 'ok')) setExitCode(exitCodes.failure);
    });
}
