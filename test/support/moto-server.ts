import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './processes';
import { freePort } from './ports';

const root = path.join(__dirname, '..', '..');

/** Finds or installs (once, into the cache outside the repo) moto, and returns the `moto_server` executable. */
export function ensureMoto(): string {
  const out = execFileSync('bash', [path.join(root, 'scripts', 'ensure-moto.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  });
  return out.trim().split('\n').at(-1)!;
}

export interface MotoServer {
  /** e.g. http://127.0.0.1:43121 */
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `moto_server` (every AWS service moto emulates, in memory) on a free loopback port. */
export async function startMoto(motoServer: string): Promise<MotoServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  const child: ChildProcess = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...env, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const gone = await Promise.race([
      exit.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 3_000)),
    ]);
    if (!gone) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  try {
    await waitFor(
      'moto_server /moto-api/',
      async () => {
        if (exited) throw new Error(`moto_server exited before it answered:\n${out}`);
        try {
          const res = await fetch(`${url}/moto-api/data.json`, { signal: AbortSignal.timeout(2_000) });
          return res.ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, output: () => out, stop };
}

/** One request as the proxy saw it: the JSON protocol's action (`ListModelPackages`) and the answer's status. */
export interface ProxiedRequest {
  action: string;
  status: number;
  at: number;
}

/** Rewrites or replaces moto's answer to one action; `undefined` forwards moto's answer unchanged. */
export type AwsFault = (
  action: string,
  body: Record<string, unknown>,
) => { status: number; headers?: Record<string, string>; body: unknown } | undefined;

/**
 * A recording proxy in front of moto on a real socket: counts requests per SageMaker action, injects
 * throttling and permission errors shaped as AWS's JSON protocol sends them, and can patch moto's JSON answer
 * of one action (`patch`) where moto lacks a field of the AWS service model.
 */
export class AwsProxy {
  readonly requests: ProxiedRequest[] = [];
  fault: AwsFault | undefined;
  patch: ((action: string, request: Record<string, unknown>, answer: Record<string, unknown>) => void) | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(upstream: string): Promise<AwsProxy> {
    const holder: { proxy?: AwsProxy } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void holder.proxy!.handle(upstream, req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    holder.proxy = new AwsProxy(server, `http://127.0.0.1:${port}`);
    return holder.proxy;
  }

  count(action?: string): number {
    return action ? this.requests.filter((r) => r.action === action).length : this.requests.length;
  }

  reset(): void {
    this.requests.length = 0;
    this.fault = undefined;
    this.patch = undefined;
  }

  private async handle(upstream: string, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.includes('.') ? target.slice(target.indexOf('.') + 1) : target;
    let request: Record<string, unknown> = {};
    try {
      request = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      // not JSON: forwarded as it is
    }
    const injected = this.fault?.(action, request);
    if (injected) {
      this.requests.push({ action, status: injected.status, at: Date.now() });
      res.writeHead(injected.status, { 'content-type': 'application/x-amz-json-1.1', ...(injected.headers ?? {}) });
      res.end(JSON.stringify(injected.body));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers[k] = v;
    const up = await fetch(`${upstream}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body });
    let text = await up.text();
    if (this.patch && up.ok) {
      const answer = JSON.parse(text) as Record<string, unknown>;
      this.patch(action, request, answer);
      text = JSON.stringify(answer);
    }
    this.requests.push({ action, status: up.status, at: Date.now() });
    const out: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
    });
    res.writeHead(up.status, out);
    res.end(text);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
