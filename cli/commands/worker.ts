import type { Command } from 'commander';
import { loadHub } from '../../worker/hub';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { isUnreachable, preflight, untilAvailable } from '../../worker/preflight';
import { syncSchedules } from '../../worker/schedules';
import { connectWorker, createHubWorker, ensureMonitor, installTemporalLogging } from '../../worker/worker';
import { configOption, storeOption, storeOverrides, type CommandContext } from '../command-kit';
import { connectClient } from '../connect';

/** `evidence-hub worker`: syncs the schedules, starts the staleness monitor, then runs a worker until a signal. */
export function registerWorker(program: Command, { log }: CommandContext): void {
  program
    .command('worker')
    .description('run a worker that executes sweeps (connects to temporal.address or TEMPORAL_ADDRESS)')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--no-sync-schedules', "don't make the Temporal schedules match the config on start")
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      // The store, the signing key and Slack, all named at once when wrong (worker/preflight.ts).
      const { key, passed } = await preflight(hub, log);
      log.info(
        { keyId: key.keyId, fingerprint: formatFingerprint(fingerprintOf(key.publicKeyPem)), checks: passed },
        'signing key is the store current key',
      );
      installTemporalLogging(log);
      // Temporal down at start: wait for it with backoff instead of exiting.
      const temporal = `Temporal at ${hub.config.temporal.address}`;
      const client = await untilAvailable(temporal, () => connectClient(hub.config), log, isUnreachable);
      if (o.syncSchedules !== false) {
        const report = await syncSchedules(client, hub.config);
        log.info({ schedules: report }, 'schedules synced');
      }
      const monitor = await ensureMonitor(client, hub);
      if (monitor) log.info({ workflowId: monitor }, 'staleness monitor running');
      const connection = await untilAvailable(
        temporal,
        () => connectWorker(hub.config.temporal.address),
        log,
        isUnreachable,
      );
      const worker = await createHubWorker(hub, key, log, { connection });
      const stop = () => worker.shutdown();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      log.info(
        { address: hub.config.temporal.address, taskQueue: hub.config.temporal.taskQueue, store: hub.store.location },
        'worker started',
      );
      await worker.run();
      await connection.close();
    });
}
