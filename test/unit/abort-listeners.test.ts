import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { abortableSleep } from '../../core/abortable-sleep';
import { sameOriginFetch } from '../../connectors/http-limits';
import { HubHttp } from '../../connectors/huggingface/http';

/**
 * A collection hands one long-lived signal to every request and retry wait. Nothing may stay registered
 * on it once a request or wait is over, or listeners pile up for the whole collection
 * (MaxListenersExceededWarning). The listeners are counted on the signal itself.
 */
let server: http.Server;
let origin: string;
let calls = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    calls++;
    req.resume();
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
      return; // the rest never comes
    }
    if (req.url?.startsWith('/flaky') && calls % 2 === 1) return res.writeHead(503).end('busy');
    if (req.url === '/moved') return res.writeHead(302, { location: '/api/ok' }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('abort listeners on a long-lived signal', () => {
  it('sameOriginFetch leaves none behind after many requests, read, cancelled or redirected', async () => {
    const collection = new AbortController();
    const f = sameOriginFetch();
    for (let i = 0; i < 200; i++) {
      const res = await f(`${origin}/${i % 3 === 0 ? 'moved' : 'api/ok'}`, { signal: collection.signal });
      expect(res.status).toBe(200);
      expect(res.url).toBe(`${origin}/api/ok`);
      if (i % 2 === 0) expect(await res.json()).toEqual({ ok: true });
      else await res.body?.cancel();
    }
    expect(abortListeners(collection.signal)).toBe(0);
  });

  it('still aborts a body being read when the signal aborts, and then leaves nothing behind', async () => {
    const collection = new AbortController();
    const res = await sameOriginFetch()(`${origin}/stall`, { signal: collection.signal });
    expect(abortListeners(collection.signal)).toBe(1);
    const reading = res.text();
    collection.abort(new Error('collection cancelled'));
    await expect(reading).rejects.toThrow();
    expect(abortListeners(collection.signal)).toBe(0);
  });

  it('the Hub client leaves none behind after many requests with retries', async () => {
    const collection = new AbortController();
    const hub = new HubHttp({
      sourceId: 'hf',
      baseUrl: origin,
      timeoutMs: 10_000,
      maxAttempts: 3,
      maxWaitMs: 10,
      retryBaseMs: 1,
    });
    calls = 0;
    for (let i = 0; i < 50; i++) {
      const got = await hub.getJson(hub.url(['flaky', String(i)]), z.object({ ok: z.boolean() }), collection.signal);
      expect(got).toEqual({ kind: 'ok', value: { ok: true } });
    }
    expect(hub.counters.retries).toBe(50);
    expect(abortListeners(collection.signal)).toBe(0);
  });

  it('abortableSleep removes its listener when the wait ends, and rejects with the reason on abort', async () => {
    const collection = new AbortController();
    for (let i = 0; i < 100; i++) await abortableSleep(0, collection.signal);
    expect(abortListeners(collection.signal)).toBe(0);
    const waiting = abortableSleep(60_000, collection.signal);
    collection.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(abortListeners(collection.signal)).toBe(0);
  });
});
