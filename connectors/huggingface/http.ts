import type { z } from 'zod';
import { abortableSleep } from '../../core/abortable-sleep';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import {
  isRedirect,
  jitteredBackoffMs,
  maxJsonBytes,
  readUpTo,
  redirectError,
  sameOriginFetch,
  tooLargeError,
} from '../http-limits';
import { RegistryUnavailableError, retryAfterMs } from '../mlflow/http';

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
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Wait before the next request: the window was reported used up. */
  private pendingWaitMs = 0;

  constructor(private readonly opts: HubHttpOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    this.fetchImpl = sameOriginFetch(opts.fetch ?? fetch);
    this.sleep = opts.sleep ?? abortableSleep;
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
    return `GET ${url.pathname}${url.search}`;
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

  private async send(url: URL, signal: AbortSignal | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.token) headers['authorization'] = `Bearer ${this.opts.token}`;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      if (this.pendingWaitMs > 0) {
        const wait = this.pendingWaitMs;
        this.pendingWaitMs = 0;
        this.counters.rateLimitWaits++;
        await this.sleep(wait, signal);
      }
      const timeout = AbortSignal.timeout(this.opts.timeoutMs);
      this.counters.requests++;
      let res: Response;
      try {
        res = await this.fetchImpl(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const e = err as { message?: string; cause?: { code?: string } };
        const why = timeout.aborted ? `no answer within ${this.opts.timeoutMs} ms` : (e.cause?.code ?? e.message);
        if (attempt >= this.opts.maxAttempts)
          throw new RegistryUnavailableError(
            `source "${this.opts.sourceId}": ${this.endpoint(url)} at ${this.base.origin} failed after ${attempt} attempts: ${why}`,
          );
        this.counters.retries++;
        await this.sleep(this.backoff(attempt), signal);
        continue;
      }
      const limit = parseRateLimit(res.headers.get('ratelimit'));
      const resetMs =
        limit?.resetSeconds !== undefined ? Math.min(this.opts.maxWaitMs, limit.resetSeconds * 1000) : undefined;
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        const sent = this.opts.token
          ? "the configured token was sent: it needs read access to this repository (a gated repo also needs its access request accepted for the token's user)"
          : 'no token was configured: a private or gated repository needs token: { env: HF_TOKEN } with read access';
        throw new CredentialsError(
          `source "${this.opts.sourceId}": the Hub at ${this.base.origin} answered ${res.status} to ${this.endpoint(url)}; ${sent}`,
        );
      }
      if (res.status === 429 || res.status >= 500) {
        if (res.status === 429) this.counters.throttled++;
        if (attempt >= this.opts.maxAttempts) {
          await res.body?.cancel();
          throw new RegistryUnavailableError(
            `source "${this.opts.sourceId}": ${this.endpoint(url)} answered ${res.status} after ${attempt} attempts`,
          );
        }
        const wait =
          retryAfterMs(res.headers.get('retry-after'), this.opts.maxWaitMs) ??
          (res.status === 429 ? resetMs : undefined) ??
          this.backoff(attempt);
        await res.body?.cancel();
        this.counters.retries++;
        await this.sleep(wait, signal);
        continue;
      }
      if (limit?.remaining === 0 && resetMs !== undefined) this.pendingWaitMs = resetMs;
      if (isRedirect(res.status)) {
        await res.body?.cancel();
        throw redirectError(
          `source "${this.opts.sourceId}": ${this.endpoint(url)}`,
          res.status,
          res.headers.get('location'),
          url,
        );
      }
      return res;
    }
  }

  private backoff(attempt: number): number {
    return jitteredBackoffMs(attempt, this.opts.retryBaseMs);
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
