import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceConfigError } from '../../core/errors';
import { readUpTo, redirectError, sameOriginFetch, tooLargeError } from '../../connectors/http-limits';

/** Two real servers on different ports (different origins); every request is recorded. */
const seen: { server: string; method: string; path: string; auth?: string }[] = [];
let a: http.Server;
let b: http.Server;
let originA: string;
let originB: string;

function server(
  name: string,
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    seen.push({
      server: name,
      method: req.method ?? '',
      path: req.url ?? '',
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    });
    req.resume();
    handle(req, res);
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

beforeAll(async () => {
  b = await server('b', (_req, res) => res.end('other origin'));
  originB = `http://127.0.0.1:${(b.address() as AddressInfo).port}`;
  a = await server('a', (req, res) => {
    const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
    if (hop) return res.writeHead(301, { location: `/hop/${Number(hop[1]) + 1}` }).end();
    if (req.url === '/moved') return res.writeHead(302, { location: '/api/final' }).end();
    if (req.url === '/away') return res.writeHead(307, { location: `${originB}/steal` }).end();
    if (req.url === '/post') return res.writeHead(303, { location: '/api/final' }).end();
    res.end(`${req.method} ${req.url}`);
  });
  originA = `http://127.0.0.1:${(a.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of [a, b]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe('sameOriginFetch', () => {
  const f = sameOriginFetch();

  it('follows redirects within the origin, keeping the Authorization header', async () => {
    seen.length = 0;
    const res = await f(`${originA}/moved`, { headers: { authorization: 'Bearer t' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('GET /api/final');
    expect(seen).toEqual([
      { server: 'a', method: 'GET', path: '/moved', auth: 'Bearer t' },
      { server: 'a', method: 'GET', path: '/api/final', auth: 'Bearer t' },
    ]);
  });

  it('returns a redirect to another origin unfollowed: nothing reaches the other server', async () => {
    seen.length = 0;
    const res = await f(`${originA}/away`, { headers: { authorization: 'Bearer t' } });
    expect(res.status).toBe(307);
    expect(seen.map((s) => s.server)).toEqual(['a']);
    const err = redirectError(
      'source "x": GET /away',
      res.status,
      res.headers.get('location'),
      new URL(`${originA}/away`),
    );
    expect(err).toBeInstanceOf(SourceConfigError);
    expect(err.message).toBe(
      `source "x": GET /away answered 307, a redirect to ${originB}; requests and credentials go only to ${originA}: set the source's URL to the address the server redirects to`,
    );
  });

  it('stops after 5 hops of a redirect loop and hands back the redirect', async () => {
    seen.length = 0;
    const res = await f(`${originA}/hop/0`);
    expect(res.status).toBe(301);
    expect(seen.map((s) => s.path)).toEqual(['/hop/0', '/hop/1', '/hop/2', '/hop/3', '/hop/4', '/hop/5']);
  });

  it('continues a POST answered 303 as a GET without a body, as fetch does', async () => {
    const res = await f(`${originA}/post`, { method: 'POST', body: '{"a":1}' });
    expect(await res.text()).toBe('GET /api/final');
  });
});

describe('readUpTo', () => {
  const stream = (chunks: number[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const n of chunks) c.enqueue(new Uint8Array(n));
        c.close();
      },
    });

  it('returns a body up to the cap and nothing for one byte more', async () => {
    expect((await readUpTo(stream([600, 424]), 1024))?.length).toBe(1024);
    expect(await readUpTo(stream([600, 425]), 1024)).toBeUndefined();
    expect((await readUpTo(null, 10))?.length).toBe(0);
    const err = tooLargeError('source "x": GET /x', 64 * 1048576);
    expect(err).toBeInstanceOf(SourceConfigError);
    expect(err.message).toBe(
      'source "x": GET /x returned more than 64 MB, far more than one API page; is the source\'s URL its API endpoint?',
    );
  });
});
