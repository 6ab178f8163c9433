import type { Logger } from 'pino';
import { z } from 'zod';
import { recollectActionId } from '../../alerts/recollect-button';
import type { ConsoleRole } from '../../config/console-schema';
import type { Principal } from '../auth';
import type { ConsoleSources } from '../data';
import { ConsoleInputError } from '../server';
import { startConsoleSweep, SweepRefused, type SweepStartDeps } from '../sweep-start';
import { parseEvidenceCommand } from './command';
import { plainReply, statusReply, sweepStartedReply, usageReply, type SlackReply } from './replies';

/** What the app needs of the console: the same status evaluation and the same sweep start. */
export interface SlackAppDeps {
  /** Slack member id → console role (`console.slack.users`); nobody else is served. */
  users: ReadonlyMap<string, ConsoleRole>;
  status: ConsoleSources['status'];
  sweep: SweepStartDeps;
  publicUrl?: string | undefined;
  log: Logger;
}

/**
 * How an envelope is answered: `now` goes into the ack (within Slack's 3 seconds), `later` is worked out
 * afterwards (an evaluation or a sweep start can take longer) and sent to the person alone.
 */
export interface Answer {
  now?: SlackReply | undefined;
  later?: (() => Promise<SlackReply>) | undefined;
}

/** The fields of a `slash_commands` payload we read; Slack sends more. */
export const slashCommandSchema = z.object({
  command: z.string(),
  text: z.string().default(''),
  user_id: z.string().min(1),
  response_url: z.url().optional(),
  channel_id: z.string().optional(),
});
export type SlashCommand = z.infer<typeof slashCommandSchema>;

/** The fields of an `interactive` envelope's block_actions payload we read. */
export const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
  response_url: z.url().optional(),
  channel: z.object({ id: z.string() }).optional(),
});
export type BlockActions = z.infer<typeof blockActionsSchema>;

/** A Control id as the button carries it: used as its own glob, so no glob characters. */
const controlIdPattern = /^[A-Za-z0-9][A-Za-z0-9.]{0,39}$/;

function principalOf(deps: SlackAppDeps, userId: string): Principal | undefined {
  const role = deps.users.get(userId);
  return role ? { name: `slack:${userId}`, role, via: 'slack' } : undefined;
}

const refusal = (userId: string) =>
  plainReply(
    `:no_entry: Slack user ${userId} is not mapped to an evidence-hub role: ask an admin to add you under console.slack.users.`,
  );

/** The scoped sweep, through the console's one sweep path; refusals and bad globs become replies. */
async function sweepFor(deps: SlackAppDeps, who: Principal, controls: string): Promise<SlackReply> {
  try {
    const id = await startConsoleSweep(deps.sweep, who, controls);
    return sweepStartedReply(id, controls, deps.publicUrl);
  } catch (err) {
    if (err instanceof SweepRefused && err.status === 403)
      return plainReply(`:no_entry: ${who.name} has the ${who.role} role: starting a sweep needs operator or admin.`);
    if (err instanceof SweepRefused || err instanceof ConsoleInputError) return plainReply(`:warning: ${err.message}`);
    throw err;
  }
}

export function answerSlashCommand(deps: SlackAppDeps, body: SlashCommand): Answer {
  if (body.command !== '/evidence') return { now: plainReply(`This app answers /evidence, not ${body.command}.`) };
  const who = principalOf(deps, body.user_id);
  if (!who) return { now: refusal(body.user_id) };
  const parsed = parseEvidenceCommand(body.text);
  if (!parsed.ok) return { now: usageReply(parsed.problem) };
  const command = parsed.command;
  switch (command.kind) {
    case 'help':
      return { now: usageReply(undefined) };
    case 'status':
      return {
        later: async () => {
          const { asOf, results, clauses, reevaluation } = await deps.status(
            command.controls ? { controls: command.controls } : {},
          );
          return statusReply({
            asOf,
            controls: results,
            clauses,
            glob: command.controls,
            publicUrl: deps.publicUrl,
            reevaluation,
          });
        },
      };
    case 'sweep':
      return { later: () => sweepFor(deps, who, command.controls) };
  }
}

export function answerBlockActions(deps: SlackAppDeps, body: BlockActions): Answer {
  const action = body.actions.find((a) => a.action_id === recollectActionId);
  if (!action) return {};
  const who = principalOf(deps, body.user.id);
  if (!who) return { later: async () => refusal(body.user.id) };
  const control = action.value ?? '';
  if (!controlIdPattern.test(control))
    return { later: async () => plainReply(`:warning: the button names no control ("${control.slice(0, 40)}")`) };
  return { later: () => sweepFor(deps, who, control) };
}
