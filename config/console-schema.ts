import { z } from 'zod';
import { secretRefSchema } from '../core/secrets';
import { consoleRoles } from './console-roles';
import { consoleSlackSchema } from './slack-app-schema';

// The roles live in their own module so the Slack app's schema can use them without an import cycle.
export { consoleRoles, type ConsoleRole } from './console-roles';

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLoopbackHttp = (u: URL) => u.protocol === 'http:' && loopbackHosts.has(u.hostname);

const roleValues = z.array(z.string().min(1)).optional();

/**
 * `console.oidc`: OpenID Connect sign-in (authorization code with PKCE) at an organisation's provider. The
 * provider must be HTTPS (plain HTTP only on loopback, for a provider running beside the hub in tests). Roles
 * come from `roleClaim` (a string or a list of strings in the ID token or userinfo) and from verified e-mail
 * addresses, mapped by `roles`; the highest matching role wins. Nobody matched gets `defaultRole`, and with
 * no `defaultRole` the sign-in is refused: an account at the provider is not by itself a right to the console.
 */
export const consoleOidcSchema = z
  .strictObject({
    issuer: z.url().refine((v) => new URL(v).protocol === 'https:' || isLoopbackHttp(new URL(v)), {
      message: 'the issuer must be an https:// URL (http:// only on 127.0.0.1, localhost or [::1])',
    }),
    clientId: z.string().min(1),
    /** The client secret (client_secret_basic); absent for a public client, which PKCE alone protects. */
    clientSecret: secretRefSchema.optional(),
    /** Where the provider sends the browser back: this console's `/auth/callback`, as registered there. */
    redirectUrl: z
      .url()
      .refine((v) => new URL(v).pathname === '/auth/callback', { message: 'must end in /auth/callback' }),
    scopes: z
      .array(z.string().regex(/^[!#-[\]-~]+$/, 'a scope is one word of printable ASCII'))
      .refine((s) => s.includes('openid'), { message: 'must include openid' })
      .default(['openid', 'email', 'profile']),
    /** The claim that holds the person's groups or roles (e.g. `groups`, `roles`). */
    roleClaim: z.string().min(1).optional(),
    /**
     * Claim values or verified e-mail addresses per role. Without `roles`, a `roleClaim` value that is
     * itself a role name (`viewer`, `operator`, `admin`) is taken as that role.
     */
    roles: z.strictObject({ viewer: roleValues, operator: roleValues, admin: roleValues }).optional(),
    /** The role of a signed-in person no rule matched; absent: such a sign-in is refused (403). */
    defaultRole: z.enum(consoleRoles).optional(),
  })
  .describe('OpenID Connect sign-in to the web console');
export type ConsoleOidcConfig = z.infer<typeof consoleOidcSchema>;

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
  /** OpenID Connect sign-in for people; static tokens keep working beside it. */
  oidc: consoleOidcSchema.optional(),
  sessionSecret: secretRefSchema.optional(),
  /**
   * Where people reach the console (https://evidence.example.com): Slack alerts link each control to its page
   * here (alerts/details.ts). Without it alerts link the deciding record's own URL, when it has one.
   */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The Slack app (config/slack-app-schema.ts): `/evidence` commands and the alerts' Re-collect button. */
  slack: consoleSlackSchema.optional(),
});
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;
