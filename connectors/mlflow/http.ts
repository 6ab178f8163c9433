import type { z } from 'zod';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import type { DownloadResult } from '../model-registry/types';
import { maxJsonBytes, readUpTo, tooLargeError } from '../http-limits';
import { JsonHttp, snippet } from '../json-http';

export { RegistryUnavailableError, retryAfterMs } from '../json-http';

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
  private readonly http: JsonHttp;

  constructor(private readonly opts: MlflowHttpOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.authorization) headers['authorization'] = opts.authorization;
    // The connector's options carry the shared ones (sourceId, timeoutMs, maxAttempts, retries, fetch, sleep).
    this.http = new JsonHttp(
      { ...opts, base: this.base, headers, maxRetryAfterMs: opts.retryMaxMs ?? 30_000, counters: this.counters },
      {
        quoteExhaustedBody: true,
        credentialsError: (status, endpoint) => {
          const sent =
            opts.authKind === 'none'
              ? 'no credentials were configured (set auth in the source)'
              : `${opts.authKind} credentials were sent`;
          return new CredentialsError(
            `source "${opts.sourceId}": MLflow at ${this.base.origin} answered ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'} to ${endpoint}; ${sent}: check them and their permissions`,
          );
        },
      },
    );
  }

  url(path: string, query: Query = {}): URL {
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** `GET /api/...?...` as messages show it: relative to the configured base, without the host. */
  endpoint(url: URL): string {
    return this.http.endpoint(url);
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

  private send(url: URL, signal: AbortSignal | undefined): Promise<Response> {
    return this.http.send(url, signal);
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
