import { z } from 'zod';
import { secretRefSchema } from '../core/secrets';
import { consoleRoles } from './console-roles';

/** A Slack member id (`U…`, or `W…` on Enterprise Grid): what Slack sends as `user_id`, never a display name. */
const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack member id such as U024BE7LH (not a @name)');

/**
 * `console.slack`: the Slack app of `evidence-hub serve`, over Socket Mode (an outbound WebSocket: no public
 * endpoint). `/evidence status|sweep` and the "Re-collect now" button of stale-evidence alerts act for the
 * Slack users listed in `users`, with the console role given there; anyone else is refused. Both tokens are
 * secret references, like `console.tokens`.
 */
export const consoleSlackSchema = z
  .strictObject({
    /** The app-level token (`xapp-…`, scope connections:write) that opens the Socket Mode connection. */
    appToken: secretRefSchema,
    /** The bot token (`xoxb-…`): replies without a response_url go out as chat.postEphemeral. */
    botToken: secretRefSchema.optional(),
    users: z
      .array(z.strictObject({ slackUserId, role: z.enum(consoleRoles) }))
      .min(1, 'list at least one Slack user: nobody else may use the app')
      .refine((u) => new Set(u.map((x) => x.slackUserId)).size === u.length, {
        message: 'each slackUserId may be listed once',
      }),
    /** Slack's Web API base (for a proxy or a test fake); response_url replies must share its origin or be Slack's. */
    apiUrl: z.url({ protocol: /^https?$/ }).default('https://slack.com/api/'),
  })
  .describe('The Slack app (Socket Mode): /evidence commands and the Re-collect button');
export type ConsoleSlackConfig = z.infer<typeof consoleSlackSchema>;
