import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Slack Web API over a real socket (127.0.0.1, port 0), for the methods the alert notifier uses,
 * with answers shaped like Slack's documented ones:
 *
 *   POST /api/chat.postMessage   { ok: true, channel, ts, message } or { ok: false, error }
 *   POST /api/auth.test          { ok: true, url, team, user, team_id, user_id, bot_id }
 *
 * Bodies are read as application/x-www-form-urlencoded (what @slack/web-api sends; `blocks` and
 * `metadata` arrive as JSON strings) or application/json (which, like Slack, needs the token in the
 * Authorization header). Every request is checked for `Authorization: Bearer <token>`: none gives
 * not_authed, another token invalid_auth, a revoked one token_revoked. Channels are looked up by id or
 * name: unknown ones give channel_not_found, ones the bot is not in not_in_channel, archived ones
 * is_archived. Block Kit limits are enforced (50 blocks, 3000 characters per section text, 150 per
 * header, 10 context elements) with invalid_blocks, as Slack does.
 *
 * Faults are injected per request: `rateLimit(seconds)` answers HTTP 429 with Retry-After,
 * `failWith('invalid_auth')` a platform error, `failStatus(503)` a bare HTTP error.
 */

export interface FakeChannel {
  id: string;
  name: string;
  /** The bot is a member (default true). */
  member?: boolean;
  archived?: boolean;
}

export interface FakeSlackOptions {
  token: string;
  channels: FakeChannel[];
  /** Tokens that were valid once and are now revoked. */
  revokedTokens?: string[];
}

export interface RecordedSlackRequest {
  method: string;
  /** The API method, e.g. chat.postMessage */
  apiMethod: string;
  headers: IncomingHttpHeaders;
  contentType: string;
  /** Parameters, with JSON-encoded form values (blocks, metadata, attachments) decoded. */
  params: Record<string, unknown>;
  /** When the request arrived (ms since epoch). */
  receivedAt: number;
  status: number;
  response: Record<string, unknown>;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  reply_broadcast?: boolean;
  metadata?: unknown;
  params: Record<string, unknown>;
}

type Fault =
  { kind: 'ratelimit'; retryAfter: string } | { kind: 'error'; error: string } | { kind: 'status'; status: number };

interface PendingFault {
  fault: Fault;
  remaining: number;
  apiMethod?: string;
}

const botUser = 'U0FAKEBOT';
const botId = 'B0FAKEBOT';
const teamId = 'T0FAKETEAM';
const jsonValued = new Set(['blocks', 'attachments', 'metadata']);
const booleanValued = new Set(['reply_broadcast', 'unfurl_links', 'unfurl_media', 'mrkdwn', 'link_names', 'as_user']);

export class FakeSlack {
  readonly requests: RecordedSlackRequest[] = [];
  readonly messages: FakeSlackMessage[] = [];
  private readonly faults: PendingFault[] = [];
  private server!: http.Server;
  private seq = 0;
  /** Base URL of the Web API, to give the WebClient as slackApiUrl (ends with /api/). */
  url = '';

  private constructor(readonly opts: FakeSlackOptions) {}

  static async start(opts: FakeSlackOptions): Promise<FakeSlack> {
    const fake = new FakeSlack(opts);
    fake.server = http.createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as AddressInfo;
    fake.url = `http://127.0.0.1:${port}/api/`;
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `times` calls (of `apiMethod`, default any) answer HTTP 429 with `Retry-After: seconds`. */
  rateLimit(seconds: number | string, times = 1, apiMethod?: string): void {
    this.faults.push({
      fault: { kind: 'ratelimit', retryAfter: String(seconds) },
      remaining: times,
      ...(apiMethod ? { apiMethod } : {}),
    });
  }

  /** The next `times` calls answer `{ ok: false, error }` (HTTP 200, as Slack does). */
  failWith(error: string, times = 1, apiMethod?: string): void {
    this.faults.push({ fault: { kind: 'error', error }, remaining: times, ...(apiMethod ? { apiMethod } : {}) });
  }

  /** The next `times` calls answer a bare HTTP status (a proxy or an outage). */
  failStatus(status: number, times = 1, apiMethod?: string): void {
    this.faults.push({ fault: { kind: 'status', status }, remaining: times, ...(apiMethod ? { apiMethod } : {}) });
  }

  /** Changes a channel (invite the bot, archive it) or adds one. */
  putChannel(channel: FakeChannel): void {
    const i = this.opts.channels.findIndex((c) => c.id === channel.id);
    if (i >= 0) this.opts.channels[i] = channel;
    else this.opts.channels.push(channel);
  }

  /** chat.postMessage calls received (accepted or not), in order. */
  postCalls(): RecordedSlackRequest[] {
    return this.requests.filter((r) => r.apiMethod === 'chat.postMessage');
  }

  /** Replies posted in a thread. */
  replies(channel: string, threadTs: string): FakeSlackMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const apiMethod = url.pathname.startsWith('/api/') ? url.pathname.slice('/api/'.length) : '';
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const record: RecordedSlackRequest = {
      method: req.method ?? 'GET',
      apiMethod,
      headers: req.headers,
      contentType,
      params: {},
      receivedAt: Date.now(),
      status: 200,
      response: {},
    };
    this.requests.push(record);

    const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      record.status = status;
      record.response = body;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };

    if (req.method !== 'POST' && req.method !== 'GET') return send(405, { ok: false, error: 'method_not_allowed' });
    let params: Record<string, unknown>;
    try {
      params = parseParams(raw, contentType, url.searchParams);
    } catch {
      return send(200, { ok: false, error: contentType === 'application/json' ? 'invalid_json' : 'invalid_form_data' });
    }
    record.params = params;

    const pending = this.faults.find(
      (f) => f.remaining > 0 && (f.apiMethod === undefined || f.apiMethod === apiMethod),
    );
    if (pending) {
      pending.remaining--;
      const f = pending.fault;
      if (f.kind === 'ratelimit')
        return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': f.retryAfter });
      if (f.kind === 'status') return send(f.status, { ok: false, error: `http_${f.status}` });
      return send(200, { ok: false, error: f.error });
    }

    // Authentication: the Authorization header; form bodies may carry `token` instead (JSON bodies may not).
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    const token =
      bearer ??
      (contentType === 'application/x-www-form-urlencoded' && typeof params['token'] === 'string'
        ? params['token']
        : undefined);
    if (!token) return send(200, { ok: false, error: 'not_authed' });
    if (this.opts.revokedTokens?.includes(token)) return send(200, { ok: false, error: 'token_revoked' });
    if (token !== this.opts.token) return send(200, { ok: false, error: 'invalid_auth' });

    switch (apiMethod) {
      case 'auth.test':
        return send(200, {
          ok: true,
          url: 'https://fake-workspace.slack.com/',
          team: 'Fake Workspace',
          user: 'evidence-hub',
          team_id: teamId,
          user_id: botUser,
          bot_id: botId,
          is_enterprise_install: false,
        });
      case 'chat.postMessage':
        return this.postMessage(params, send);
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  }

  private postMessage(
    params: Record<string, unknown>,
    send: (status: number, body: Record<string, unknown>) => void,
  ): void {
    const target = typeof params['channel'] === 'string' ? params['channel'] : '';
    if (!target) return send(200, { ok: false, error: 'channel_not_found' });
    const name = target.replace(/^#/, '');
    const channel = this.opts.channels.find((c) => c.id === target || c.name === name);
    if (!channel) return send(200, { ok: false, error: 'channel_not_found' });
    if (channel.archived) return send(200, { ok: false, error: 'is_archived' });
    if (channel.member === false) return send(200, { ok: false, error: 'not_in_channel' });

    const text = typeof params['text'] === 'string' ? params['text'] : undefined;
    const blocks = params['blocks'];
    if (blocks !== undefined && !Array.isArray(blocks)) return send(200, { ok: false, error: 'invalid_blocks_format' });
    if (!text && (!blocks || blocks.length === 0)) return send(200, { ok: false, error: 'no_text' });
    if (text && text.length > 40_000) return send(200, { ok: false, error: 'msg_too_long' });
    if (blocks) {
      const problems = blockProblems(blocks);
      if (problems.length > 0) {
        return send(200, {
          ok: false,
          error: 'invalid_blocks',
          errors: problems,
          response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
        });
      }
    }

    this.seq++;
    const ts = `${1_700_000_000 + this.seq}.${String(this.seq).padStart(6, '0')}`;
    const threadTs =
      typeof params['thread_ts'] === 'string' && params['thread_ts'] !== '' ? params['thread_ts'] : undefined;
    const message: FakeSlackMessage = {
      channel: channel.id,
      ts,
      ...(text !== undefined ? { text } : {}),
      ...(blocks ? { blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(typeof params['reply_broadcast'] === 'boolean' ? { reply_broadcast: params['reply_broadcast'] } : {}),
      ...(params['metadata'] !== undefined ? { metadata: params['metadata'] } : {}),
      params,
    };
    this.messages.push(message);
    send(200, {
      ok: true,
      channel: channel.id,
      ts,
      message: {
        user: botUser,
        type: 'message',
        ts,
        bot_id: botId,
        app_id: 'A0FAKEAPP',
        text: text ?? '',
        team: teamId,
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs, parent_user_id: botUser } : {}),
      },
    });
  }
}

function parseParams(raw: string, contentType: string, query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(query);
  if (raw === '') return out;
  if (contentType === 'application/json') return { ...out, ...(JSON.parse(raw) as Record<string, unknown>) };
  for (const [k, v] of new URLSearchParams(raw)) {
    if (jsonValued.has(k)) out[k] = JSON.parse(v);
    else if (booleanValued.has(k)) out[k] = v === 'true' || v === '1';
    else out[k] = v;
  }
  return out;
}

interface TextLike {
  type?: unknown;
  text?: unknown;
}

/** Block Kit checks Slack applies to the block types the notifier sends (and a few it must not). */
export function blockProblems(blocks: unknown[]): string[] {
  const problems: string[] = [];
  if (blocks.length > 50) problems.push(`no more than 50 items allowed [json-pointer:/blocks]`);
  const text = (t: unknown, max: number, where: string, plainOnly = false) => {
    const o = t as TextLike | undefined;
    if (!o || typeof o.text !== 'string' || (o.type !== 'plain_text' && o.type !== 'mrkdwn'))
      return problems.push(`invalid text object [json-pointer:${where}]`);
    if (plainOnly && o.type !== 'plain_text') problems.push(`must be plain_text [json-pointer:${where}/type]`);
    if (o.text.length === 0) problems.push(`must be more than 0 characters [json-pointer:${where}/text]`);
    if (o.text.length > max) problems.push(`must be less than ${max + 1} characters [json-pointer:${where}/text]`);
    return 0;
  };
  blocks.forEach((b, i) => {
    const block = b as { type?: unknown; text?: unknown; elements?: unknown; fields?: unknown };
    const at = `/blocks/${i}`;
    switch (block.type) {
      case 'header':
        text(block.text, 150, `${at}/text`, true);
        break;
      case 'section':
        if (block.text === undefined && block.fields === undefined)
          problems.push(`must provide text or fields [json-pointer:${at}]`);
        if (block.text !== undefined) text(block.text, 3000, `${at}/text`);
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10)
          problems.push(`must have 1 to 10 elements [json-pointer:${at}/elements]`);
        else block.elements.forEach((e, j) => text(e, 3000, `${at}/elements/${j}`));
        break;
      case 'divider':
        break;
      case 'actions':
        // Buttons only (what alerts/recollect-button.ts sends): 1 to 25 elements, plain_text of at most 75.
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25)
          problems.push(`must have 1 to 25 elements [json-pointer:${at}/elements]`);
        else
          block.elements.forEach((e, j) => {
            const el = e as { type?: unknown; text?: unknown; action_id?: unknown; value?: unknown };
            if (el.type !== 'button') problems.push(`unsupported element type [json-pointer:${at}/elements/${j}/type]`);
            text(el.text, 75, `${at}/elements/${j}/text`, true);
            if (typeof el.action_id !== 'string' || el.action_id.length > 255)
              problems.push(`invalid action_id [json-pointer:${at}/elements/${j}/action_id]`);
            if (typeof el.value !== 'string' || el.value.length > 2000)
              problems.push(`invalid value [json-pointer:${at}/elements/${j}/value]`);
          });
        break;
      default:
        problems.push(`unsupported block type ${JSON.stringify(block.type)} [json-pointer:${at}/type]`);
    }
  });
  return problems;
}
