/**
 * Why a connection to Temporal failed, in words an operator can act on. The SDK's own errors are no help
 * here: its client reports every TLS failure as "Failed to connect before the deadline", so the probe in
 * temporal-probe.ts finds the cause first and throws one of these. No message ever holds key material.
 */

/** The server was reached and refused us (TLS, client certificate, API key, namespace): retrying cannot help. */
export class TemporalRefusedError extends Error {
  override readonly name = 'TemporalRefusedError';
}

/** Nothing answered (refused, reset, timed out): the server may come up; retrying can help. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

const unknownCaCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

export interface TlsContext {
  address: string;
  serverName: string;
  /** Where the server CA came from ("file …"), or undefined for the system's roots. */
  serverCa: string | undefined;
  /** Subject of our client certificate, when one is configured. */
  clientSubject: string | undefined;
}

const caHint = 'set TEMPORAL_TLS_SERVER_CA_CERT_PATH or temporal.tls.serverCaCert to the CA that issued it';
const clientHint =
  'set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, or temporal.tls.clientCert and clientKey';

/** The server's certificate did not verify (checked by us before anything is sent to the server). */
export function serverCertificateProblem(
  code: string,
  cert: { subject?: string; issuer?: string; validTo?: string; altNames?: string },
  cx: TlsContext,
): TemporalRefusedError {
  const where = `Temporal at ${cx.address}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new TemporalRefusedError(
      `server name mismatch: ${where} presented a certificate for ${cert.altNames ?? cert.subject ?? 'another name'}, not ${cx.serverName}; set TEMPORAL_TLS_SERVER_NAME or temporal.tls.serverName to a name in it`,
    );
  if (code === 'CERT_HAS_EXPIRED')
    return new TemporalRefusedError(`server certificate expired on ${isoDate(cert.validTo)}: ${where} must renew it`);
  if (unknownCaCodes.has(code))
    return new TemporalRefusedError(
      `unknown CA: the certificate of ${where} (${cert.subject ?? '?'}, issued by ${cert.issuer ?? '?'}) is not signed by ${cx.serverCa ?? "a CA in the system's roots"}; ${caHint}`,
    );
  return new TemporalRefusedError(`TLS with ${where} failed: server certificate not accepted (${code})`);
}

/** What a failed TLS handshake or an HTTP-level refusal (a TLS-terminating proxy) says about our side. */
export function refusalFromServer(signal: string, cx: TlsContext): TemporalRefusedError | undefined {
  const where = `Temporal at ${cx.address}`;
  // A Go server (Temporal itself) ends the handshake with an alert; nginx answers HTTP 400 with a page.
  if (/CERTIFICATE_REQUIRED|certificate required|No required SSL certificate was sent/i.test(signal))
    return new TemporalRefusedError(
      cx.clientSubject
        ? `client certificate not accepted by ${where} (${cx.clientSubject})`
        : `client certificate required: ${where} asks for one and none is configured; ${clientHint}`,
    );
  if (/CERTIFICATE_EXPIRED|certificate expired/i.test(signal))
    return new TemporalRefusedError(`client certificate expired: ${where} refused ${cx.clientSubject ?? 'it'}`);
  if (/UNKNOWN_CA|BAD_CERTIFICATE|The SSL certificate error|bad certificate|unknown ca/i.test(signal))
    return new TemporalRefusedError(
      cx.clientSubject
        ? `unknown CA: ${where} does not trust the client certificate ${cx.clientSubject} (not issued by a CA it accepts, or revoked)`
        : `client certificate required: ${where} asks for one and none is configured; ${clientHint}`,
    );
  return undefined;
}

/** A gRPC status from the probe call; `apiKey` says whether we sent one. */
export function grpcRefusal(
  status: number,
  message: string,
  cx: { address: string; namespace: string; apiKey: boolean },
): TemporalRefusedError | undefined {
  if (status === 5)
    return new TemporalRefusedError(`namespace not found: ${cx.namespace} on Temporal at ${cx.address}`);
  if (status === 16)
    return new TemporalRefusedError(
      cx.apiKey
        ? `API key rejected by Temporal at ${cx.address} (${message}); check that the key is current`
        : `Temporal at ${cx.address} requires authentication (${message}); set TEMPORAL_API_KEY or temporal.apiKey, or a client certificate`,
    );
  if (status === 7)
    return new TemporalRefusedError(
      `${cx.apiKey ? 'API key rejected' : 'permission denied'}: no access to namespace ${cx.namespace} on Temporal at ${cx.address} (${message})`,
    );
  return undefined;
}

/** A certificate date (OpenSSL's "Jan  2 00:00:00 2020 GMT") as an ISO timestamp. */
export function isoDate(text: string | undefined): string {
  const t = text ? Date.parse(text) : NaN;
  return Number.isNaN(t) ? (text ?? '?') : new Date(t).toISOString();
}
