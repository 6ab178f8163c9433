import type { Command } from 'commander';
import { loadHub, loadSigningKey } from '../../worker/hub';
import { SigningKeyError } from '../../core/errors';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { signerStatus } from '../../evidence/trust/signer-check';
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
      // A signer that cannot be opened (a missing key file, a wrong PKCS#11 PIN) is the same not-ready as a wrong key.
      const key = await loadSigningKey(hub.config, log).catch((err: unknown) => {
        throw err instanceof SigningKeyError ? new SigningKeyError(`worker not ready: ${err.message}`) : err;
      });
      // Not ready unless this key is the store's current (and, when pinned, trusted) key: a worker that
      // cannot seal must say so now, not by failing every sweep later.
      const signer = await signerStatus(hub.store, key, hub.config.signing.trustedKeys ?? []);
      if (!signer.ready) throw new SigningKeyError(`worker not ready: ${signer.reason}`);
      log.info(
        { keyId: key.keyId, fingerprint: formatFingerprint(fingerprintOf(key.publicKeyPem)) },
        'signing key is the store current key',
      );
      ops.readiness.set('signing-key', signingKeyCheck(hub.config, key));
      installTemporalLogging(log, ops.sdk.telemetryOptions);
      const client = await connectClient(hub.config);
      if (o.syncSchedules !== false) {
        const report = await syncSchedules(client, hub.config);
        log.info({ schedules: report }, 'schedules synced');
      }
      const monitor = await ensureMonitor(client, hub);
      if (monitor) log.info({ workflowId: monitor }, 'staleness monitor running');
      const connection = await connectWorker(hub.config);
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
