import type JiraApi from 'jira-client';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { abortableSleep } from '../../core/abortable-sleep';
import { CredentialsError, SourceConfigError, SourceResponseError, type ConnectorError } from '../../core/errors';
import { errorBodySchema } from './schemas';
import { isHttpOutcome, type HttpOutcome, type JiraTransport } from './transport';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Injected for tests: waits without a clock, records what was asked. */
export interface ClientDeps {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  now: () => Date;
}

export const defaultClientDeps: ClientDeps = {
  sleep: abortableSleep,
  random: Math.random,
  now: () => new Date(),
};

/** Who the connector authenticates as, described without the secret itself. */
export interface CredentialDescription {
  deployment: 'cloud' | 'datacenter';
  /** e.g. `the API token (auth.apiToken, from env JIRA_API_TOKEN) of bot@example.com` */
  token: string;
  /** e.g. `bot@example.com`, or `the token's user` */
  account: string;
}

/** What a request is for, so a failure can name the config entry and the fix. */
export interface RequestContext {
  /** Config entry the request serves: `queries[1] "incidents"`, `customFields`, `url`. */
  entry?: string;
  /** Extra words after the endpoint: `startAt 100`, `issue RISK-7`. */
  detail?: string;
  /** What the account needs for this request, said on 403. */
  permission: string;
  /** The error for a 404 (and 400, for searches); undefined: 404 is returned to the caller. */
  notFound?: (endpoint: string, jiraSays: string) => ConnectorError;
  badRequest?: (endpoint: string, jiraSays: string) => ConnectorError;
}

export type ResponseOutcome = Extract<HttpOutcome, { kind: 'response' }>;
export type TooLargeOutcome = Extract<HttpOutcome, { kind: 'too-large' }>;

export interface ClientStats {
  requests: number;
  retries: number;
  rateLimited: number;
  serverErrors: number;
  networkErrors: number;
}

/**
 * Runs jira-client calls with retries and turns HTTP outcomes into the connector's error classes.
 * jira-client builds the requests; {@link JiraTransport} hands back status, headers and body.
 */
export class JiraRestClient {
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0, serverErrors: 0, networkErrors: 0 };
  log: Logger | undefined;

  constructor(
    readonly api: JiraApi,
    private readonly transport: JiraTransport,
    private readonly opts: { sourceId: string; retry: RetryPolicy; credential: CredentialDescription },
    private readonly deps: ClientDeps,
  ) {}

  /** Calls `send` (a jira-client method) until it gets an answer that retrying cannot change. */
  async call(ctx: RequestContext, send: () => Promise<unknown>): Promise<ResponseOutcome | TooLargeOutcome> {
    const { maxAttempts } = this.opts.retry;
    for (let attempt = 1; ; attempt++) {
      this.transport.signal?.throwIfAborted();
      this.stats.requests++;
      const raw = await send();
      if (!isHttpOutcome(raw))
        throw new Error(`source "${this.opts.sourceId}": jira-client returned without calling the transport`);
      const outcome = raw;
      if (outcome.kind === 'aborted') {
        this.transport.signal?.throwIfAborted();
        throw new Error(`source "${this.opts.sourceId}": ${this.endpoint(outcome)} was aborted`);
      }
      if (outcome.kind === 'too-large') return outcome;
      let retryAfterMs: number | undefined;
      let problem: string;
      if (outcome.kind === 'network-error') {
        this.stats.networkErrors++;
        problem = outcome.error.message;
      } else if (outcome.status === 429 || (outcome.status >= 500 && outcome.status !== 501)) {
        if (outcome.status === 429) this.stats.rateLimited++;
        else this.stats.serverErrors++;
        retryAfterMs = parseRetryAfter(outcome.headers['retry-after'], this.deps.now().getTime());
        // Jira's own words (errorMessages/errors) say why, e.g. a failing index or a plugin's exception:
        // the message of the last answer is what the operator needs once retries run out.
        problem = `HTTP ${outcome.status}${said(jiraSays(outcome))}`;
      } else {
        return this.check(outcome, ctx);
      }
      if (attempt >= maxAttempts) {
        // Not a ConnectorError: an unavailable or throttling Jira is worth retrying later, as a whole.
        throw new Error(
          `source "${this.opts.sourceId}": ${this.where(outcome, ctx)} failed after ${attempt} attempt(s): ${problem}`,
        );
      }
      const delay = this.delayFor(attempt, retryAfterMs);
      this.stats.retries++;
      this.log?.warn(
        { source: this.opts.sourceId, endpoint: this.endpoint(outcome), problem, attempt, delayMs: delay },
        'Jira request failed; retrying',
      );
      await this.deps.sleep(delay, this.transport.signal);
    }
  }

  /** A call whose answer must be JSON of the given shape. */
  async json<S extends z.ZodType>(ctx: RequestContext, schema: S, send: () => Promise<unknown>): Promise<z.output<S>> {
    const outcome = await this.call(ctx, send);
    if (outcome.kind === 'too-large') {
      throw new SourceResponseError(
        `source "${this.opts.sourceId}": ${this.where(outcome, ctx)} answered with more than ${outcome.limit} bytes; lower pageSize`,
      );
    }
    if (outcome.status === 404)
      throw new SourceConfigError(
        `source "${this.opts.sourceId}": ${this.where(outcome, ctx)} answered 404 Not Found${said(jiraSays(outcome))}`,
      );
    return this.parse(outcome, ctx, schema);
  }

  parse<S extends z.ZodType>(outcome: ResponseOutcome, ctx: RequestContext, schema: S): z.output<S> {
    let data: unknown;
    try {
      data = JSON.parse(outcome.body.toString('utf8'));
    } catch (err) {
      throw new SourceResponseError(
        `source "${this.opts.sourceId}": ${this.where(outcome, ctx)} returned a body that is not valid JSON (${outcome.body.length} bytes, truncated?): ${(err as Error).message}`,
      );
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
        .join('; ');
      throw new SourceResponseError(
        `source "${this.opts.sourceId}": ${this.where(outcome, ctx)} returned an unexpected body: ${issues}`,
      );
    }
    return parsed.data;
  }

  endpoint(outcome: HttpOutcome): string {
    let path = outcome.url;
    try {
      path = new URL(outcome.url).pathname;
    } catch {
      // keep the raw URL
    }
    return `${outcome.method} ${path}`;
  }

  private where(outcome: HttpOutcome, ctx: RequestContext): string {
    const extra = [ctx.entry, ctx.detail].filter(Boolean).join(', ');
    return `${this.endpoint(outcome)}${extra ? ` (${extra})` : ''}`;
  }

  /** A final answer: 2xx passes; 4xx becomes the error class that says who must act. */
  private check(outcome: ResponseOutcome, ctx: RequestContext): ResponseOutcome {
    const { status } = outcome;
    if (status >= 200 && status < 300) return outcome;
    const sid = this.opts.sourceId;
    const cred = this.opts.credential;
    const says = jiraSays(outcome);
    const where = this.where(outcome, ctx);
    if (status === 401) {
      const captcha = String(outcome.headers['x-seraph-loginreason'] ?? '').includes('AUTHENTICATION_DENIED')
        ? '; Jira now demands a CAPTCHA after failed logins: sign in once in a browser as that user'
        : '';
      const renew =
        cred.deployment === 'cloud'
          ? 'create a new token at https://id.atlassian.com/manage-profile/security/api-tokens'
          : 'create a new token under Profile > Personal Access Tokens';
      throw new CredentialsError(
        `source "${sid}": Jira answered 401 Unauthorized to ${where}: ${cred.token} is invalid, expired or revoked; ${renew}${captcha}${said(says)}`,
      );
    }
    if (status === 403) {
      throw new CredentialsError(
        `source "${sid}": Jira answered 403 Forbidden to ${where}: ${cred.account} lacks a permission: ${ctx.permission}${said(says)}`,
      );
    }
    if (status === 410) {
      const hint =
        cred.deployment === 'datacenter' ? '; this looks like Jira Cloud, which removed it: set deployment: cloud' : '';
      throw new SourceConfigError(`source "${sid}": ${where} is gone (HTTP 410)${hint}${said(says)}`);
    }
    if (status === 404 && ctx.notFound) throw ctx.notFound(where, says);
    if (status === 400 && ctx.badRequest) throw ctx.badRequest(where, says);
    if (status === 404) return outcome;
    throw new SourceResponseError(`source "${sid}": ${where} answered HTTP ${status}${said(says)}`);
  }

  private delayFor(attempt: number, retryAfterMs: number | undefined): number {
    const { baseDelayMs, maxDelayMs } = this.opts.retry;
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, maxDelayMs);
    const exponential = baseDelayMs * 2 ** (attempt - 1);
    // Half fixed, half random: many workers throttled together do not come back together.
    return Math.min(maxDelayMs, Math.round(exponential / 2 + (exponential / 2) * this.deps.random()));
  }
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Jira's own words from an error body (`errorMessages`, `errors`), short, or ''. */
export function jiraSays(outcome: ResponseOutcome): string {
  const text = outcome.body.toString('utf8');
  let messages: string[] = [];
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      messages = [
        ...(parsed.data.errorMessages ?? []),
        ...Object.entries(parsed.data.errors ?? {}).map(([k, v]) => `${k}: ${String(v)}`),
        ...(parsed.data.message ? [parsed.data.message] : []),
      ];
    }
  } catch {
    // not JSON (an HTML error page, a proxy's answer): nothing worth quoting
  }
  const joined = messages.join(' ').replace(/\s+/g, ' ').trim();
  return joined.length > 500 ? `${joined.slice(0, 500)}...` : joined;
}

function said(says: string): string {
  return says ? `. Jira said: ${says}` : '';
}

/**
 * Jira's messages usually end in a full stop ("The value 'X' does not exist for the field 'project'.");
 * a message that quotes one and continues adds its own punctuation, so the quoted one's is dropped.
 */
export function withoutFinalStop(text: string): string {
  return text.replace(/\s*\.+$/, '');
}
