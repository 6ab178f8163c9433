import type { Command } from 'commander';
import { loadConfig } from '../../config/config';
import { monitorStatusQuery, monitorWorkflowId, type MonitorStatus } from '../../workflows/monitor';
import { configOption, exitCodes, type CommandContext } from '../command-kit';
import { connectClient } from '../connect';

/** `evidence-hub monitor`: the staleness monitor's own status; exit code 1 unless it is ok. */
export function registerMonitor(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('monitor')
    .description("the staleness monitor's own status: last evaluation, alerts posted, Slack problems")
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const config = await loadConfig(o.config);
      const client = await connectClient(config);
      const status: MonitorStatus = await client.workflow
        .getHandle(monitorWorkflowId(config.temporal.taskQueue))
        .query(monitorStatusQuery);
      if (o.json) io.out(JSON.stringify(status, null, 2));
      else {
        io.out(
          `monitor: ${status.state}, ${status.runs} evaluation(s), last ${status.lastRunAt ?? 'never'}, ${status.posted} alert(s) posted`,
        );
        if (status.lastError)
          io.out(`  last error (${status.lastError.at}): ${status.lastError.type}: ${status.lastError.message}`);
      }
      if (status.state !== 'ok') setExitCode(exitCodes.failure);
    });
}
