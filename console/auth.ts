import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConsoleConfig, ConsoleRole } from '../config/console-schema';
import { resolveSecret } from '../core/secrets';

/** Someone signed in: a static token's name and role (or the single local user of `--insecure-local`). */
export interface Principal {
  name: string;
  role: ConsoleRole;
  /** How they came: a bearer token (API, no CSRF needed: browsers never send it by themselves) or a cookie. */
  via: 'bearer' | 'session' | 'local';
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
 * person, role, expiry and CSRF token; nothing is stored server-side, and a new sign-in always issues a new
 * session (no fixation: a cookie set before sign-in is never promoted).
 */
export class ConsoleAuth {
  private constructor(
    private readonly tokens: readonly ResolvedToken[],
    private readonly key: Buffer,
    private readonly now: () => number,
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
    return new ConsoleAuth(tokens, key, now);
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

  /** A fresh signed session for `who`, with a new CSRF token. */
  issueSession(who: { name: string; role: ConsoleRole }): string {
    const payload = Buffer.from(
      JSON.stringify({ n: who.name, r: who.role, e: this.now() + sessionMs, c: randomBytes(18).toString('base64url') }),
    ).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The session's person, or undefined when the cookie is absent, forged, or expired. */
  bySession(cookie: string | undefined): Principal | undefined {
    if (!cookie) return undefined;
    const [payload, mac] = cookie.split('.');
    if (!payload || !mac) return undefined;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const s = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof s['e'] !== 'number' || s['e'] < this.now()) return undefined;
      if (typeof s['n'] !== 'string' || typeof s['c'] !== 'string' || !(String(s['r']) in rank)) return undefined;
      return { name: s['n'], role: s['r'] as ConsoleRole, via: 'session', csrf: s['c'] };
    } catch {
      return undefined;
    }
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
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

/** A cookie the browser keeps from scripts (HttpOnly) and sends only from the console's own pages (Strict). */
export function setCookie(name: string, value: string, secure: boolean, maxAgeSeconds?: number): string {
  return [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
    ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : []),
  ].join('; ');
}

/** Equal strings, compared in constant time (CSRF tokens). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  return timingSafeEqual(digestOf(a), digestOf(b));
}
