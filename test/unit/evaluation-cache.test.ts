import { describe, expect, it } from 'vitest';
import { EvaluationCache } from '../../console/evaluation-cache';

/** A promise the test settles itself: an evaluation runs exactly as long as the test says. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * The cache's clock, head and evaluator are injected: what is computed when, and when it finishes, is
 * decided by the test alone. Each evaluation is held until the test calls `finish` (or `fail`).
 */
function cacheWith(options: { validUntil?: (asOf: Date) => number | undefined } = {}) {
  const state = { head: 'h1', now: new Date('2026-11-23T10:00:00Z'), computed: [] as string[] };
  const held: { run: string; done: ReturnType<typeof deferred<string>> }[] = [];
  const warnings: string[] = [];
  const cache = new EvaluationCache<string>({
    head: () => Promise.resolve(state.head),
    compute: (asOf) => {
      const run = `${state.head}@${asOf.toISOString()}`;
      state.computed.push(run);
      const done = deferred<string>();
      held.push({ run, done });
      return done.promise;
    },
    now: () => state.now,
    ...(options.validUntil ? { validUntil: (_v: string, asOf: Date) => options.validUntil!(asOf) } : {}),
    log: { debug: () => undefined, warn: (_o: unknown, msg: string) => warnings.push(msg) } as never,
  });
  /** Settles the oldest held evaluation with "value of <its run>", then lets the cache's handlers run. */
  const finish = async () => {
    const h = held.shift()!;
    h.done.resolve(`value of ${h.run}`);
    await new Promise((r) => setImmediate(r));
  };
  const fail = async () => {
    held.shift()!.done.reject(new Error('store unreadable'));
    await new Promise((r) => setImmediate(r));
  };
  /** The cold start done: one "now" evaluation finished and cached. */
  const warm = async () => {
    const cold = cache.get();
    await new Promise((r) => setImmediate(r));
    await finish();
    await cold;
  };
  return { cache, state, held, finish, fail, warm, warnings };
}

describe('EvaluationCache', () => {
  it('makes the cold start wait for the one evaluation, and shares it between requests', async () => {
    const { cache, state, held, finish } = cacheWith();
    const first = cache.get();
    const second = cache.get();
    await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1);
    let settled = false;
    void first.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // nothing to serve yet: it waits
    await finish();
    const [a, b] = await Promise.all([first, second]);
    expect(a.value).toBe('value of h1@2026-11-23T10:00:00.000Z');
    expect(a.revalidating).toBeUndefined();
    expect(b.value).toBe(a.value);
    expect(state.computed).toHaveLength(1);
  });

  it('answers a request during a re-evaluation from the old head, flagged, runs one evaluation, then serves the new', async () => {
    const { cache, state, held, finish, warm } = cacheWith();
    await warm();

    state.head = 'h2';
    const during = await Promise.all([cache.get(), cache.get(), cache.get()]);
    for (const d of during) {
      expect(d.value).toBe('value of h1@2026-11-23T10:00:00.000Z');
      expect(d.head).toBe('h1');
      expect(d.revalidating).toEqual({ head: 'h2' });
    }
    expect(held).toHaveLength(1); // one background evaluation for three requests
    // The head moves again while h2 is evaluated: still no second evaluation at once.
    state.head = 'h3';
    expect((await cache.get()).revalidating).toEqual({ head: 'h3' });
    expect(held).toHaveLength(1);

    await finish();
    // h2 is done; it is served (flagged: h3 is the head now) and h3's evaluation starts.
    const after = await cache.get();
    expect(after.value).toBe('value of h2@2026-11-23T10:00:00.000Z');
    expect(after.revalidating).toEqual({ head: 'h3' });
    expect(held).toHaveLength(1);
    await finish();
    const current = await cache.get();
    expect(current.value).toBe('value of h3@2026-11-23T10:00:00.000Z');
    expect(current.revalidating).toBeUndefined();
    expect(state.computed).toEqual([
      'h1@2026-11-23T10:00:00.000Z',
      'h2@2026-11-23T10:00:00.000Z',
      'h3@2026-11-23T10:00:00.000Z',
    ]);
  });

  it('keeps one value through the day, and re-evaluates (serving the old one, flagged) on a new day or a due date', async () => {
    const { cache, state, held, finish, warm } = cacheWith({ validUntil: () => Date.parse('2026-11-24T12:00:00Z') });
    await warm();
    state.now = new Date('2026-11-23T23:59:00Z');
    expect((await cache.get()).revalidating).toBeUndefined();
    expect(held).toHaveLength(0);

    state.now = new Date('2026-11-24T00:00:01Z');
    const nextDay = await cache.get();
    expect(nextDay.asOf.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(nextDay.revalidating).toEqual({ head: 'h1' });
    await finish();
    expect((await cache.get()).asOf.toISOString()).toBe('2026-11-24T00:00:01.000Z');

    state.now = new Date('2026-11-24T12:00:00Z'); // the value said it turns false now
    expect((await cache.get()).revalidating).toEqual({ head: 'h1' });
    expect(held).toHaveLength(1);
  });

  it('keeps serving the old results, flagged, after a failed re-evaluation, logs it, and retries on the next request', async () => {
    const { cache, state, held, finish, fail, warnings, warm } = cacheWith();
    await warm();
    state.head = 'h2';
    await cache.get();
    await fail();
    expect(warnings).toHaveLength(1);
    expect(held).toHaveLength(0);
    const retried = await cache.get();
    expect(retried.value).toBe('value of h1@2026-11-23T10:00:00.000Z');
    expect(retried.revalidating).toEqual({ head: 'h2' });
    expect(held).toHaveLength(1); // the retry
    await finish();
    expect((await cache.get()).value).toBe('value of h2@2026-11-23T10:00:00.000Z');
  });

  it('fails a cold start for its waiters and tries again on the next request', async () => {
    const { cache, state, fail, finish } = cacheWith();
    const both = Promise.allSettled([cache.get(), cache.get()]);
    await new Promise((r) => setImmediate(r));
    await fail();
    expect((await both).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const again = cache.get();
    await new Promise((r) => setImmediate(r));
    await finish();
    expect((await again).value).toBe('value of h1@2026-11-23T10:00:00.000Z');
    expect(state.computed).toHaveLength(2);
  });

  it('never answers an explicit as-of from another time or head: it waits for its own evaluation', async () => {
    const { cache, state, held, finish, warm } = cacheWith();
    await warm();
    const past = new Date('2026-01-01T00:00:00Z');
    const pinned = cache.get(past);
    const shared = cache.get(past);
    await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1);
    await finish();
    const [p, s] = await Promise.all([pinned, shared]);
    expect(p.asOf).toEqual(past);
    expect(p.revalidating).toBeUndefined();
    expect(s.value).toBe(p.value);

    state.head = 'h2'; // a new head: the same as-of is evaluated again, and waited for
    const again = cache.get(past);
    await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1);
    await finish();
    expect((await again).value).toBe('value of h2@2026-01-01T00:00:00.000Z');
    expect(state.computed).toEqual([
      'h1@2026-11-23T10:00:00.000Z',
      'h1@2026-01-01T00:00:00.000Z',
      'h2@2026-01-01T00:00:00.000Z',
    ]);
  });
});
