import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './processes';
import { freePort } from './ports';

/**
 * A TLS-terminating gRPC proxy in front of the Temporal dev server, which has no TLS options of its own.
 *
 * The proxy is Debian's nginx (installed by .ci/run), not one written here: nginx speaks HTTP/2 to the
 * client, requires and verifies a client certificate against a CA (`ssl_verify_client on`), and forwards
 * gRPC in plaintext to the dev server on loopback. Its access log records, per request, the verification
 * result, the client certificate's subject and the `authorization` metadata, which is how tests observe
 * what reached the server side.
 */
export interface NginxTlsProxy {
  /** `127.0.0.1:<port>` */
  address: string;
  port: number;
  accessLog(): Promise<AccessLine[]>;
  stop(): Promise<void>;
}

export interface AccessLine {
  verify: string;
  subject: string;
  authorization: string;
  uri: string;
  status: number;
}

export interface NginxTlsProxyOptions {
  /** Folder for nginx's config, logs and temp files. */
  dir: string;
  /** The dev server's plaintext address, e.g. 127.0.0.1:7233. */
  upstream: string;
  serverCert: string;
  serverKey: string;
  /** CA(s) that client certificates must chain to; without it no client certificate is asked for. */
  clientCa?: string;
  /**
   * Stand-in for Temporal Cloud's API key check: requests without `authorization: Bearer <this>` get the
   * gRPC status UNAUTHENTICATED (16) from nginx instead of reaching the dev server, which checks no keys.
   */
  requireApiKey?: string;
  /** Reuse a port (restarting the proxy with another CA); a free one when absent. */
  port?: number;
}

export function nginxPath(): string {
  return process.env['NGINX_PATH'] ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
}

export async function startNginxTlsProxy(options: NginxTlsProxyOptions): Promise<NginxTlsProxy> {
  const port = options.port ?? (await freePort());
  const dir = options.dir;
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  const log = path.join(dir, 'access.log');
  // Fields separated by a character that cannot occur in them.
  const conf = `
${process.getuid?.() === 0 ? 'user root root;' : ''}
worker_processes 1;
daemon off;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} info;
events { worker_connections 256; }
http {
  map $http_authorization $api_key_ok { default 0; "Bearer ${options.requireApiKey ?? ''}" 1; }
  log_format tls '$ssl_client_verify|$ssl_client_s_dn|$http_authorization|$request_uri|$status';
  access_log ${log} tls;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${options.serverCert};
    ssl_certificate_key ${options.serverKey};
    ${options.clientCa ? `ssl_client_certificate ${options.clientCa};\n    ssl_verify_client on;` : ''}
    client_max_body_size 0;
    # Workers long-poll for about a minute; the proxy must not cut those calls.
    grpc_read_timeout 300s;
    grpc_send_timeout 300s;
    location / {
      ${
        options.requireApiKey
          ? `if ($api_key_ok = 0) {
        add_header grpc-status 16 always;
        add_header grpc-message "API key invalid" always;
        return 200;
      }`
          : ''
      }
      grpc_pass grpc://${options.upstream};
    }
  }
}
`;
  const confFile = path.join(dir, 'nginx.conf');
  await writeFile(confFile, conf);
  await writeFile(log, '', { flag: 'a' });
  const child: ChildProcess = spawn(nginxPath(), ['-p', dir, '-c', confFile, '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  await waitFor(
    'nginx to listen',
    async () => {
      if (exited) throw new Error(`nginx exited: ${stderr}`);
      return (await canConnect(port)) ? true : undefined;
    },
    15_000,
  );
  return {
    address: `127.0.0.1:${port}`,
    port,
    async accessLog() {
      const text = await readFile(log, 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [verify, subject, authorization, uri, status] = line.split('|');
          return {
            verify: verify ?? '',
            subject: subject ?? '',
            authorization: authorization === '-' ? '' : (authorization ?? ''),
            uri: uri ?? '',
            status: Number(status),
          };
        });
    },
    async stop() {
      if (exited) return;
      // SIGTERM is nginx's fast shutdown: open connections are closed, as a restarted server would.
      child.kill('SIGTERM');
      await exit;
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
