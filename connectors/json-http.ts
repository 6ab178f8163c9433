import { abortableSleep } from '../core/abortable-sleep';
import { isRedirect, jitteredBackoffMs, redirectError, sameOriginFetch } from './http-limits';

/**
 * The registry kept answering 429 or 5xx (or the network failed) through every attempt. Not one of the
 * non-retryable connector errors, so Temporal's retry policy tries the whole collection again later.
 */
export class RegistryUnavailableError extends Error {
  override readonly name = 'RegistryUnavailableError';
}

/** Retry-After in seconds or as an HTTP date, capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, capMs: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(capMs, Math.max(0, ms));
}

/** What differs between the JSON APIs: their words for refused credentials and their rate-limit headers. */
export interface JsonHttpHooks {
  /** The error for a 401 or 403, saying what was sent and what to check, in the connector's words. */
  credentialsError(status: 401 | 403, endpoint: string): Error;
  /** Whether the message for a 429/5xx that outlasted every attempt quotes the last answer's body. */
  quoteExhaustedBody: boolean;
  /** Every answer that is neither refused credentials nor retried (e.g. to read rate-limit headers). */
  onAnswer?(res: Response): void;
  /** The wait for a retried 429 or 5xx without Retry-After; undefined: exponential backoff. */
  retryWaitMs?(res: Response): number | undefined;
  /** A wait owed before the next request (a window reported used up); 0 when none. */
  takePendingWaitMs?(): number;
}

/** Counted by the client, in an object the connector reports; `serverErrors` only where it is reported. */
export interface RetryCounters {
  requests: number;
  retries: number;
  throttled: number;
  serverErrors?: number;
}

export interface JsonHttpOptions {
  /** Config id of the source, for messages. */
  sourceId: string;
  base: URL;
  /** Sent with every request (accept, authorization); never logged or put in a message. */
  headers: Record<string, string>;
  timeoutMs: number;
  maxAttempts: number;
  /** First backoff delay; doubled per attempt with jitter, capped at `retryMaxMs`. */
  retryBaseMs?: number | undefined;
  retryMaxMs?: number | undefined;
  /** The longest wait a Retry-After header may impose. */
  maxRetryAfterMs: number;
  counters: RetryCounters;
  fetch?: typeof fetch | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/**
 * GETs against a JSON API (MLflow, the Hugging Face Hub) with Node's fetch: timeouts, retries of 429
 * and 5xx and of network failures with exponential backoff (Retry-After honoured), redirects kept
 * within the origin, and refused credentials as the connector's error. `send` returns any other answer.
 */
export class JsonHttp {
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly opts: JsonHttpOptions,
    private readonly hooks: JsonHttpHooks,
  ) {
    this.fetchImpl = sameOriginFetch(opts.fetch ?? fetch);
    this.sleep = opts.sleep ?? abortableSleep;
  }

  /** `GET /api/...?...` as messages show it: relative to the configured base, without the host. */
  endpoint(url: URL): string {
    return `GET ${url.pathname}${url.search}`;
  }

  async send(url: URL, signal: AbortSignal | undefined): Promise<Response> {
    const { sourceId, maxAttempts, timeoutMs } = this.opts;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const pending = this.hooks.takePendingWaitMs?.() ?? 0;
      if (pending > 0) await this.sleep(pending, signal);
      const timeout = AbortSignal.timeout(timeoutMs);
      this.opts.counters.requests++;
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          headers: this.opts.headers,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(err);
        if (attempt >= maxAttempts) {
          throw new RegistryUnavailableError(
            `source "${sourceId}": ${this.endpoint(url)} at ${this.opts.base.origin} failed after ${attempt} attempts: ${why}`,
          );
        }
        this.opts.counters.retries++;
        await this.sleep(this.backoff(attempt), signal);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw this.hooks.credentialsError(res.status, this.endpoint(url));
      }
      if (res.status === 429 || res.status >= 500) {
        if (res.status === 429) this.opts.counters.throttled++;
        else if (this.opts.counters.serverErrors !== undefined) this.opts.counters.serverErrors++;
        if (attempt >= maxAttempts) {
          let quoted = '';
          if (this.hooks.quoteExhaustedBody) quoted = `: ${snippet(await res.text().catch(() => ''))}`;
          else await res.body?.cancel();
          throw new RegistryUnavailableError(
            `source "${sourceId}": ${this.endpoint(url)} answered ${res.status} after ${attempt} attempts${quoted}`,
          );
        }
        const wait =
          retryAfterMs(res.headers.get('retry-after'), this.opts.maxRetryAfterMs) ??
          this.hooks.retryWaitMs?.(res) ??
          this.backoff(attempt);
        await res.body?.cancel();
        this.opts.counters.retries++;
        await this.sleep(wait, signal);
        continue;
      }
      this.hooks.onAnswer?.(res);
      if (isRedirect(res.status)) {
        await res.body?.cancel();
        throw redirectError(
          `source "${sourceId}": ${this.endpoint(url)}`,
          res.status,
          res.headers.get('location'),
          url,
        );
      }
      return res;
    }
  }

  private backoff(attempt: number): number {
    return jitteredBackoffMs(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs);
  }
}

/** An answer's body on one line, short enough for a message. */
export function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}...` : oneLine || '(empty body)';
}

function describeNetworkError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
