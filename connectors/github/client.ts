import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import { RateLimitError, SourceUnavailableError } from './errors';
import {
  cleanHeaders,
  errorText,
  messageOf,
  missingPermission,
  nextLink,
  opt,
  rateLimitKind,
  retryAfterSeconds,
  summarizeIssues,
  type OctokitError,
} from './answers';
import { isRedirect, maxJsonBytes, redirectError, sameOriginFetch, tooLargeError } from '../http-limits';

export const githubApiVersion = '2022-11-28';
export const githubCollector = 'github@1.0.0';

export type GithubAuth =
  { token: string } | { app: { appId: string | number; privateKey: string; installationId: number } };

export interface GithubClientOptions {
  sourceId: string;
  baseUrl: string;
  auth: GithubAuth;
  retries: number;
  /** Requests in flight at once, over all callers. */
  concurrency: number;
  maxRateLimitWaitSeconds: number;
  /** Milliseconds per second of Retry-After and of the retry backoff: 1000 in production, ~1 in tests. */
  retryAfterBaseMs: number;
  log: () => Logger;
}

/** What the caller knows about a request, for error messages and for the answers it handles itself. */
export interface RequestSpec {
  /** The config entry the request serves (`orgs[0] "acme"`, `repositories[2] "acme/x"`), named on a 404. */
  entry: string;
  /** A 404 means the configured thing does not exist: SourceConfigError naming `entry`. */
  notFoundIsConfig?: boolean;
  /** Statuses returned to the caller instead of thrown (e.g. 404 "Branch not protected"). */
  allow?: number[] | ((status: number, message: string) => boolean);
  /** If-None-Match: a 304 answer costs no rate limit and is returned as `status: 304`. */
  etag?: string;
  signal?: AbortSignal;
}

export type GetResult<T> =
  | { kind: 'ok'; status: 200; data: T; etag?: string; next?: string; date?: string; url: string }
  | { kind: 'not-modified'; status: 304; etag?: string; date?: string; url: string }
  | { kind: 'status'; status: number; message: string; date?: string; url: string; headers: Record<string, string> };
export type OkResult<T> = Extract<GetResult<T>, { kind: 'ok' }>;

export interface GithubStats {
  requests: number;
  billableRequests: number;
  notModified: number;
  rateLimitRemaining?: number;
  rateLimitWaits: number;
  retries: number;
}

const GithubOctokit = Octokit.plugin(throttling, retry);
type GithubOctokit = InstanceType<typeof GithubOctokit>;

/**
 * Octokit with throttling (primary and secondary rate limits) and retries (5xx, 429) that honour
 * Retry-After, plus accounting of every HTTP request through a counting fetch. All reads go through
 * `get`, which turns GitHub's answers into the connector's error classes and validates bodies with zod.
 */
export class GithubClient {
  readonly stats: GithubStats = { requests: 0, billableRequests: 0, notModified: 0, rateLimitWaits: 0, retries: 0 };
  private readonly octokit: GithubOctokit;
  private readonly base: URL;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly opts: GithubClientOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    const stats = this.stats;
    const fetchWithinOrigin = sameOriginFetch(fetch);
    const countingFetch: typeof fetch = async (input, init) => {
      stats.requests++;
      const res = await fetchWithinOrigin(input, init);
      if (res.status === 304) stats.notModified++;
      else stats.billableRequests++;
      const remaining = res.headers.get('x-ratelimit-remaining');
      if (remaining !== null && /^\d+$/.test(remaining)) stats.rateLimitRemaining = Number(remaining);
      return res;
    };
    const log = opts.log;
    const authOptions =
      'token' in opts.auth
        ? { auth: opts.auth.token }
        : {
            authStrategy: createAppAuth,
            auth: {
              appId: opts.auth.app.appId,
              // Keys pasted into an environment variable often carry literal "\n".
              privateKey: opts.auth.app.privateKey.replace(/\\n/g, '\n'),
              installationId: opts.auth.app.installationId,
            },
          };
    this.octokit = new GithubOctokit({
      ...authOptions,
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
      userAgent: `evidence-hub/${githubCollector}`,
      request: { fetch: countingFetch },
      // Octokit's request log writes every non-2xx answer at error level, including the 304s of an
      // unchanged list and the 404s the connector expects ("Branch not protected", no rulesets). Whether
      // an answer is a failure is decided in `get`, which logs real failures at error itself; the
      // request log's lines are kept at debug.
      log: {
        debug: () => undefined,
        info: (msg: string) => log().debug({ source: opts.sourceId }, msg),
        warn: (msg: string) => log().warn({ source: opts.sourceId }, msg),
        error: (msg: string) => log().debug({ source: opts.sourceId }, msg),
      },
      throttle: {
        retryAfterBaseValue: opts.retryAfterBaseMs,
        fallbackSecondaryRateRetryAfter: 60,
        onRateLimit: (retryAfter, options, _octokit, retryCount) => {
          const wait = retryCount < opts.retries && retryAfter <= opts.maxRateLimitWaitSeconds;
          log().warn(
            { source: opts.sourceId, url: options.url, retryAfter, retryCount, wait },
            'GitHub primary rate limit reached',
          );
          if (wait) stats.rateLimitWaits++;
          return wait;
        },
        onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) => {
          const wait = retryCount < opts.retries;
          log().warn(
            { source: opts.sourceId, url: options.url, retryAfter, retryCount, wait },
            'GitHub secondary rate limit reached',
          );
          if (wait) stats.rateLimitWaits++;
          return wait;
        },
      },
      retry: { retries: opts.retries, retryAfterBaseValue: opts.retryAfterBaseMs },
    });
    // plugin-retry backs off (n+1)² seconds and ignores Retry-After; GitHub's 429/5xx answers may carry
    // one. Rate-limit answers belong to the throttling plugin, which reads Retry-After and
    // x-ratelimit-reset itself, so they are not retried a second time here.
    const original = this.octokit.retry.retryRequest;
    this.octokit.retry.retryRequest = (error, retries, retryAfter) => {
      const e = error as unknown as OctokitError & {
        request?: { request?: { signal?: AbortSignal; retryCount?: number } };
      };
      if (e.request?.request?.signal?.aborted) return original(error, 0, 0);
      if (rateLimitKind(e.status, e.response?.headers ?? {}, e.message)) return original(error, 0, 0);
      const header = retryAfterSeconds(e.response?.headers?.['retry-after']);
      const attempt = e.request?.request?.retryCount ?? 0;
      if (attempt < retries) {
        stats.retries++;
        log().warn(
          { source: opts.sourceId, url: e.request?.url, status: e.status, attempt: attempt + 1, retries },
          'GitHub request failed; retrying',
        );
      }
      return original(error, retries, header ?? retryAfter);
    };
  }

  /** Absolute URL of an API path such as `/repos/acme/x/pulls?state=closed`. */
  url(path: string): string {
    return new URL(path.replace(/^\//, ''), this.base).toString();
  }

  /** `GET /repos/acme/x/pulls`: the endpoint as named in error messages (no host, no query). */
  endpoint(url: string): string {
    const u = new URL(url, this.base);
    const basePath = this.base.pathname.replace(/\/$/, '');
    const p = u.pathname.startsWith(basePath) ? u.pathname.slice(basePath.length) : u.pathname;
    return `GET ${decodeURIComponent(p)}`;
  }

  async get<T>(url: string, schema: z.ZodType<T>, spec: RequestSpec): Promise<GetResult<T>> {
    const absolute = /^https?:\/\//.test(url) ? url : this.url(url);
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'x-github-api-version': githubApiVersion,
    };
    if (spec.etag) headers['if-none-match'] = spec.etag;
    let res;
    let text: string;
    await this.acquire();
    try {
      spec.signal?.throwIfAborted();
      // Success bodies are read here rather than by Octokit: a body cut off mid-transfer is then told
      // apart from malformed JSON, and native JSON.parse keeps large pages cheap.
      res = await this.octokit.request({
        method: 'GET',
        url: absolute,
        headers,
        request: { ...(spec.signal ? { signal: spec.signal } : {}), parseSuccessResponseBody: false },
      });
      const status = res.status as number;
      if (isRedirect(status)) {
        await (res.data as unknown as ReadableStream | null)?.cancel();
        throw redirectError(
          `source "${this.opts.sourceId}": ${this.endpoint(absolute)}`,
          status,
          res.headers.location,
          new URL(absolute),
        );
      }
      text = await this.readBody(res.data, absolute, res.headers['content-length']);
    } catch (err) {
      spec.signal?.throwIfAborted();
      if (err instanceof SourceResponseError || err instanceof SourceConfigError) throw err;
      const e = err as OctokitError;
      if (typeof e.status !== 'number') throw err;
      const resHeaders = cleanHeaders(e.response?.headers);
      if (e.status === 304)
        return {
          kind: 'not-modified',
          status: 304,
          url: absolute,
          ...opt('etag', resHeaders['etag'] ?? spec.etag),
          ...opt('date', resHeaders['date']),
        };
      const allowed =
        typeof spec.allow === 'function' ? spec.allow(e.status, messageOf(e)) : spec.allow?.includes(e.status);
      if (allowed) {
        this.opts
          .log()
          .debug(
            { source: this.opts.sourceId, endpoint: this.endpoint(absolute), status: e.status, entry: spec.entry },
            'GitHub answered an expected status',
          );
        return {
          kind: 'status',
          status: e.status,
          message: messageOf(e),
          url: absolute,
          headers: resHeaders,
          ...opt('date', resHeaders['date']),
        };
      }
      const failure = this.toError(e, absolute, spec);
      this.opts
        .log()
        .error(
          { source: this.opts.sourceId, endpoint: this.endpoint(absolute), status: e.status, entry: spec.entry },
          failure.message,
        );
      throw failure;
    } finally {
      this.release();
    }
    const resHeaders = cleanHeaders(res.headers as Record<string, string | undefined>);
    const where = `source "${this.opts.sourceId}": ${this.endpoint(absolute)}`;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      const what = text.trim() === '' ? 'an empty body' : `a body that is not JSON (${(err as Error).message})`;
      throw new SourceResponseError(`${where} returned ${what} (malformed or truncated response)`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new SourceResponseError(
        `${where} returned JSON of an unexpected shape (malformed or truncated response): ${summarizeIssues(parsed.error)}`,
      );
    }
    return {
      kind: 'ok',
      status: 200,
      data: parsed.data,
      url: absolute,
      ...opt('etag', resHeaders['etag']),
      ...opt('next', nextLink(resHeaders['link'])),
      ...opt('date', resHeaders['date']),
    };
  }

  /** The whole body as text; a connection closed before the end of the body is a truncated response. */
  private async readBody(body: unknown, url: string, contentLength: string | number | undefined): Promise<string> {
    if (body === null || body === undefined) return '';
    if (typeof body === 'string') return body;
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.length;
        if (bytes > maxJsonBytes) {
          await reader.cancel();
          throw tooLargeError(`source "${this.opts.sourceId}": ${this.endpoint(url)}`, maxJsonBytes);
        }
      }
    } catch (err) {
      if (err instanceof SourceConfigError) throw err;
      throw new SourceResponseError(
        `source "${this.opts.sourceId}": ${this.endpoint(url)} returned a body cut off after ${bytes} bytes${contentLength !== undefined ? ` of ${contentLength}` : ''} (truncated response: ${(err as Error).message})`,
      );
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async acquire(): Promise<void> {
    if (this.active < this.opts.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot to the next waiter, if any. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private toError(e: OctokitError, url: string, spec: RequestSpec): Error {
    const src = `source "${this.opts.sourceId}"`;
    const requestUrl = e.request?.url ?? url;
    const endpoint = this.endpoint(requestUrl);
    const headers = cleanHeaders(e.response?.headers);
    const msg = messageOf(e);
    const isApp = 'app' in this.opts.auth;
    const tokenRequest = /\/app\/installations\/[^/]+\/access_tokens/.test(requestUrl);
    const limited = rateLimitKind(e.status, headers, e.message);
    if (limited === 'primary') {
      const reset = Number(headers['x-ratelimit-reset']);
      const at = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString() : 'an unknown time';
      return new RateLimitError(
        `${src}: GitHub's primary rate limit is exhausted (${endpoint}); it resets at ${at}, later than requests.maxRateLimitWaitSeconds allows`,
      );
    }
    if (limited === 'secondary') {
      return new RateLimitError(
        `${src}: GitHub's secondary rate limit persisted after ${this.opts.retries} retries (${endpoint}: ${msg}); lower requests.concurrency`,
      );
    }
    if (tokenRequest && (e.status === 401 || e.status === 403 || e.status === 404)) {
      const app = 'app' in this.opts.auth ? this.opts.auth.app : undefined;
      const why =
        e.status === 404
          ? `installation ${app?.installationId} does not exist or does not belong to App ${app?.appId} (check auth.app.installationId)`
          : 'the App JWT was rejected: check auth.app.appId and auth.app.privateKey (a revoked key or a clock more than a minute off also causes this)';
      return new CredentialsError(`${src}: GitHub refused an installation token (${e.status} ${msg}): ${why}`);
    }
    if (e.status === 401) {
      const what = isApp ? 'the GitHub App installation token' : 'the token from auth.token';
      return new CredentialsError(
        `${src}: GitHub rejected the credentials (401 ${msg}) at ${endpoint}: ${what} is invalid, expired or revoked; issue a new one and update the secret`,
      );
    }
    if (e.status === 403)
      return new CredentialsError(
        `${src}: GitHub refused ${endpoint} (403 ${msg}): ${missingPermission(headers, isApp)}`,
      );
    if (e.status === 404 && spec.notFoundIsConfig) {
      return new SourceConfigError(
        `${src}: ${spec.entry} was not found (404 at ${endpoint}); check the name in the config, or grant the credentials access (GitHub answers 404 for private resources it hides)`,
      );
    }
    if (e.status === 404) {
      return new SourceConfigError(
        `${src}: ${endpoint} answered 404 for ${spec.entry}: the resource is gone, or the credentials cannot see it (GitHub answers 404 instead of 403 for hidden resources)`,
      );
    }
    if (e.status >= 500 || (e.status === 429 && !limited)) {
      const detail = e.response ? `${e.status} ${msg}` : `network error: ${errorText(e)}`;
      return new SourceUnavailableError(
        `${src}: ${endpoint} kept failing after ${this.opts.retries} retries (${detail})`,
      );
    }
    return new SourceResponseError(`${src}: ${endpoint} answered ${e.status} ${msg} for ${spec.entry}`);
  }
}

export { nextLink, rateLimitKind, retryAfterSeconds } from './answers';
