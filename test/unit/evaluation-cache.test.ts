import { describe, expect, it } from 'vitest';
import { EvaluationCache } from '../../console/evaluation-cache';

/** The cache's clock and head are injected: what is recomputed when is decided by them alone. */
function cacheWith(options: { validUntil?: (asOf: Date) => number | undefined; failFirst?: boolean } = {}) {
  const state = { head: 'h1', now: new Date('2026-11-23T10:00:00Z'), computed: [] as string[] };
  let fail = options.failFirst ?? false;
  const cache = new EvaluationCache<string>({
    head: () => Promise.resolve(state.head),
    compute: (asOf) => {
      state.computed.push(`${state.head}@${asOf.toISOString()}`);
      if (fail) {
        fail = false;
        return Promise.reject(new Error('store unreadable'));
      }
      return Promise.resolve(`value of ${state.head}`);
    },
    now: () => state.now,
    ...(options.validUntil ? { validUntil: (_v: string, asOf: Date) => options.validUntil!(asOf) } : {}),
  });
  return { cache, state };
}

describe('EvaluationCache', () => {
  it('keeps one value per head through the day, and computes again on a new head or a new day', async () => {
    const { cache, state } = cacheWith();
    expect((await cache.get()).value).toBe('value of h1');
    state.now = new Date('2026-11-23T23:59:00Z');
    expect((await cache.get()).asOf.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(state.computed).toHaveLength(1);
    state.head = 'h2';
    expect((await cache.get()).value).toBe('value of h2');
    state.now = new Date('2026-11-24T00:00:01Z');
    await cache.get();
    expect(state.computed).toEqual([
      'h1@2026-11-23T10:00:00.000Z',
      'h2@2026-11-23T23:59:00.000Z',
      'h2@2026-11-24T00:00:01.000Z',
    ]);
  });

  it('computes again once the value says it turned false (a due date) before the day ends', async () => {
    const { cache, state } = cacheWith({ validUntil: () => Date.parse('2026-11-23T12:00:00Z') });
    await cache.get();
    state.now = new Date('2026-11-23T11:59:59Z');
    await cache.get();
    expect(state.computed).toHaveLength(1);
    state.now = new Date('2026-11-23T12:00:00Z');
    await cache.get();
    expect(state.computed).toHaveLength(2);
  });

  it('shares one computation between concurrent callers, keys an explicit as-of apart, and retries a failure', async () => {
    const { cache, state } = cacheWith({ failFirst: true });
    const both = await Promise.allSettled([cache.get(), cache.get()]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(state.computed).toHaveLength(1);
    expect((await cache.get()).value).toBe('value of h1');
    const past = new Date('2026-01-01T00:00:00Z');
    expect((await cache.get(past)).asOf).toEqual(past);
    await cache.get(past);
    await cache.get();
    expect(state.computed).toEqual([
      'h1@2026-11-23T10:00:00.000Z',
      'h1@2026-11-23T10:00:00.000Z',
      'h1@2026-01-01T00:00:00.000Z',
    ]);
  });
});
