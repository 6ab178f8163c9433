import type { Command } from 'commander';
import { loadConfig } from '../../config/config';
import { readIntegrityState, renderIntegrityRun } from '../../evidence/integrity';
import { pendingSummary, readWitnessState, renderPendingSummary } from '../../evidence/witness/state';
import { openStore } from '../../worker/hub';
import { monitorStatusQuery, monitorWorkflowId, type MonitorStatus } from '../../workflows/monitor';
import { configOption, exitCodes, type CommandContext } from '../command-kit';
import { connectClient } from '../connect';

/**
 * `evidence-hub monitor`: the monitors' own status. The staleness monitor's (last evaluation, alerts posted,
 * Slack problems; only with `alerts:`), the integrity monitor's last verification and the checkpoints
 * still pending a witness (both read from the store). Exit code 1 unless all of them are ok.
 */
export function registerMonitor(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('monitor')
    .description(
      "the monitors' own status: last staleness evaluation and Slack problems, last integrity verification, pending witnesses",
    )
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const config = await loadConfig(o.config);
      const store = await openStore(config.store, config.baseDir);
      const integrity = await readIntegrityState(store);
      const witnesses = config.witness ? pendingSummary(await readWitnessState(store)) : [];
      let status: MonitorStatus | undefined;
      if (config.alerts) {
        const client = await connectClient(config);
        status = await client.workflow
          .getHandle(monitorWorkflowId(config.temporal.taskQueue))
          .query(monitorStatusQuery);
      }
      if (o.json) io.out(JSON.stringify({ ...(status ?? {}), integrity: integrity ?? null, witnesses }, null, 2));
      else {
        if (status) {
          io.out(
            `monitor: ${status.state}, ${status.runs} evaluation(s), last ${status.lastRunAt ?? 'never'}, ${status.posted} alert(s) posted`,
          );
          if (status.lastError)
            io.out(`  last error (${status.lastError.at}): ${status.lastError.type}: ${status.lastError.message}`);
        } else io.out('monitor: no staleness monitor (no alerts: in the config)');
        if (!config.integrity.enabled && !integrity) io.out('integrity: monitor disabled (integrity.enabled: false)');
        else for (const line of renderIntegrityRun(integrity)) io.out(line);
        for (const line of renderPendingSummary(witnesses)) io.out(line);
      }
      if ((status && status.state !== 'ok') || integrity?.last?.ok === false) setExitCode(exitCodes.failure);
    });
}
