import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A fake Slack Socket Mode endpoint over real sockets (127.0.0.1, port 0), for the console's Slack app.
 * Shapes follow Slack's Socket Mode documentation (https://docs.slack.dev/apis/events-api/using-socket-mode,
 * and the SDK docs at https://docs.slack.dev/tools/python-slack-sdk/socket-mode) as @slack/socket-mode 3.1.0
 * reads them:
 *
 *   POST /api/apps.connections.open  Authorization: Bearer xapp-…  → { ok: true, url: "ws://…/link?ticket=…" }
 *                                    (another token: { ok: false, error: "invalid_auth" })
 *   WebSocket /link?ticket=…         sends { type: "hello", num_connections, debug_info, connection_info },
 *                                    then envelopes { envelope_id, type, accepts_response_payload, payload };
 *                                    records each ack { envelope_id, payload? } the app sends back
 *   POST /response/<envelope_id>     a response_url: records the JSON message
 *   POST /api/chat.postEphemeral     Bearer xoxb-…: records { channel, user, text, blocks }
 *
 * Envelope types sent: `slash_commands` (payload: command, text, user_id, response_url, …) and `interactive`
 * (payload: a block_actions interaction with user, actions, response_url, …). The server pings every few
 * seconds, as Slack does, so the client's server-ping watchdog stays quiet.
 */

export interface RecordedAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface SlackMessage {
  response_type?: string;
  text: string;
  blocks?: { type: string; text?: { text: string }; elements?: unknown[] }[];
  replace_original?: boolean;
}

export interface FakeSlackSocketOptions {
  appToken: string;
  botToken?: string;
}

export class FakeSlackSocketServer {
  readonly acks: RecordedAck[] = [];
  /** Messages posted to a response_url, by envelope id. */
  readonly responses = new Map<string, SlackMessage[]>();
  readonly ephemerals: Record<string, unknown>[] = [];
  /** Bearer tokens apps.connections.open was called with (to check the app token went there and only there). */
  readonly openTokens: string[] = [];
  /** WebSocket connections accepted so far (a new app process, a reconnect). */
  connections = 0;
  private readonly events = new EventEmitter();
  private readonly tickets = new Set<string>();
  private socket: WebSocket | undefined;
  private pinger: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
    readonly origin: string,
    private readonly options: FakeSlackSocketOptions,
  ) {}

  /** The Web API base the app is configured with (`console.slack.apiUrl`). */
  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  static async start(options: FakeSlackSocketOptions): Promise<FakeSlackSocketServer> {
    const self: { fake?: FakeSlackSocketServer } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self.fake!.http(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== '/link' || !self.fake!.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => self.fake!.connect(ws));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self.fake = new FakeSlackSocketServer(server, wss, `http://127.0.0.1:${port}`, options);
    return self.fake;
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private http(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.origin);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.method === 'POST' && url.pathname === '/api/apps.connections.open') {
      this.openTokens.push(bearer ?? '');
      if (bearer !== this.options.appToken) return this.json(res, 200, { ok: false, error: 'invalid_auth' });
      const ticket = randomBytes(8).toString('hex');
      this.tickets.add(ticket);
      return this.json(res, 200, { ok: true, url: `${this.origin.replace(/^http/, 'ws')}/link?ticket=${ticket}` });
    }
    if (req.method === 'POST' && url.pathname === '/api/chat.postEphemeral') {
      if (!this.options.botToken || bearer !== this.options.botToken)
        return this.json(res, 200, { ok: false, error: 'invalid_auth' });
      const params = Object.fromEntries(new URLSearchParams(body));
      this.ephemerals.push(params);
      this.events.emit('ephemeral');
      return this.json(res, 200, { ok: true, message_ts: '1700000000.000100' });
    }
    const m = /^\/response\/([\w-]+)$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      const list = this.responses.get(m[1]!) ?? [];
      list.push(JSON.parse(body) as SlackMessage);
      this.responses.set(m[1]!, list);
      this.events.emit(`response:${m[1]!}`);
      return this.json(res, 200, { ok: true });
    }
    this.json(res, 404, { ok: false, error: 'unknown_method' });
  }

  private connect(ws: WebSocket): void {
    this.socket = ws;
    this.connections++;
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as RecordedAck;
      this.acks.push(ack);
      this.events.emit(`ack:${ack.envelope_id}`, ack);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake-slack', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0FAKEAPP' },
      }),
    );
    clearInterval(this.pinger);
    this.pinger = setInterval(() => ws.ping(), 5_000);
    this.events.emit('connected');
  }

  /** An app holds the newest connection, open. */
  get connected(): boolean {
    return this.socket !== undefined && this.socket.readyState === this.socket.OPEN;
  }

  /** Sends any envelope (a malformed one, a type the app does not handle) and waits for its ack. */
  async envelope(type: string, payload: Record<string, unknown>, acceptsResponse: boolean, responseUrl = true) {
    if (!this.socket) throw new Error('no Socket Mode app is connected');
    const envelopeId = randomBytes(8).toString('hex');
    const acked = new Promise<RecordedAck>((resolve) => this.events.once(`ack:${envelopeId}`, resolve));
    // Slack gives no response_url for some interactions (a button in a modal or App Home): the app must use the bot token.
    const withUrl = responseUrl ? { ...payload, response_url: `${this.origin}/response/${envelopeId}` } : payload;
    this.socket.send(
      JSON.stringify({ envelope_id: envelopeId, type, accepts_response_payload: acceptsResponse, payload: withUrl }),
    );
    return { envelopeId, ack: await acked };
  }

  /** Sends a `slash_commands` envelope and waits for its ack. */
  slashCommand(userId: string, text: string, command = '/evidence') {
    return this.envelope(
      'slash_commands',
      {
        token: 'deprecated-verification-token',
        team_id: 'T0FAKE',
        team_domain: 'acme',
        channel_id: 'C0FAKE',
        channel_name: 'compliance',
        user_id: userId,
        user_name: userId.toLowerCase(),
        command,
        text,
        api_app_id: 'A0FAKEAPP',
        is_enterprise_install: 'false',
        trigger_id: `${Date.now()}.trigger`,
      },
      true,
    );
  }

  /** Sends an `interactive` envelope: a block_actions press of one button, and waits for its ack. */
  pressButton(userId: string, actionId: string, value: string, responseUrl = true) {
    return this.envelope(
      'interactive',
      {
        type: 'block_actions',
        user: { id: userId, username: userId.toLowerCase(), team_id: 'T0FAKE' },
        api_app_id: 'A0FAKEAPP',
        team: { id: 'T0FAKE', domain: 'acme' },
        channel: { id: 'C0FAKE', name: 'compliance' },
        container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0FAKE', is_ephemeral: false },
        trigger_id: `${Date.now()}.trigger`,
        actions: [
          {
            type: 'button',
            action_id: actionId,
            block_id: `recollect:${value}`,
            value,
            action_ts: `${Date.now() / 1000}`,
            text: { type: 'plain_text', text: 'Re-collect now', emoji: true },
          },
        ],
      },
      false,
      responseUrl,
    );
  }

  /** The first chat.postEphemeral call, waiting for it. */
  async ephemeral(): Promise<Record<string, unknown>> {
    if (this.ephemerals.length === 0)
      await new Promise<void>((resolve) => this.events.once('ephemeral', () => resolve()));
    return this.ephemerals[0]!;
  }

  /** Resolves when the newest connection closes (the app disconnected). */
  async disconnected(): Promise<void> {
    const ws = this.socket;
    if (!ws || ws.readyState === ws.CLOSED) return;
    await new Promise<void>((resolve) => ws.once('close', () => resolve()));
  }

  /** The messages sent to an envelope's response_url, waiting for the first one. */
  async responseTo(envelopeId: string): Promise<SlackMessage> {
    const sent = this.responses.get(envelopeId);
    if (sent?.length) return sent[0]!;
    await new Promise<void>((resolve) => this.events.once(`response:${envelopeId}`, () => resolve()));
    return this.responses.get(envelopeId)![0]!;
  }

  async close(): Promise<void> {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
