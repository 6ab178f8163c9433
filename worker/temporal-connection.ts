import { X509Certificate, createPrivateKey } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { NativeConnection } from '@temporalio/worker';
import type { LoadedConfig } from '../config/config';
import type { TemporalConnectionSettings } from '../config/temporal-settings';
import { TemporalRefusedError, TemporalUnreachableError } from './temporal-errors';
import { probeTemporal, type ProbeTarget } from './temporal-probe';

/**
 * The one way to Temporal for everything in the hub (worker, sweep, schedules, monitor): settings from
 * config/temporal-settings.ts, key material read at connect time, checked locally (expiry, key matches
 * certificate), then probed (temporal-probe.ts) so a refusal is named before the SDK connects.
 */
export interface ClientCertificateInfo {
  subject: string;
  notAfter: Date;
  /** Files the worker watches for a rotation. */
  files: string[];
}

export interface PreparedConnection {
  address: string;
  namespace: string;
  tls: TLSConfig | undefined;
  apiKey: string | undefined;
  metadata: Record<string, string> | undefined;
  clientCertificate: ClientCertificateInfo | undefined;
  probe: ProbeTarget;
}

/** Reads and checks the key material; never returns it in a message. */
export async function prepareConnection(
  s: TemporalConnectionSettings,
  now: Date = new Date(),
): Promise<PreparedConnection> {
  if (s.problem) throw new TemporalRefusedError(s.problem);
  const apiKey = s.apiKey ? (await s.apiKey.read()).trim() : undefined;
  let tlsConfig: TLSConfig | undefined;
  let clientCertificate: ClientCertificateInfo | undefined;
  let probeTls: ProbeTarget['tls'];
  if (s.tls) {
    const t = s.tls;
    const ca = t.serverCaCert ? await t.serverCaCert.read() : undefined;
    if ((t.clientCert === undefined) !== (t.clientKey === undefined))
      throw new TemporalRefusedError(
        `a client certificate needs its key and a key its certificate: only ${(t.clientCert ?? t.clientKey)!.describe} is configured`,
      );
    let pair: { crt: Buffer; key: Buffer } | undefined;
    if (t.clientCert && t.clientKey) {
      pair = { crt: await t.clientCert.read(), key: await t.clientKey.read() };
      const info = checkClientPair(pair.crt, pair.key, t.clientCert.describe, t.clientKey.describe, now);
      clientCertificate = {
        ...info,
        files: [t.clientCert.file, t.clientKey.file].filter((f): f is string => f !== undefined),
      };
    }
    tlsConfig = {
      ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(pair ? { clientCertPair: pair } : {}),
    };
    probeTls = {
      ...(t.serverName ? { serverName: t.serverName } : {}),
      ...(ca ? { ca, caDescribe: t.serverCaCert!.describe } : {}),
      ...(pair ? { cert: pair.crt, key: pair.key, clientSubject: clientCertificate!.subject } : {}),
    };
  }
  return {
    address: s.address,
    namespace: s.namespace,
    tls: tlsConfig,
    apiKey,
    metadata: s.grpcMeta,
    clientCertificate,
    probe: {
      address: s.address,
      namespace: s.namespace,
      ...(probeTls ? { tls: probeTls } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(s.grpcMeta ? { metadata: s.grpcMeta } : {}),
    },
  };
}

/** Expired, not yet valid, or a key of another certificate: said here, before the server refuses it. */
function checkClientPair(
  crt: Buffer,
  key: Buffer,
  certFrom: string,
  keyFrom: string,
  now: Date,
): { subject: string; notAfter: Date } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(crt);
  } catch {
    throw new TemporalRefusedError(`client certificate from ${certFrom} is not a PEM certificate`);
  }
  const subject = cert.subject.replace(/\n/g, ', ');
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() < now.getTime())
    throw new TemporalRefusedError(
      `certificate expired on ${notAfter.toISOString()}: the client certificate ${subject} (${certFrom}) must be renewed`,
    );
  const notBefore = new Date(cert.validFrom);
  if (notBefore.getTime() > now.getTime())
    throw new TemporalRefusedError(
      `client certificate ${subject} (${certFrom}) is not valid before ${notBefore.toISOString()}`,
    );
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new TemporalRefusedError(`client key from ${keyFrom} is not a PEM private key`);
  }
  if (!matches)
    throw new TemporalRefusedError(
      `client key from ${keyFrom} does not belong to the certificate ${subject} (${certFrom})`,
    );
  return { subject, notAfter };
}

/** A client of the configured Temporal server; every failure names its cause. */
export async function connectTemporalClient(config: LoadedConfig): Promise<Client> {
  const p = await prepareConnection(config.temporalConnection);
  await probeTemporal(p.probe);
  try {
    const connection = await Connection.connect({
      address: p.address,
      connectTimeout: '5s',
      ...(p.tls ? { tls: p.tls } : {}),
      ...(p.apiKey !== undefined ? { apiKey: p.apiKey } : {}),
      ...(p.metadata ? { metadata: p.metadata } : {}),
    });
    return new Client({ connection, namespace: p.namespace });
  } catch (err) {
    throw sdkFailure(p.address, err);
  }
}

/** The worker's native connection; `prepared` lets a rotation reuse what it already read and checked. */
export async function connectTemporalWorker(
  config: LoadedConfig,
  prepared?: PreparedConnection,
): Promise<NativeConnection> {
  const p = prepared ?? (await prepareConnection(config.temporalConnection));
  await probeTemporal(p.probe);
  try {
    return await NativeConnection.connect({
      address: p.address,
      ...(p.tls ? { tls: p.tls } : {}),
      ...(p.apiKey !== undefined ? { apiKey: p.apiKey } : {}),
      ...(p.metadata ? { metadata: p.metadata } : {}),
    });
  } catch (err) {
    throw sdkFailure(p.address, err);
  }
}

function sdkFailure(address: string, err: unknown): Error {
  return new TemporalUnreachableError(
    `cannot reach Temporal at ${address} (${(err as Error).message}); is the server running? (set TEMPORAL_ADDRESS or temporal.address)`,
  );
}
