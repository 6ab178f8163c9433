import type { Logger } from 'pino';

/**
 * The store's evaluation, computed once and shared by every console request until the store changes.
 * Evaluating reads the whole evidence index (a million artifacts on a store kept for years): doing it per
 * request would make every page view as slow as a cold `evidence-hub status`.
 *
 * A value is keyed by the store's head (`head()`, checked on every request: it must be cheap) and by the
 * as-of day. "Now" is the time of the computation, reused for the rest of that UTC day unless the value
 * says it turns false sooner (`validUntil`, e.g. the soonest date a control goes stale), or the head moves
 * (a new sealed bundle, a pruned one).
 *
 * Stale while revalidating: once one "now" evaluation exists, a request that finds it outdated (new head,
 * new day, a due date passed) is answered at once from it, flagged `revalidating`, while ONE background
 * evaluation runs; requests after it finishes get the new one. A failed background evaluation is logged and
 * retried by the next request; the previous value keeps being served, still flagged. Only with no previous
 * value (the cold start) does a request wait: it shares the evaluation already running (`serve` starts one
 * as it listens) rather than showing a placeholder, so every answer, page or API, holds real results and
 * reading works with JavaScript off (a "still evaluating, refresh" page would need a second request anyway).
 *
 * An explicit as-of time is its own key and never answered from another time's or another head's value:
 * it waits for its own evaluation (shared by concurrent callers).
 */
export interface EvaluationCacheOptions<T> {
  /** A cheap key of what the store holds; it must change whenever a bundle is sealed or removed. */
  head(): Promise<string>;
  /** Evaluates the store as known at `asOf`. */
  compute(asOf: Date): Promise<T>;
  /** When a value computed for "now" stops being true with the same head (epoch ms), if sooner than the day's end. */
  validUntil?: ((value: T, asOf: Date) => number | undefined) | undefined;
  now?: (() => Date) | undefined;
  /** Logs each computation at debug level (`evaluations` counts them: tests and operators can see cache misses). */
  log?: Logger | undefined;
}

export interface Evaluated<T> {
  value: T;
  asOf: Date;
  /** The store head `value` was computed for. */
  head: string;
  /**
   * Set when `value` is an earlier evaluation served while a newer one runs in the background: `head` is the
   * store's head now (the same as the evaluated one when only the day or a due date moved on).
   */
  revalidating?: { head: string } | undefined;
}

interface Pinned<T> {
  result: Promise<Evaluated<T>>;
}

/** The newest finished "now" evaluation and when it stops being current. */
interface Latest<T> {
  evaluated: Evaluated<T>;
  /** `head day`: what it was computed for. */
  key: string;
  /** Epoch ms from which it is outdated even with the same head. */
  expires: number;
}

/** Explicit as-of times kept per head (each a whole evaluation in memory): enough for a few open timelines. */
const maxPinnedEntries = 8;
const DAY = 86_400_000;

export class EvaluationCache<T> {
  private pinnedHead: string | undefined;
  private readonly pinned = new Map<string, Pinned<T>>();
  private latest: Latest<T> | undefined;
  /** The one "now" evaluation running, if any: never two at once, whatever the head does meanwhile. */
  private running: { key: string; result: Promise<Evaluated<T>> } | undefined;
  private evaluations = 0;

  constructor(private readonly options: EvaluationCacheOptions<T>) {}

  /**
   * The evaluation as of `asOf` (default: now). Without `asOf`, possibly an earlier one flagged
   * `revalidating` (see the class comment).
   */
  async get(asOf?: Date): Promise<Evaluated<T>> {
    const head = await this.options.head();
    if (asOf) return this.pinnedAt(head, asOf);
    const now = this.now();
    const key = `${head} ${now.toISOString().slice(0, 10)}`;
    const latest = this.latest;
    if (latest && latest.key === key && now.getTime() < latest.expires) return latest.evaluated;
    const running = this.running ?? this.start(head, key, now);
    if (latest) return { ...latest.evaluated, revalidating: { head } };
    // Cold start: wait for the running evaluation, then answer as a warm request would (its head or day
    // may have moved on meanwhile: then the answer is flagged and the next evaluation starts).
    await running.result;
    return this.get();
  }

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  private start(head: string, key: string, now: Date): { key: string; result: Promise<Evaluated<T>> } {
    const run = { key, result: this.compute(head, now) };
    this.running = run;
    run.result.then(
      (evaluated) => {
        if (this.running === run) this.running = undefined;
        const dayEnd = (Math.floor(now.getTime() / DAY) + 1) * DAY;
        const until = this.options.validUntil?.(evaluated.value, now);
        this.latest = { evaluated, key, expires: until !== undefined && until < dayEnd ? until : dayEnd };
      },
      (err: unknown) => {
        // Not kept: the next request starts another; the previous value (if any) is served meanwhile.
        if (this.running === run) this.running = undefined;
        this.options.log?.warn({ err, head }, 'console evaluation of the store failed; the next request retries');
      },
    );
    return run;
  }

  private pinnedAt(head: string, asOf: Date): Promise<Evaluated<T>> {
    if (head !== this.pinnedHead) {
      // A new head makes every pinned value stale; computations still running finish for their own callers.
      this.pinned.clear();
      this.pinnedHead = head;
    }
    const key = asOf.toISOString();
    const cached = this.pinned.get(key);
    if (cached) return cached.result;
    this.trimPinned();
    const entry: Pinned<T> = { result: this.compute(head, asOf) };
    this.pinned.set(key, entry);
    entry.result.catch(() => {
      // A failed evaluation is not kept: the next request tries again.
      if (this.pinned.get(key) === entry) this.pinned.delete(key);
    });
    return entry.result;
  }

  private async compute(head: string, asOf: Date): Promise<Evaluated<T>> {
    this.evaluations += 1;
    this.options.log?.debug(
      { evaluations: this.evaluations, head, asOf: asOf.toISOString() },
      'console evaluated the store',
    );
    return { value: await this.options.compute(asOf), asOf, head };
  }

  private trimPinned(): void {
    const keys = [...this.pinned.keys()];
    for (const k of keys.slice(0, Math.max(0, keys.length - maxPinnedEntries + 1))) this.pinned.delete(k);
  }
}
