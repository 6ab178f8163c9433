import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake HTTP API over a real socket (127.0.0.1, port 0): connectors are tested through their real
 * client stack (fetch, retries, throttling), never with an in-process stub. Gives request logging,
 * ETag / If-None-Match handling, Link-header pagination and scripted faults (status codes, headers,
 * malformed and truncated bodies).
 */
export interface FakeRequest {
  method: string;
  /** Path below the prefix, decoded per segment as sent (`/repos/acme/x/pulls`). */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Absolute URL of this request (for Link headers). */
  url: URL;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and buffers as they are. */
  body?: unknown;
  /** Send the headers (with the full Content-Length) and half the body, then cut the connection. */
  truncate?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  ifNoneMatch?: string;
  at: number;
}

export type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;
/** Adds headers to every answer (rate-limit headers); told whether the answer is a 304. */
export type HeaderHook = (req: FakeRequest, res: FakeResponse) => Record<string, string>;

interface Fault {
  match: (req: FakeRequest) => boolean;
  response: FakeResponse;
  remaining: number;
}

export class HttpFake {
  readonly requests: RecordedRequest[] = [];
  /** Milliseconds every answer is held back (simulated network latency, for benchmarks); 0 by default. */
  latencyMs = 0;
  private faults: Fault[] = [];
  private headerHook: HeaderHook = () => ({});

  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
    readonly prefix: string,
  ) {}

  /** Base URL clients are given, e.g. `http://127.0.0.1:41234/api/v3`. */
  get baseUrl(): string {
    return `${this.origin}${this.prefix}`;
  }

  static async start(handler: Handler, opts: { prefix?: string; latencyMs?: number } = {}): Promise<HttpFake> {
    const prefix = (opts.prefix ?? '').replace(/\/$/, '');
    const self: { fake?: HttpFake } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // Fire-and-forget on purpose: an 'end' listener cannot be async; handle() turns handler errors into 500s.
        void self.fake!.handle(handler, req, Buffer.concat(chunks).toString('utf8'), res);
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self.fake = new HttpFake(server, `http://127.0.0.1:${port}`, prefix);
    self.fake.latencyMs = opts.latencyMs ?? 0;
    return self.fake;
  }

  onHeaders(hook: HeaderHook): void {
    this.headerHook = hook;
  }

  /** The next `times` requests matching answer with `response` instead of the handler's. */
  fail(match: string | RegExp | ((req: FakeRequest) => boolean), response: FakeResponse, times = 1): void {
    const test =
      typeof match === 'function'
        ? match
        : typeof match === 'string'
          ? (r: FakeRequest) => r.path === match
          : (r: FakeRequest) => match.test(`${r.path}${r.query.size ? `?${r.query}` : ''}`);
    this.faults.push({ match: test, response, remaining: times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Requests whose path (with query) matches. */
  requestsTo(match: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => match.test(`${r.path}${r.query ? `?${r.query}` : ''}`));
  }

  resetLog(): void {
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    handler: Handler,
    req: http.IncomingMessage,
    body: string,
    res: http.ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const path = url.pathname.startsWith(this.prefix) ? url.pathname.slice(this.prefix.length) || '/' : url.pathname;
    const freq: FakeRequest = {
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      url,
    };
    let answer: FakeResponse;
    const fault = this.faults.find((f) => f.remaining > 0 && f.match(freq));
    if (fault) {
      fault.remaining--;
      answer = fault.response;
    } else if (!url.pathname.startsWith(this.prefix)) {
      answer = { status: 404, body: { message: 'Not Found' } };
    } else {
      try {
        answer = await handler(freq);
      } catch (err) {
        answer = { status: 500, body: { message: `fake failed: ${(err as Error).message}` } };
      }
    }
    const ifNoneMatch = req.headers['if-none-match'];
    this.requests.push({
      method: freq.method,
      path,
      query: url.searchParams.toString(),
      status: answer.status,
      ...(typeof ifNoneMatch === 'string' ? { ifNoneMatch } : {}),
      at: Date.now(),
    });
    const headers: Record<string, string> = { ...this.headerHook(freq, answer), ...(answer.headers ?? {}) };
    let payload: Buffer | undefined;
    if (answer.body !== undefined && answer.status !== 304) {
      if (Buffer.isBuffer(answer.body)) payload = answer.body;
      else if (typeof answer.body === 'string') payload = Buffer.from(answer.body);
      else {
        payload = Buffer.from(JSON.stringify(answer.body));
        headers['content-type'] ??= 'application/json; charset=utf-8';
      }
    }
    if (payload) headers['content-length'] = String(payload.length);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    res.writeHead(answer.status, headers);
    if (!payload) {
      res.end();
      return;
    }
    if (answer.truncate) {
      res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(payload);
  }
}

/** A weak ETag over the JSON of a body, as GitHub sends for list and object answers. */
export function etagOf(json: string): string {
  return `W/"${createHash('sha1').update(json).digest('hex')}"`;
}

/** 200 with an ETag, or 304 when the client already holds that ETag. The body is serialized once. */
export function withEtag(req: FakeRequest, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  const json = JSON.stringify(body);
  const etag = etagOf(json);
  const sent = req.headers['if-none-match'];
  if (typeof sent === 'string' && sent.split(/\s*,\s*/).includes(etag))
    return { status: 304, headers: { ...headers, etag } };
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...headers, etag }, body: json };
}

/** `page`/`per_page` pagination with a Link header (first, prev, next, last), as GitHub paginates. */
export function paginate<T>(req: FakeRequest, items: readonly T[], defaultPerPage = 30): { page: T[]; link?: string } {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? defaultPerPage) || defaultPerPage));
  const pageNo = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const page = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  const at = (n: number) => {
    const u = new URL(req.url);
    u.searchParams.set('page', String(n));
    return u.toString();
  };
  const rels: string[] = [];
  if (pageNo < last) rels.push(`<${at(pageNo + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
  if (pageNo > 1) rels.push(`<${at(1)}>; rel="first"`, `<${at(pageNo - 1)}>; rel="prev"`);
  return rels.length ? { page, link: rels.join(', ') } : { page };
}

/** Cursor pagination (`after`), as GitHub's Dependabot and security endpoints paginate. */
export function paginateByCursor<T>(
  req: FakeRequest,
  items: readonly T[],
  defaultPerPage = 30,
): { page: T[]; link?: string } {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? defaultPerPage) || defaultPerPage));
  const after = req.query.get('after');
  const start = after ? Number(Buffer.from(after, 'base64url').toString('utf8').replace(/^i:/, '')) : 0;
  const page = items.slice(start, start + perPage);
  if (start + perPage >= items.length) return { page };
  const u = new URL(req.url);
  u.searchParams.delete('page');
  u.searchParams.set('after', Buffer.from(`i:${start + perPage}`).toString('base64url'));
  return { page, link: `<${u.toString()}>; rel="next"` };
}
