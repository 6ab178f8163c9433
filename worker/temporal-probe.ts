import http2 from 'node:http2';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import {
  grpcRefusal,
  refusalFromServer,
  serverCertificateProblem,
  TemporalRefusedError,
  TemporalUnreachableError,
  type TlsContext,
} from './temporal-errors';

/**
 * One DescribeNamespace call made by hand over HTTP/2 before the SDK connects. It exists because the SDK
 * cannot say why a secured connection failed (its client times out with "Failed to connect before the
 * deadline" whatever the cause); this call sees the handshake, the server's certificate, a proxy's HTTP
 * refusal and the gRPC status, and names the problem. The server's certificate and name are verified
 * before the request (and the API key in it) is sent.
 */
export interface ProbeTarget {
  address: string;
  namespace: string;
  tls?: { serverName?: string; ca?: Buffer; caDescribe?: string; cert?: Buffer; key?: Buffer; clientSubject?: string };
  apiKey?: string;
  metadata?: Record<string, string>;
  timeoutMs?: number;
}

export async function probeTemporal(target: ProbeTarget): Promise<void> {
  const { host, port } = splitAddress(target.address);
  const t = target.tls;
  const cx: TlsContext = {
    address: target.address,
    serverName: t?.serverName ?? host,
    serverCa: t?.caDescribe,
    clientSubject: t?.clientSubject,
  };
  const session = http2.connect(`${t ? 'https' : 'http'}://${host}:${port}`, {
    ...(t
      ? {
          // Verified by hand below so the message can name the certificate; nothing is sent before that.
          rejectUnauthorized: false,
          servername: cx.serverName,
          ALPNProtocols: ['h2'],
          ...(t.ca ? { ca: t.ca } : {}),
          ...(t.cert && t.key ? { cert: t.cert, key: t.key } : {}),
        }
      : {}),
  });
  try {
    await withTimeout(target, connected(session, cx, t !== undefined));
    await withTimeout(target, describeNamespace(session, target, cx));
  } finally {
    session.destroy();
  }
}

function connected(session: http2.ClientHttp2Session, cx: TlsContext, secure: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    session.once('error', (err: NodeJS.ErrnoException) => reject(transportError(err, cx)));
    session.once('connect', () => {
      if (!secure) return resolve();
      const socket = session.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const certInfo = describePeer(peer);
      const authError = socket.authorizationError as unknown as NodeJS.ErrnoException | string | null;
      if (authError) {
        const code = typeof authError === 'string' ? authError : (authError.code ?? String(authError));
        return reject(serverCertificateProblem(code, certInfo, cx));
      }
      const identity = tls.checkServerIdentity(cx.serverName, peer);
      if (identity) return reject(serverCertificateProblem('ERR_TLS_CERT_ALTNAME_INVALID', certInfo, cx));
      resolve();
    });
  });
}

function describeNamespace(session: http2.ClientHttp2Session, target: ProbeTarget, cx: TlsContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': '/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...target.metadata,
      ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}),
    });
    let status = 0;
    let grpcStatus: number | undefined;
    let grpcMessage = '';
    let body = '';
    const readGrpc = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', (h) => {
      status = Number(h[':status']);
      readGrpc(h);
    });
    req.on('trailers', readGrpc);
    req.on('data', (d: Buffer) => {
      if (status !== 200 && body.length < 4096) body += d.toString('latin1');
    });
    req.on('error', (err: NodeJS.ErrnoException) => reject(transportError(err, cx)));
    req.on('end', () => {
      if (status !== 200) {
        const refusal = refusalFromServer(body, cx);
        return reject(
          refusal ?? new TemporalRefusedError(`Temporal at ${target.address} answered HTTP ${status}, not gRPC`),
        );
      }
      if (grpcStatus === undefined || grpcStatus === 0) return resolve();
      const refusal = grpcRefusal(grpcStatus, grpcMessage, {
        address: target.address,
        namespace: target.namespace,
        apiKey: target.apiKey !== undefined,
      });
      // Other statuses (e.g. UNAVAILABLE from a proxy with no backend) are left to the SDK's own retries.
      if (refusal) return reject(refusal);
      if (grpcStatus === 14)
        return reject(new TemporalUnreachableError(`Temporal at ${target.address} is unavailable: ${grpcMessage}`));
      resolve();
    });
    req.end(describeNamespaceRequest(target.namespace));
  });
}

/** gRPC frame of DescribeNamespaceRequest { namespace = 1 }: protobuf by hand, one string field. */
function describeNamespaceRequest(namespace: string): Buffer {
  const name = Buffer.from(namespace, 'utf8');
  const len: number[] = [];
  for (let n = name.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  const message = Buffer.concat([Buffer.from([0x0a, ...len]), name]);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

function transportError(err: NodeJS.ErrnoException, cx: TlsContext): Error {
  const signal = `${err.code ?? ''} ${err.message}`;
  const refusal = refusalFromServer(signal, cx);
  if (refusal) return refusal;
  if (/^ERR_SSL|^ERR_TLS/.test(err.code ?? ''))
    return new TemporalRefusedError(`TLS with Temporal at ${cx.address} failed: ${err.message}`);
  return new TemporalUnreachableError(`cannot reach Temporal at ${cx.address} (${err.code ?? err.message})`);
}

function describePeer(peer: PeerCertificate): {
  subject?: string;
  issuer?: string;
  validTo?: string;
  altNames?: string;
} {
  const dn = (o: object | undefined) =>
    o && Object.keys(o).length > 0
      ? Object.entries(o)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', ')
      : undefined;
  const subject = dn(peer.subject);
  const issuer = dn(peer.issuer);
  return {
    ...(subject ? { subject } : {}),
    ...(issuer ? { issuer } : {}),
    ...(peer.valid_to ? { validTo: peer.valid_to } : {}),
    ...(peer.subjectaltname ? { altNames: peer.subjectaltname } : {}),
  };
}

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) throw new TemporalRefusedError(`Temporal address "${address}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

function withTimeout<T>(target: ProbeTarget, p: Promise<T>): Promise<T> {
  const ms = target.timeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TemporalUnreachableError(`no answer from Temporal at ${target.address} within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
