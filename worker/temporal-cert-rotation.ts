import { unwatchFile, watchFile } from 'node:fs';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/config';
import { connectTemporalWorker, prepareConnection } from './temporal-connection';

/**
 * Rotated client certificates without a restart: the certificate and key files are polled (stat, so a
 * Kubernetes secret's symlink swap counts as a change); when they change and the new pair is consistent,
 * a new connection is made with it and handed to the running worker (`worker.connection = …`, SDK 1.24),
 * then the old one is closed. A half-written rotation (new certificate, old key) is skipped until the
 * other file follows. Nothing about the key is logged, only the certificate's subject and expiry.
 */
export interface CertificateReloader {
  stop(): void;
}

export function reloadClientCertificateOnChange(
  config: LoadedConfig,
  worker: Worker,
  log: Logger,
): CertificateReloader {
  const tls = config.temporalConnection.tls;
  const files = [tls?.clientCert?.file, tls?.clientKey?.file].filter((f): f is string => f !== undefined);
  if (files.length === 0) return { stop: () => undefined };
  const interval = msToNumber(config.temporal.tlsReloadInterval as `${number}s`);
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  // Files that changed but could not be used yet (other half missing, server not trusting the new CA yet)
  // are tried again every interval, not only at the next change: the server side may be what changes.
  const retryLater = () => {
    if (!stopped)
      retry = setTimeout(() => {
        running = running.then(reload);
      }, interval).unref();
  };
  const reload = async () => {
    clearTimeout(retry);
    let prepared;
    try {
      prepared = await prepareConnection(config.temporalConnection);
    } catch (err) {
      log.warn({ reason: (err as Error).message }, 'client certificate changed on disk but cannot be used yet');
      return retryLater();
    }
    try {
      const next = await connectTemporalWorker(config, prepared);
      if (stopped) return void (await next.close());
      const previous = worker.connection;
      worker.connection = next;
      await previous?.close().catch(() => undefined);
      log.info(
        {
          subject: prepared.clientCertificate?.subject,
          notAfter: prepared.clientCertificate?.notAfter.toISOString(),
        },
        'client certificate reloaded',
      );
    } catch (err) {
      log.error({ reason: (err as Error).message }, 'client certificate changed on disk; reconnecting with it failed');
      retryLater();
    }
  };
  const onChange = (cur: { mtimeMs: number }, prev: { mtimeMs: number }) => {
    if (cur.mtimeMs === prev.mtimeMs) return;
    // One reload at a time: a certificate and its key usually change within the same interval.
    running = running.then(reload);
  };
  for (const f of files) watchFile(f, { interval, persistent: false }, onChange);
  return {
    stop() {
      stopped = true;
      clearTimeout(retry);
      for (const f of files) unwatchFile(f, onChange);
    },
  };
}
