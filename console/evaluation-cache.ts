import type { Logger } from 'pino';

/**
 * The store's evaluation, computed once and shared by every console request until the store changes.
 * Evaluating reads the whole evidence index (a million artifacts on a store kept for years): doing it per
 * request would make every page view as slow as a cold `evidence-hub status`.
 *
 * A value is keyed by the store's head (`head()`, checked on every request: it must be cheap) and by the
 * as-of day. "Now" is the time of the computation, reused for the rest of that UTC day unless the value
 * says it turns false sooner (`validUntil`, e.g. the soonest date a control goes stale), or the head moves
 * (a new sealed bundle, a pruned one). An explicit as-of time is its own key. Requests that arrive while a
 * value is computed wait for that one computation instead of starting their own.
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
}

interface Entry<T> {
  result: Promise<Evaluated<T>>;
  /** Epoch ms after which this entry is recomputed; Infinity for an explicit as-of time. */
  expires: number;
}

/** Explicit as-of times kept per head (each a whole evaluation in memory): enough for a few open timelines. */
const maxPinnedEntries = 8;
const DAY = 86_400_000;

export class EvaluationCache<T> {
  private currentHead: string | undefined;
  private readonly entries = new Map<string, Entry<T>>();
  private evaluations = 0;

  constructor(private readonly options: EvaluationCacheOptions<T>) {}

  /** The evaluation as of `asOf` (default: now), computed at most once per head and key. */
  async get(asOf?: Date): Promise<Evaluated<T>> {
    const head = await this.options.head();
    if (head !== this.currentHead) {
      // A new head makes every value stale; computations still running finish for their own callers only.
      this.entries.clear();
      this.currentHead = head;
    }
    const now = (this.options.now ?? (() => new Date()))();
    const key = asOf ? `at ${asOf.toISOString()}` : `day ${now.toISOString().slice(0, 10)}`;
    const cached = this.entries.get(key);
    if (cached && now.getTime() < cached.expires) return cached.result;
    const at = asOf ?? now;
    const entry: Entry<T> = {
      result: this.compute(head, at),
      expires: asOf ? Number.POSITIVE_INFINITY : (Math.floor(now.getTime() / DAY) + 1) * DAY,
    };
    if (asOf && !cached) this.trimPinned();
    this.entries.set(key, entry);
    entry.result.then(
      ({ value }) => {
        const until = asOf ? undefined : this.options.validUntil?.(value, at);
        if (until !== undefined && until < entry.expires) entry.expires = until;
      },
      () => {
        // A failed evaluation is not kept: the next request tries again.
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.result;
  }

  private async compute(head: string, asOf: Date): Promise<Evaluated<T>> {
    this.evaluations += 1;
    this.options.log?.debug(
      { evaluations: this.evaluations, head, asOf: asOf.toISOString() },
      'console evaluated the store',
    );
    return { value: await this.options.compute(asOf), asOf };
  }

  private trimPinned(): void {
    const pinned = [...this.entries.keys()].filter((k) => k.startsWith('at '));
    for (const k of pinned.slice(0, Math.max(0, pinned.length - maxPinnedEntries + 1))) this.entries.delete(k);
  }
}
