import type { Command } from 'commander';
import { loadHub } from '../../worker/hub';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { isUnreachable, preflight, untilAvailable } from '../../worker/preflight';
import { syncSchedules } from '../../worker/schedules';
import { reloadClientCertificateOnChange } from '../../worker/temporal-cert-rotation';
import { connectWorker, createHubWorker, ensureMonitor, installTemporalLogging } from '../../worker/worker';
import { configOption, storeOption, storeOverrides, type CommandContext } from '../command-kit';
import { connectClient } from '../connect';
import { startOperations } from '../../worker/operations';
import { signingKeyCheck, temporalCheck } from '../../worker/readiness';
import { stopOnSignals } from '../../worker/shutdown';
import { listenAddressSchema, shutdownGraceSchema } from '../../config/worker-settings';
import { parsedOption } from './worker-options';

/** `evidence-hub worker`: syncs the schedules, starts the staleness monitor, then runs a worker until a signal. */
export function registerWorker(program: Command, { log }: CommandContext): void {
  program
    .command('worker')
    .description('run a worker that executes sweeps (connects to temporal.address or TEMPORAL_ADDRESS)')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--no-sync-schedules', "don't make the Temporal schedules match the config on start")
    .option('--metrics-address <host:port>', 'serve /metrics, /healthz, /readyz here (default 127.0.0.1:9464)')
    .option('--shutdown-grace <duration>', 'after SIGTERM, time for running activities to finish (default 30s)')
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      const grace =
        parsedOption(shutdownGraceSchema, '--shutdown-grace', o.shutdownGrace) ?? hub.config.worker.shutdownGrace;
      const ops = await startOperations(
        hub,
        log,
        parsedOption(listenAddressSchema, '--metrics-address', o.metricsAddress) ?? hub.config.worker.metricsAddress,
      );
      // The store, the signing key (file or PKCS#11 token) and Slack, all named at once when wrong
      // (worker/preflight.ts); the key must be the store's current, trusted key.
      const { key, passed } = await preflight(hub, log);
      log.info(
        { keyId: key.keyId, fingerprint: formatFingerprint(fingerprintOf(key.publicKeyPem)), checks: passed },
        'signing key is the store current key',
      );
      ops.readiness.set('signing-key', signingKeyCheck(hub.config, key));
      installTemporalLogging(log, ops.sdk.telemetryOptions);
      // Temporal down at start: wait for it with backoff instead of exiting (a TLS or credentials refusal
      // fails at once).
      const temporal = `Temporal at ${hub.config.temporal.address}`;
      const client = await untilAvailable(temporal, () => connectClient(hub.config), log, isUnreachable);
      if (o.syncSchedules !== false) {
        const report = await syncSchedules(client, hub.config);
        log.info({ schedules: report }, 'schedules synced');
      }
      const monitor = await ensureMonitor(client, hub);
      if (monitor) log.info({ workflowId: monitor }, 'staleness monitor running');
      const connection = await untilAvailable(temporal, () => connectWorker(hub.config), log, isUnreachable);
      ops.readiness.set('temporal', temporalCheck(connection));
      const worker = await createHubWorker(hub, key, log, { connection, metrics: ops.metrics, shutdownGrace: grace });
      const certificates = reloadClientCertificateOnChange(hub.config, worker, log);
      stopOnSignals(() => worker.shutdown(), log, grace);
      log.info(
        { address: hub.config.temporal.address, taskQueue: hub.config.temporal.taskQueue, store: hub.store.location },
        'worker started',
      );
      log.info({ url: `http://${ops.server.address}/metrics` }, 'serving /metrics, /healthz and /readyz');
      await worker.run();
      certificates.stop();
      // The worker's connection, which a certificate rotation may have replaced.
      await (worker.connection ?? connection).close();
      await ops.close();
      log.info('worker stopped');
    });
}
