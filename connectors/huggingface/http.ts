import type { z } from 'zod';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import { maxJsonBytes, readUpTo, tooLargeError } from '../http-limits';
import { JsonHttp } from '../json-http';

export interface HubHttpOptions {
  sourceId: string;
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; never logged or put in a message. */
  token?: string;
  timeoutMs: number;
  maxAttempts: number;
  /** The longest wait a RateLimit or Retry-After header may impose. */
  maxWaitMs: number;
  retryBaseMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Seconds until the quota window resets, from the Hub's `RateLimit` header (IETF draft
 * `draft-ietf-httpapi-ratelimit-headers`, e.g. `"api";r=0;t=55`), with the requests remaining in it.
 */
export function parseRateLimit(header: string | null): { remaining?: number; resetSeconds?: number } | undefined {
  if (!header) return undefined;
  const r = /(?:^|;)\s*r=(\d+)/.exec(header);
  const t = /(?:^|;)\s*t=(\d+)/.exec(header);
  if (!r && !t) return undefined;
  return { ...(r ? { remaining: Number(r[1]) } : {}), ...(t ? { resetSeconds: Number(t[1]) } : {}) };
}

export type HubResult<T> = { kind: 'ok'; value: T; link?: string } | { kind: 'not-found' };

/**
 * GET requests to the Hub API: bearer token when configured, timeouts, retries of 429 and 5xx with
 * exponential backoff, and the Hub's rate-limit headers honoured: a 429 waits until the window resets
 * (`RateLimit: ...;t=<seconds>`, or `Retry-After`), and an answer saying the window is used up (`r=0`) makes
 * the next request wait for the reset instead of spending an attempt on a certain 429.
 */
export class HubHttp {
  readonly counters = { requests: 0, retries: 0, throttled: 0, rateLimitWaits: 0, bytesDownloaded: 0 };
  readonly base: URL;
  private readonly http: JsonHttp;
  /** Wait before the next request: the window was reported used up. */
  private pendingWaitMs = 0;

  constructor(private readonly opts: HubHttpOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
    // The connector's options carry the shared ones (sourceId, timeoutMs, maxAttempts, retries, fetch, sleep).
    this.http = new JsonHttp(
      { ...opts, base: this.base, headers, maxRetryAfterMs: opts.maxWaitMs, counters: this.counters },
      {
        quoteExhaustedBody: false,
        credentialsError: (status, endpoint) => {
          const sent = opts.token
            ? "the configured token was sent: it needs read access to this repository (a gated repo also needs its access request accepted for the token's user)"
            : 'no token was configured: a private or gated repository needs token: { env: HF_TOKEN } with read access';
          return new CredentialsError(
            `source "${opts.sourceId}": the Hub at ${this.base.origin} answered ${status} to ${endpoint}; ${sent}`,
          );
        },
        // A 429 without Retry-After waits until the window resets.
        retryWaitMs: (res) => (res.status === 429 ? this.resetMs(res) : undefined),
        // An answer saying the window is used up makes the next request wait for the reset.
        onAnswer: (res) => {
          const resetMs = this.resetMs(res);
          if (parseRateLimit(res.headers.get('ratelimit'))?.remaining === 0 && resetMs !== undefined)
            this.pendingWaitMs = resetMs;
        },
        takePendingWaitMs: () => {
          const wait = this.pendingWaitMs;
          this.pendingWaitMs = 0;
          if (wait > 0) this.counters.rateLimitWaits++;
          return wait;
        },
      },
    );
  }

  /** A URL below the base; each path segment is encoded, so hostile repo names stay inside their segment. */
  url(segments: string[], query: Record<string, string> = {}): URL {
    // `.` and `..` (also as %2e) would be resolved away by URL parsing: a repo id must never climb out.
    for (const s of segments)
      if (/^(\.|%2e){1,2}$/i.test(s))
        throw new SourceResponseError(`source "${this.opts.sourceId}": refusing the path segment "${s}" in a Hub URL`);
    const url = new URL(segments.map((s) => encodeURIComponent(s)).join('/'), this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  endpoint(url: URL): string {
    return this.http.endpoint(url);
  }

  /** GETs and validates JSON; a 404 is `not-found`; the `Link: <...>; rel="next"` URL is returned for paging. */
  async getJson<S extends z.ZodType>(url: URL, schema: S, signal?: AbortSignal): Promise<HubResult<z.infer<S>>> {
    const res = await this.send(url, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      return { kind: 'not-found' };
    }
    const body = await readUpTo(res.body, maxJsonBytes);
    if (!body) throw tooLargeError(`source "${this.opts.sourceId}": ${this.endpoint(url)}`, maxJsonBytes);
    const text = body.toString('utf8');
    if (!res.ok) throw this.failure(url, res.status, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SourceResponseError(
        `source "${this.opts.sourceId}": ${this.endpoint(url)} returned malformed JSON (${(err as Error).message})`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      throw new SourceResponseError(
        `source "${this.opts.sourceId}": ${this.endpoint(url)} returned JSON of an unexpected shape at ${where}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    return { kind: 'ok', value: parsed.data as z.infer<S>, ...(next ? { link: new URL(next, url).href } : {}) };
  }

  /** GETs bytes up to `maxBytes` (never buffering past the cap): the bytes, `too-large`, or `not-found`. */
  async getBytes(
    url: URL,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<
    { kind: 'ok'; bytes: Buffer; etag?: string } | { kind: 'too-large'; size?: number } | { kind: 'not-found' }
  > {
    const res = await this.send(url, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      return { kind: 'not-found' };
    }
    if (!res.ok) throw this.failure(url, res.status, await res.text());
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel();
      return { kind: 'too-large', size: declared };
    }
    const bytes = await readUpTo(res.body, maxBytes);
    if (!bytes) return { kind: 'too-large' };
    this.counters.bytesDownloaded += bytes.length;
    const etag = res.headers.get('etag');
    return { kind: 'ok', bytes, ...(etag ? { etag } : {}) };
  }

  private send(url: URL, signal: AbortSignal | undefined): Promise<Response> {
    return this.http.send(url, signal);
  }

  /** Seconds until the window resets (capped), from an answer's RateLimit header. */
  private resetMs(res: Response): number | undefined {
    const limit = parseRateLimit(res.headers.get('ratelimit'));
    return limit?.resetSeconds !== undefined ? Math.min(this.opts.maxWaitMs, limit.resetSeconds * 1000) : undefined;
  }

  private failure(url: URL, status: number, text: string): Error {
    const oneLine = text.replace(/\s+/g, ' ').trim().slice(0, 200) || '(empty body)';
    if (status === 400 || status === 405)
      return new SourceConfigError(
        `source "${this.opts.sourceId}": ${this.endpoint(url)} answered ${status} (${oneLine}); is ${this.base.href} a Hugging Face Hub? (check sources[].url)`,
      );
    return new SourceResponseError(
      `source "${this.opts.sourceId}": ${this.endpoint(url)} answered ${status} (${oneLine})`,
    );
  }
}
