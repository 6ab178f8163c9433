import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A forwarding HTTP proxy on a real socket in front of an emulator (Azurite, fake-gcs-server): counts the
 * requests a client really sends, and answers scripted faults (429/503 with Retry-After, 403 with the
 * service's error body) for what the emulator cannot be made to do itself. Everything else is streamed
 * through unchanged.
 */
export interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface ScriptedFault {
  /** Requests this fault answers, in order; each one answered is consumed. */
  times: number;
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Only requests whose method + path match (default every request). */
  match?: (method: string, path: string) => boolean;
}

export interface FaultProxy {
  url: string;
  requests: ProxiedRequest[];
  fault(f: ScriptedFault): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const requests: ProxiedRequest[] = [];
  const faults: ScriptedFault[] = [];
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const fault = faults.find((f) => f.times > 0 && (f.match?.(method, path) ?? true));
    if (fault) {
      fault.times--;
      requests.push({ method, path, status: fault.status, at: Date.now() });
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    const upstream = http.request(
      { host: to.hostname, port: to.port, method, path, headers: { ...req.headers, host: to.host } },
      (up) => {
        requests.push({ method, path, status: up.statusCode ?? 0, at: Date.now() });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => res.destroy(e));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fault: (f) => faults.push(f),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
