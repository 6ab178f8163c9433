import { z } from 'zod';
import { closestIds } from '../mappings/catalog';
import { durationHint, parseDuration } from '../core/duration';
import { secretRefSchema } from '../core/secrets';
import type { AlertPolicy } from './types';

/**
 * The `alerts:` section of evidence-hub.yaml. The token is a secret reference like every credential;
 * routes send a control group (A.6) or a single control (A.6.2.8) to a channel, the most specific wins.
 *
 *   alerts:
 *     slack:
 *       token: { env: SLACK_BOT_TOKEN }
 *       defaultChannel: "#compliance"
 *       operations: { channel: "#platform-ops" }     # store outages, integrity failures
 *       routes:
 *         - { match: A.6, channel: "#ml-platform", mention: "<!subteam^S0123ML>" }
 *         - { match: A.6.2.8, channel: C0123LOGS, mention: "<@U0123ABC>" }
 *       digest: true
 *       reminderEvery: 7d
 *       dueSoonNotice: true
 *       owners: { "jane.doe@example.com": "<@U0123ABC>" }   # a document's `owner:` -> who is mentioned
 */
const channelSchema = z
  .string()
  .regex(
    /^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,})$/,
    'expected a channel id (C0123ABCDEF) or a name with "#" (#compliance)',
  );

const mentionSchema = z
  .string()
  .regex(
    /^<(@[UW][A-Z0-9]+|!subteam\^S[A-Z0-9]+|!here|!channel)>$/,
    'expected a user mention <@U0123ABC> or a user group <!subteam^S0123ABC>',
  );

const matchSchema = z
  .string()
  // Annex A groups and controls (A.6, A.6.2.8) or management-system clauses (9, 9.3, 6.1.2).
  .regex(/^([A-Z]+(\.\d+)+|\d+(\.\d+)*)$/, 'expected a control group (A.6), a control id (A.6.2.8) or a clause (9.3)');

const durationSchema = z
  .string()
  .refine((d) => (parseDuration(d) ?? 0) > 0, { message: `not a positive duration; ${durationHint}` });

export const slackAlertsSchema = z
  .strictObject({
    token: secretRefSchema,
    /** Slack Web API base URL (the WebClient's slackApiUrl); for a proxy or a test fake. */
    apiUrl: z.url().optional(),
    defaultChannel: channelSchema,
    /** Mention for controls no route matches. */
    defaultMention: mentionSchema.optional(),
    /**
     * Where the hub's own faults go (store down or refusing access, integrity failures): the platform team,
     * not control owners. Default: defaultChannel and defaultMention (alerts/operations.ts).
     */
    operations: z.strictObject({ channel: channelSchema, mention: mentionSchema.optional() }).optional(),
    routes: z
      .array(z.strictObject({ match: matchSchema, channel: channelSchema, mention: mentionSchema.optional() }))
      .default([]),
    /** One message per channel per run instead of one per alert. */
    digest: z.boolean().default(true),
    /** Reminder cadence for controls that stay stale, missing or collection-failed. */
    reminderEvery: durationSchema.default('7d'),
    /** Announce when a control enters its warning window before the evidence is due (current -> due-soon). */
    dueSoonNotice: z.boolean().default(true),
    /**
     * Slack users of the owners documents name in their front matter (`owner: jane.doe@example.com`): an alert
     * then mentions the owner. An owner not listed is shown by name (alerts/details.ts).
     */
    owners: z
      .record(z.string().min(1).max(200), z.string().regex(/^<@[UW][A-Z0-9]+>$/, 'expected a user mention <@U0123ABC>'))
      .default({}),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.routes.forEach((r, i) => {
      if (seen.has(r.match))
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'match'],
          message: `duplicate route for ${r.match} (also routes[${seen.get(r.match)}])`,
        });
      seen.set(r.match, i);
    });
  });

export const alertsConfigSchema = z.strictObject({ slack: slackAlertsSchema });

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
export type SlackAlertsConfig = z.infer<typeof slackAlertsSchema>;

export function alertPolicyFromConfig(cfg: AlertsConfig): AlertPolicy {
  const s = cfg.slack;
  return {
    defaultChannel: s.defaultChannel,
    ...(s.defaultMention ? { defaultMention: s.defaultMention } : {}),
    routes: s.routes.map((r) => ({ match: r.match, channel: r.channel, ...(r.mention ? { mention: r.mention } : {}) })),
    digest: s.digest,
    reminderEveryMs: parseDuration(s.reminderEvery)!,
    dueSoonNotice: s.dueSoonNotice,
    ...(Object.keys(s.owners).length > 0 ? { owners: s.owners } : {}),
  };
}

/**
 * Routes whose match names no control in the catalog (a typo routes nothing and fails silently
 * otherwise), with a "did you mean". For the config loader or `evidence-hub mappings check`.
 */
export function unknownRouteMatches(cfg: AlertsConfig, controlIds: readonly string[]): string[] {
  const groups = new Set(
    controlIds.flatMap((id) => id.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))),
  );
  return cfg.slack.routes
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => !groups.has(r.match))
    .map(({ r, i }) => {
      const near = closestIds(r.match, groups);
      return `alerts.slack.routes[${i}].match: ${r.match} matches no control${near.length ? `; did you mean ${near.join(', ')}?` : ''}`;
    });
}
