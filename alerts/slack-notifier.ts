import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRequestError,
  WebClient,
  WebClientEvent,
  type ChatPostMessageArguments,
  type KnownBlock,
  type Logger as SlackLogger,
  type RetryOptions,
} from '@slack/web-api';
import type { Logger } from 'pino';
import { CredentialsError, SourceConfigError } from '../core/errors';
import { resolveSecret, type SecretRef } from '../core/secrets';
import type { AlertsConfig } from './config';
import { SlackMessageError, SlackUnavailableError } from './errors';
import type { AlertState, Delivery, PlannedMessage } from './types';

/**
 * Production retries: up to 5 attempts with backoff from 1s to 30s. A 429 is waited out inside the
 * WebClient for exactly its Retry-After seconds (the request queue pauses), then this backoff applies.
 */
export const defaultSlackRetry: RetryOptions = {
  retries: 5,
  factor: 2,
  minTimeout: 1_000,
  maxTimeout: 30_000,
  randomize: true,
};

export interface SlackNotifierOptions {
  token: string;
  /** Where the token comes from, named in errors: e.g. `alerts.slack.token ({ env: SLACK_BOT_TOKEN })`. */
  tokenSource: string;
  /** Slack Web API base URL (WebClient slackApiUrl); default https://slack.com/api/. */
  apiUrl?: string;
  retryConfig?: RetryOptions;
  /** Per-request timeout; default 30s. */
  timeoutMs?: number;
  /** Receives the WebClient's own logs; default: its console logger at warn. */
  logger?: SlackLogger;
  /** Called when Slack answers 429, with its Retry-After in seconds (log it; heartbeat in an activity). */
  onRateLimited?: (retryAfterSec: number) => void;
}

const credentialErrors = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'missing_scope',
  'not_allowed_token_type',
]);
const channelErrors = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'no_permission',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'ekm_access_denied',
]);
const transientErrors = new Set([
  'ratelimited',
  'rate_limited',
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
  'org_login_required',
]);

const channelHint: Record<string, string> = {
  channel_not_found: 'no such channel, or a private channel the app was not invited to',
  not_in_channel: 'the app is not a member: run /invite @<app> in that channel',
  is_archived: 'the channel is archived',
  no_permission: 'the app may not post there: invite it to the channel',
};

/**
 * Posts planned alert messages with chat.postMessage. Delivery is at-least-once, narrowed by keys:
 * `deliver` skips every message whose key the state already records, and calls `onDelivered` right after
 * each post so the caller can persist the key before the next one. What remains is the window between
 * Slack accepting a post and that key being stored (a crash there, or a response lost in transit that
 * the WebClient retries): then one message can appear twice. Nothing is ever silently dropped.
 */
export class SlackNotifier {
  readonly client: WebClient;

  constructor(private readonly opts: SlackNotifierOptions) {
    this.client = new WebClient(opts.token, {
      slackApiUrl: opts.apiUrl ?? 'https://slack.com/api/',
      retryConfig: opts.retryConfig ?? defaultSlackRetry,
      timeout: opts.timeoutMs ?? 30_000,
      // false: the WebClient sleeps for Retry-After and retries, instead of failing the call.
      rejectRateLimitedCalls: false,
      // One at a time: messages go out in plan order, and a 429 pauses everything behind it.
      maxRequestConcurrency: 1,
      ...(opts.logger ? { logger: opts.logger } : { logLevel: LogLevel.WARN }),
    });
    if (opts.onRateLimited) {
      const cb = opts.onRateLimited;
      this.client.on(WebClientEvent.RATE_LIMITED, (retryAfterSec: number) => cb(retryAfterSec));
    }
  }

  /** From the `alerts` config: resolves the token secret now (a missing one is a CredentialsError). */
  static async fromConfig(
    cfg: AlertsConfig,
    baseDir: string,
    extra: Omit<SlackNotifierOptions, 'token' | 'tokenSource' | 'apiUrl'> = {},
  ): Promise<SlackNotifier> {
    const tokenSource = `alerts.slack.token (${describeRef(cfg.slack.token)})`;
    const token = await resolveSecret(cfg.slack.token, baseDir, tokenSource);
    return new SlackNotifier({
      ...extra,
      token,
      tokenSource,
      ...(cfg.slack.apiUrl ? { apiUrl: cfg.slack.apiUrl } : {}),
    });
  }

  /** Posts one message; replies go into their thread without being broadcast to the channel. */
  async post(message: PlannedMessage): Promise<Delivery> {
    const args = {
      channel: message.channel,
      text: message.text,
      blocks: message.blocks as KnownBlock[],
      unfurl_links: false,
      unfurl_media: false,
      // The key travels with the message: a human (or a later audit of the channel) can match posts to plans.
      metadata: {
        event_type: 'evidence_hub_alert',
        event_payload: { key: message.key, kind: message.kind, controls: message.controls.join(',') },
      },
      ...(message.threadTs ? { thread_ts: message.threadTs, reply_broadcast: false as const } : {}),
    } satisfies ChatPostMessageArguments;
    let res;
    try {
      res = await this.client.chat.postMessage(args);
    } catch (err) {
      throw this.translate(err, message);
    }
    if (!res.ts || !res.channel)
      throw new SlackUnavailableError(`Slack accepted the message for ${message.channel} but returned no ts/channel`);
    return {
      key: message.key,
      channel: res.channel,
      ts: res.ts,
      skipped: false,
      itemKeys: message.items.map((i) => i.key),
      at: message.at,
    };
  }

  /**
   * Posts messages in order, skipping keys `state` already records (their recorded ts is returned with
   * skipped: true). `onDelivered` runs after every post; persist `recordDeliveries(state, [d])` there.
   * The first failure stops the run and is thrown (earlier posts were already reported).
   */
  async deliver(
    messages: readonly PlannedMessage[],
    state: Pick<AlertState, 'posted'>,
    onDelivered?: (d: Delivery) => Promise<void> | void,
  ): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const done = new Set<string>();
    for (const m of messages) {
      const rec = state.posted[m.key];
      if (rec || done.has(m.key)) {
        const prior = rec ?? out.find((d) => d.key === m.key)!;
        out.push({
          key: m.key,
          channel: prior.channel,
          ts: prior.ts,
          skipped: true,
          itemKeys: m.items.map((i) => i.key),
          at: prior.at,
        });
        continue;
      }
      const d = await this.post(m);
      done.add(m.key);
      out.push(d);
      await onDelivered?.(d);
    }
    return out;
  }

  /** auth.test: lets a worker fail at start, with a CredentialsError naming the token's config entry. */
  async checkAuth(): Promise<{ team?: string; user?: string; botId?: string }> {
    try {
      const res = await this.client.auth.test();
      return {
        ...(res.team ? { team: res.team } : {}),
        ...(res.user ? { user: res.user } : {}),
        ...(res.bot_id ? { botId: res.bot_id } : {}),
      };
    } catch (err) {
      throw this.translate(err);
    }
  }

  private translate(err: unknown, message?: PlannedMessage): Error {
    const where = message
      ? `Slack channel "${message.channel}"${message.threadTs ? ` (thread ${message.threadTs})` : ''}, routed for ${message.controls.join(', ') || 'no controls'}`
      : 'Slack auth.test';
    if (err instanceof WebAPIPlatformError) {
      const code = err.data.error;
      if (credentialErrors.has(code)) {
        const needed =
          code === 'missing_scope' ? ` (needs ${(err.data as { needed?: string }).needed ?? 'chat:write'})` : '';
        return new CredentialsError(
          `Slack rejected the bot token from ${this.opts.tokenSource}: ${code}${needed}; issue a new bot token (xoxb-) with chat:write and update that secret`,
        );
      }
      if (channelErrors.has(code)) {
        return new SourceConfigError(
          `${where}: ${code}${channelHint[code] ? ` (${channelHint[code]})` : ''}; fix alerts.slack.defaultChannel / alerts.slack.routes or the channel`,
        );
      }
      if (transientErrors.has(code)) return new SlackUnavailableError(`${where}: Slack answered ${code}; will retry`);
      return new SlackMessageError(
        `${where}: Slack refused ${message ? `message ${message.key.slice(0, 12)}` : 'the call'}: ${code}`,
      );
    }
    // The WebClient reports a 429 it waited out as a plain error (wrapped as a request error): after the
    // last retry that is what arrives here.
    const inner =
      err instanceof WebAPIRequestError ? err.original.message : err instanceof Error ? err.message : String(err);
    if (/rate limit|retry header/i.test(inner))
      return new SlackUnavailableError(`${where}: still rate-limited by Slack after every retry (${inner})`);
    if (err instanceof WebAPIRequestError)
      return new SlackUnavailableError(`${where}: cannot reach Slack at ${this.client.slackApiUrl}: ${inner}`);
    if (err instanceof WebAPIHTTPError)
      return new SlackUnavailableError(`${where}: Slack answered HTTP ${err.statusCode} ${err.statusMessage}`);
    return err instanceof Error ? err : new Error(inner);
  }
}

function describeRef(ref: SecretRef): string {
  return 'env' in ref ? `{ env: ${ref.env} }` : `{ file: ${ref.file} }`;
}

/** Sends the WebClient's logs to pino (debug/info/warn/error), e.g. `logger: slackLoggerFor(log)`. */
export function slackLoggerFor(log: Logger): SlackLogger {
  let level = LogLevel.WARN;
  const child = log.child({ component: 'slack-web-api' });
  const order = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
  const at =
    (l: LogLevel) =>
    (...msg: unknown[]) => {
      if (order.indexOf(l) >= order.indexOf(level))
        child[l](msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' '));
    };
  return {
    debug: at(LogLevel.DEBUG),
    info: at(LogLevel.INFO),
    warn: at(LogLevel.WARN),
    error: at(LogLevel.ERROR),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
