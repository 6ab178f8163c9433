import { z } from 'zod';
import { secretRefSchema } from '../core/secrets';

/** What a signed-in person may do in the web console (console/): read, run sweeps, or administer. */
export const consoleRoles = ['viewer', 'operator', 'admin'] as const;
export type ConsoleRole = (typeof consoleRoles)[number];

/**
 * `console:` in the config: who may sign in to `evidence-hub serve`. Each static token is a secret reference
 * (never the token itself), so the config can be committed; `sessionSecret` signs the session cookies (a
 * random one per process when absent: sessions then end when the console restarts).
 */
export const consoleConfigSchema = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[\w.@-]{1,64}$/, 'letters, digits, . _ @ - (at most 64)'),
        role: z.enum(consoleRoles),
        token: secretRefSchema,
      }),
    )
    .default([]),
  sessionSecret: secretRefSchema.optional(),
  /**
   * Where people reach the console (https://evidence.example.com): Slack alerts link each control to its page
   * here (alerts/details.ts). Without it alerts link the deciding record's own URL, when it has one.
   */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
});
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;
