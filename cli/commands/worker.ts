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
      installTemporalLogging(log);
      const client = await connectClient(hub.config);
      if (o.syncSchedules !== false) {
        const report = await syncSchedules(client, hub.config);
        log.info({ schedules: report }, 'schedules synced');
      }
      const monitor = await ensureMonitor(client, hub);
      if (monitor) log.info({ workflowId: monitor }, 'staleness monitor running');
      const connection = await connectWorker(hub.config);
      const worker = await createHubWorker(hub, key, log, { connection });
      const certificates = reloadClientCertificateOnChange(hub.config, worker, log);
      const stop = () => worker.shutdown();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      log.info(
        { address: hub.config.temporal.address, taskQueue: hub.config.temporal.taskQueue, store: hub.store.location },
        'worker started',
      );
      await worker.run();
      certificates.stop();
      // The worker's connection, which a certificate rotation may have replaced.
      await (worker.connection ?? connection).close();
    });
}
