import type { z } from 'zod';
import { abortableSleep } from '../../core/abortable-sleep';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import type { DownloadResult } from '../model-registry/types';
import {
  isRedirect,
  jitteredBackoffMs,
  maxJsonBytes,
  readUpTo,
  redirectError,
  sameOriginFetch,
  tooLargeError,
} from '../http-limits';

/**
 * The registry kept answering 429 or 5xx (or the network failed) through every attempt. Not one of the
 * non-retryable connector errors, so Temporal's retry policy tries the whole collection again later.
 */
export class RegistryUnavailableError extends Error {
  override readonly name = 'RegistryUnavailableError';
}

export interface MlflowHttpOptions {
  /** Config id of the source, for messages. */
  sourceId: string;
  baseUrl: string;
  /** Value of the Authorization header; never logged or put in a message. */
  authorization?: string;
  /** `none`, `basic` or `bearer`: what the messages say was sent. */
  authKind: string;
  timeoutMs: number;
  maxAttempts: number;
  /** First backoff delay; doubled per attempt with full jitter, capped at `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type Query = Record<string, string | number | undefined>;

interface MlflowErrorBody {
  error_code?: string;
  message?: string;
}

/**
 * GET requests to an MLflow tracking server with Node's fetch: authentication, timeouts, retries of
 * 429 and 5xx with exponential backoff (Retry-After honoured), and the connector error classes.
 */
export class MlflowHttp {
  readonly counters = { requests: 0, retries: 0, throttled: 0, serverErrors: 0, bytesDownloaded: 0 };
  readonly base: URL;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly opts: MlflowHttpOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    this.fetchImpl = sameOriginFetch(opts.fetch ?? fetch);
    this.sleep = opts.sleep ?? abortableSleep;
  }

  url(path: string, query: Query = {}): URL {
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** `GET /api/...?...` as messages show it: relative to the configured base, without the host. */
  endpoint(url: URL): string {
    return `GET ${url.pathname}${url.search}`;
  }

  /**
   * GETs and validates JSON. On 404 with MLflow's RESOURCE_DOES_NOT_EXIST, returns undefined when
   * `allowNotFound`; any other 404 means the URL is not an MLflow API, a configuration error.
   */
  async getJson<S extends z.ZodType>(
    path: string,
    query: Query,
    schema: S,
    options: { signal?: AbortSignal; allowNotFound?: boolean } = {},
  ): Promise<z.infer<S> | undefined> {
    const url = this.url(path, query);
    const res = await this.send(url, options.signal);
    const body = await readUpTo(res.body, maxJsonBytes);
    if (!body) throw tooLargeError(`source "${this.opts.sourceId}": ${this.endpoint(url)}`, maxJsonBytes);
    const text = body.toString('utf8');
    if (!res.ok) {
      const body = parseErrorBody(text);
      if (res.status === 404 && body?.error_code === 'RESOURCE_DOES_NOT_EXIST' && options.allowNotFound)
        return undefined;
      throw this.failure(url, res.status, body, text);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SourceResponseError(
        `source "${this.opts.sourceId}": ${this.endpoint(url)} returned malformed JSON (${(err as Error).message}): ${snippet(text)}`,
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
    return parsed.data;
  }

  /** GETs bytes, stopping as soon as more than `maxBytes` arrive (the body is never buffered past the cap). */
  async getBytes(path: string, query: Query, maxBytes: number, signal?: AbortSignal): Promise<DownloadResult> {
    const url = this.url(path, query);
    const endpoint = url.href;
    const res = await this.send(url, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      return { kind: 'not-found', endpoint };
    }
    if (!res.ok) {
      const text = await res.text();
      throw this.failure(url, res.status, parseErrorBody(text), text);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel();
      return { kind: 'too-large', size: declared, endpoint };
    }
    const bytes = await readUpTo(res.body, maxBytes);
    if (!bytes) return { kind: 'too-large', endpoint };
    const size = bytes.length;
    this.counters.bytesDownloaded += size;
    const lastModified = Date.parse(res.headers.get('last-modified') ?? '');
    const etag = res.headers.get('etag');
    return {
      kind: 'ok',
      bytes,
      endpoint,
      ...(Number.isFinite(lastModified) ? { lastModified } : {}),
      ...(etag ? { etag } : {}),
    };
  }

  private async send(url: URL, signal: AbortSignal | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.authorization) headers['authorization'] = this.opts.authorization;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(this.opts.timeoutMs);
      this.counters.requests++;
      let res: Response;
      try {
        res = await this.fetchImpl(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const why = timeout.aborted ? `no answer within ${this.opts.timeoutMs} ms` : describeNetworkError(err);
        if (attempt >= this.opts.maxAttempts) {
          throw new RegistryUnavailableError(
            `source "${this.opts.sourceId}": ${this.endpoint(url)} at ${this.base.origin} failed after ${attempt} attempts: ${why}`,
          );
        }
        this.counters.retries++;
        await this.sleep(this.backoff(attempt), signal);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        const sent =
          this.opts.authKind === 'none'
            ? 'no credentials were configured (set auth in the source)'
            : `${this.opts.authKind} credentials were sent`;
        throw new CredentialsError(
          `source "${this.opts.sourceId}": MLflow at ${this.base.origin} answered ${res.status} ${res.status === 401 ? 'Unauthorized' : 'Forbidden'} to ${this.endpoint(url)}; ${sent}: check them and their permissions`,
        );
      }
      if (res.status === 429 || res.status >= 500) {
        if (res.status === 429) this.counters.throttled++;
        else this.counters.serverErrors++;
        if (attempt >= this.opts.maxAttempts) {
          const text = await res.text().catch(() => '');
          throw new RegistryUnavailableError(
            `source "${this.opts.sourceId}": ${this.endpoint(url)} answered ${res.status} after ${attempt} attempts: ${snippet(text)}`,
          );
        }
        const wait =
          retryAfterMs(res.headers.get('retry-after'), this.opts.retryMaxMs ?? 30_000) ?? this.backoff(attempt);
        await res.body?.cancel();
        this.counters.retries++;
        await this.sleep(wait, signal);
        continue;
      }
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
    return jitteredBackoffMs(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs);
  }

  private failure(url: URL, status: number, body: MlflowErrorBody | undefined, text: string): Error {
    const what = body?.message ? `${body.error_code ?? 'error'}: ${body.message}` : snippet(text);
    if (status === 404 || status === 405) {
      return new SourceConfigError(
        `source "${this.opts.sourceId}": ${this.endpoint(url)} answered ${status} (${what}); is ${this.base.href} the MLflow tracking server's base URL? (check sources[].url)`,
      );
    }
    if (status === 400) {
      return new SourceConfigError(
        `source "${this.opts.sourceId}": MLflow rejected ${this.endpoint(url)} with 400 (${what})`,
      );
    }
    return new SourceResponseError(
      `source "${this.opts.sourceId}": ${this.endpoint(url)} answered ${status} (${what})`,
    );
  }
}

function parseErrorBody(text: string): MlflowErrorBody | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as MlflowErrorBody;
  } catch {
    // not JSON: an HTML error page from a proxy, for instance
  }
  return undefined;
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}...` : oneLine || '(empty body)';
}

function describeNetworkError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** Retry-After in seconds or as an HTTP date, capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, capMs: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(capMs, Math.max(0, ms));
}
