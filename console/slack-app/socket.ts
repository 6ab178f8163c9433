import { LogLevel, SocketModeClient, type Logger as SlackLogger } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { ConsoleRole } from '../../config/console-schema';
import type { ConsoleSlackConfig } from '../../config/slack-app-schema';
import { resolveSecret } from '../../core/secrets';
import type { ConsoleOptions } from '../server';
import { answerBlockActions, answerSlashCommand, blockActionsSchema, slashCommandSchema, type Answer } from './handler';
import { plainReply, type SlackReply } from './replies';

export interface SlackApp {
  /** Closes the Socket Mode connection (serve calls it on SIGTERM/SIGINT, with the console). */
  stop(): Promise<void>;
}

/** The envelope callback's arguments (@slack/socket-mode emits `{ ack, body, envelope_id }`). */
interface Envelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  body: unknown;
  envelope_id?: string;
}

/**
 * The Slack library's logger on pino. Its own messages only; debug is dropped because the library's debug
 * lines quote whole frames. Tokens never reach it: they are passed as options, and the library logs none.
 */
function slackLogger(log: Logger): SlackLogger {
  const line = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  return {
    debug: () => undefined,
    info: (...args: unknown[]) => log.info({ component: 'slack-socket-mode' }, line(args)),
    warn: (...args: unknown[]) => log.warn({ component: 'slack-socket-mode' }, line(args)),
    error: (...args: unknown[]) => log.error({ component: 'slack-socket-mode' }, line(args)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/**
 * Where a reply may go: Slack's own hooks, or the origin of the configured `apiUrl` (a proxy, a test fake).
 * A response_url elsewhere is not from Slack and gets no message (and no token: response_urls need none).
 */
export function replyTarget(responseUrl: string | undefined, apiUrl: string): string | undefined {
  if (responseUrl === undefined) return undefined;
  const u = new URL(responseUrl);
  const allowed = (u.protocol === 'https:' && u.hostname === 'hooks.slack.com') || u.origin === new URL(apiUrl).origin;
  return allowed ? u.href : undefined;
}

/**
 * Starts the Slack app of `serve` over Socket Mode (config/slack-app-schema.ts): `/evidence` commands and
 * the alerts' "Re-collect now" button, answered through the console's own status evaluation and sweep
 * start (console/slack-app/handler.ts). Every envelope is acked at once; the answer follows by response_url
 * (or chat.postEphemeral with the bot token). A failure is logged and answered, never thrown at the server.
 */
export async function startSlackApp(
  config: ConsoleSlackConfig,
  app: Pick<ConsoleOptions, 'sources' | 'startSweep' | 'log'> & { publicUrl?: string | undefined },
  baseDir: string,
): Promise<SlackApp> {
  const log = app.log.child({ component: 'slack-app' });
  const appToken = await resolveSecret(config.appToken, baseDir, 'console.slack.appToken');
  const botToken = config.botToken
    ? await resolveSecret(config.botToken, baseDir, 'console.slack.botToken')
    : undefined;
  const web = botToken ? new WebClient(botToken, { slackApiUrl: config.apiUrl }) : undefined;
  const users = new Map<string, ConsoleRole>(config.users.map((u) => [u.slackUserId, u.role]));
  const deps = {
    users,
    status: app.sources.status,
    sweep: app,
    ...(app.publicUrl !== undefined ? { publicUrl: app.publicUrl } : {}),
    log,
  };

  const send = async (reply: SlackReply, to: { responseUrl?: string | undefined; channel?: string; user: string }) => {
    const url = replyTarget(to.responseUrl, config.apiUrl);
    if (url) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(reply),
      });
      if (!res.ok) throw new Error(`the response_url answered HTTP ${res.status}`);
    } else if (web && to.channel) {
      await web.chat.postEphemeral({
        channel: to.channel,
        user: to.user,
        text: reply.text,
        blocks: reply.blocks ?? [],
      });
    } else log.warn({ user: to.user }, 'a Slack reply had nowhere to go (no Slack response_url, no bot token)');
  };

  /** Acks with `answer.now`, then sends `answer.later`; a failure is logged and told to the person. */
  const serveEnvelope = async (
    envelope: Envelope,
    answer: () => Answer,
    to: () => { responseUrl?: string | undefined; channel?: string; user: string },
  ) => {
    let result: Answer;
    try {
      result = answer();
    } catch (err) {
      log.warn({ err }, 'a Slack envelope was not understood');
      result = { now: plainReply(':warning: evidence-hub could not read this request (see the console log).') };
    }
    await envelope.ack(result.now ? { ...result.now } : undefined);
    if (!result.later) return;
    let reply: SlackReply;
    try {
      reply = await result.later();
    } catch (err) {
      log.error({ err }, 'answering a Slack request failed');
      reply = plainReply(':warning: evidence-hub failed to answer (the error is in the console log).');
    }
    await send(reply, to());
  };

  const client = new SocketModeClient({
    appToken,
    logger: slackLogger(log),
    clientOptions: { slackApiUrl: config.apiUrl },
  });
  const guard = (what: string, run: (e: Envelope) => Promise<void>) => (e: Envelope) => {
    run(e).catch((err: unknown) => log.error({ err, envelope: e.envelope_id }, `handling a Slack ${what} failed`));
  };
  client.on(
    'slash_commands',
    guard('slash command', async (e) => {
      const body = slashCommandSchema.safeParse(e.body);
      if (!body.success) {
        log.warn({ issues: body.error.issues.length }, 'a slash_commands payload did not match the expected shape');
        return e.ack();
      }
      const b = body.data;
      await serveEnvelope(
        e,
        () => answerSlashCommand(deps, b),
        () => ({ responseUrl: b.response_url, user: b.user_id, ...(b.channel_id ? { channel: b.channel_id } : {}) }),
      );
    }),
  );
  client.on(
    'interactive',
    guard('button press', async (e) => {
      const body = blockActionsSchema.safeParse(e.body);
      // Other interactions (shortcuts, modals) are not ours: acked, nothing else.
      if (!body.success) return e.ack();
      const b = body.data;
      await serveEnvelope(
        e,
        () => answerBlockActions(deps, b),
        () => ({ responseUrl: b.response_url, user: b.user.id, ...(b.channel ? { channel: b.channel.id } : {}) }),
      );
    }),
  );
  client.on('error', (err: unknown) => log.warn({ err }, 'the Slack Socket Mode connection reported an error'));
  await client.start();
  log.info({ users: users.size }, 'Slack app connected (Socket Mode)');
  return { stop: () => client.disconnect() };
}
