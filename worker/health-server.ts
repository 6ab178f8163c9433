import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness';
import { fetchSdkMetrics } from './sdk-metrics';

export interface HealthServerOptions {
  /** host:port; port 0 picks a free one (tests). */
  address: string;
  registry: Registry;
  readiness: Readiness;
  /** The SDK's own metrics endpoint (worker/sdk-metrics.ts), appended to /metrics when given. */
  sdkMetricsUrl?: string | undefined;
  log: Logger;
}

export interface HealthServer {
  /** Where it listens, as host:port with the port actually bound. */
  address: string;
  close(): Promise<void>;
}

/**
 * The worker's operations endpoint: `/metrics` (Prometheus text format: ours, then the SDK's), `/healthz`
 * (the process is up and its event loop answers) and `/readyz` (200 when every readiness check passes,
 * otherwise 503 and a body naming each failing check). Nothing here is secret: reasons are error messages
 * written to name a problem, never key material.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { host, port } = splitAddress(options.address);
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
      options.log.error({ err: { type: (err as Error).name, message: (err as Error).message } }, 'health server');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is in use (another worker on this host?); set --metrics-address or worker.metricsAddress'
          : err.message;
      reject(Object.assign(new Error(`cannot serve metrics on ${options.address}: ${why}`), { code: err.code }));
    });
    server.listen(port, host, () => resolve());
  });
  // Never what keeps the process alive: the worker does; when it stops (or fails to start) the process ends.
  server.unref();
  const bound = (server.address() as AddressInfo).port;
  return { address: `${host.includes(':') ? `[${host}]` : host}:${bound}`, close: () => closeServer(server) };
}

async function handle(req: IncomingMessage, res: ServerResponse, o: HealthServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return;
  }
  switch (url.pathname) {
    case '/metrics': {
      const ours = await o.registry.metrics();
      const sdk = o.sdkMetricsUrl ? await fetchSdkMetrics(o.sdkMetricsUrl) : '';
      res.writeHead(200, { 'content-type': o.registry.contentType });
      res.end(joinExpositions(ours, sdk));
      return;
    }
    case '/healthz':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok\n');
      return;
    case '/readyz': {
      const report = await o.readiness.report();
      const lines = report.checks.map((c) => (c.ok ? `${c.name}: ok` : `${c.name}: FAILED: ${c.reason}`));
      res.writeHead(report.ready ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${report.ready ? 'ready' : 'not ready'}\n${lines.join('\n')}\n`);
      return;
    }
    default:
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found: try /metrics, /healthz or /readyz\n');
  }
}

/** Two text expositions as one: each ends in a newline, and no blank line may separate metric families. */
function joinExpositions(a: string, b: string): string {
  const trim = (s: string) => s.replace(/\n+$/, '');
  return [trim(a), trim(b)].filter((s) => s.length > 0).join('\n') + '\n';
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
  if (!m) throw new Error(`metrics address "${address}" is not host:port (e.g. 127.0.0.1:9464)`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
