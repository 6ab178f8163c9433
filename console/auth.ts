import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConsoleConfig, ConsoleRole } from '../config/console-schema';
import { resolveSecret } from '../core/secrets';
import { SignedValues } from './session';

/** Someone signed in: a static token's name and role (or the single local user of `--insecure-local`). */
export interface Principal {
  name: string;
  role: ConsoleRole;
  /**
   * How they came: a bearer token (API, no CSRF needed: browsers never send it by themselves), a cookie, or
   * the Slack app (a mapped Slack user, console/slack-app/).
   */
  via: 'bearer' | 'session' | 'local' | 'slack';
  /** The session's CSRF token: every state-changing form sends it back (absent for bearer requests). */
  csrf?: string | undefined;
}

const rank: Record<ConsoleRole, number> = { viewer: 0, operator: 1, admin: 2 };
/** True when `who` holds `role` or a higher one. */
export const mayAct = (who: Principal, role: ConsoleRole): boolean => rank[who.role] >= rank[role];

interface ResolvedToken {
  name: string;
  role: ConsoleRole;
  digest: Buffer;
}

/** How long a console session lasts; signing in again starts a new one. */
const sessionMs = 8 * 60 * 60 * 1000;
export const sessionCookie = 'eh_session';
export const preSignInCookie = 'eh_signin';

const digestOf = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The sign-in rules of one console process: static tokens (resolved once, kept only as digests, compared in
 * constant time) and the key that signs session cookies. A session is `payload.hmac`: the payload names the
 * person, role, expiry and CSRF token (console/session.ts); nothing is stored server-side, and a new sign-in always issues a new
 * session (no fixation: a cookie set before sign-in is never promoted).
 */
export class ConsoleAuth {
  private constructor(
    private readonly tokens: readonly ResolvedToken[],
    private readonly signed: SignedValues,
  ) {}

  static async fromConfig(config: ConsoleConfig | undefined, baseDir: string, now = () => Date.now()) {
    const tokens: ResolvedToken[] = [];
    for (const [i, t] of (config?.tokens ?? []).entries()) {
      const secret = await resolveSecret(t.token, baseDir, `console.tokens[${i}].token`);
      tokens.push({ name: t.name, role: t.role, digest: digestOf(secret) });
    }
    const key = config?.sessionSecret
      ? digestOf(await resolveSecret(config.sessionSecret, baseDir, 'console.sessionSecret'))
      : randomBytes(32);
    return new ConsoleAuth(tokens, new SignedValues(key, now));
  }

  get configured(): boolean {
    return this.tokens.length > 0;
  }

  /** The token's owner, or undefined: every token is compared, so the time taken does not tell which matched. */
  byToken(token: string): Principal | undefined {
    const d = digestOf(token);
    let found: ResolvedToken | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, d)) found ??= t;
    return found ? { name: found.name, role: found.role, via: 'bearer' } : undefined;
  }

  /** A fresh signed session for `who`, with a new CSRF token (which also makes every session value unique). */
  issueSession(who: { name: string; role: ConsoleRole }): string {
    return this.signed.seal({ n: who.name, r: who.role, c: randomBytes(18).toString('base64url') }, sessionMs);
  }

  /** The session's person, or undefined when the cookie is absent, forged, or expired. */
  bySession(cookie: string | undefined): Principal | undefined {
    const opened = this.signed.open(cookie);
    if (!opened.ok) return undefined;
    const s = opened.claims;
    if (typeof s['n'] !== 'string' || typeof s['c'] !== 'string' || !(String(s['r']) in rank)) return undefined;
    return { name: s['n'], role: s['r'] as ConsoleRole, via: 'session', csrf: s['c'] };
  }

  /** Signed values for another purpose (the OpenID Connect flow cookie), under a key derived from the session key. */
  signerFor(purpose: string): SignedValues {
    return this.signed.derive(purpose);
  }
}

/** The request's cookies by name (the first of each name wins). */
export function cookiesOf(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * A cookie the browser keeps from scripts (HttpOnly) and sends only from the console's own pages (Strict).
 * Lax for OpenID Connect sign-in: the provider's redirect back to /auth/callback is a cross-site navigation.
 */
export function setCookie(
  name: string,
  value: string,
  secure: boolean,
  maxAgeSeconds?: number,
  sameSite: 'Strict' | 'Lax' = 'Strict',
): string {
  return [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    `SameSite=${sameSite}`,
    ...(secure ? ['Secure'] : []),
    ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : []),
  ].join('; ');
}

/** Equal strings, compared in constant time (CSRF tokens). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  return timingSafeEqual(digestOf(a), digestOf(b));
}
