import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a signed value was not accepted: each gets its own message (an expired sign-in is not an attack). */
export type Unsealed =
  { ok: true; claims: Record<string, unknown> } | { ok: false; why: 'absent' | 'forged' | 'expired' };

/**
 * Values the console hands to the browser and must get back unchanged (the session cookie, the OpenID
 * Connect flow cookie): `base64url(JSON).base64url(HMAC-SHA-256)`, the JSON carrying its expiry as `e` (ms).
 * Nothing is kept on the server, so each purpose gets its own key (`derive`): a value sealed for one purpose
 * can never be accepted as another (a flow cookie is never a session).
 */
export class SignedValues {
  constructor(
    private readonly key: Buffer,
    private readonly now: () => number,
  ) {}

  /** A key of its own for `purpose`, derived from this one. */
  derive(purpose: string): SignedValues {
    return new SignedValues(
      createHmac('sha256', this.key).update(`evidence-hub console:${purpose}`).digest(),
      this.now,
    );
  }

  seal(claims: Record<string, unknown>, ttlMs: number): string {
    const payload = Buffer.from(JSON.stringify({ ...claims, e: this.now() + ttlMs })).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  open(value: string | undefined): Unsealed {
    if (!value) return { ok: false, why: 'absent' };
    const [payload, mac, extra] = value.split('.');
    if (!payload || !mac || extra !== undefined) return { ok: false, why: 'forged' };
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, why: 'forged' };
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, why: 'forged' };
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return { ok: false, why: 'forged' };
    const e = (claims as Record<string, unknown>)['e'];
    if (typeof e !== 'number' || e < this.now()) return { ok: false, why: 'expired' };
    return { ok: true, claims: claims as Record<string, unknown> };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
