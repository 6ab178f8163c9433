import { describe, expect, it } from 'vitest';
import { consoleOidcSchema } from '../../config/console-schema';
import { OidcSignIn } from '../../console/oidc';
import { oidcPerson } from '../../console/oidc-roles';
import { SignedValues } from '../../console/session';

const base = {
  issuer: 'https://login.example.com/realms/acme',
  clientId: 'evidence-hub',
  redirectUrl: 'https://hub.example.com/auth/callback',
};
const config = (extra: Record<string, unknown> = {}) => consoleOidcSchema.parse({ ...base, ...extra });

describe('roles of an OpenID Connect sign-in', () => {
  const mapped = config({
    roleClaim: 'groups',
    roles: { admin: ['hub-admins', 'Boss@Example.com'], operator: ['compliance'], viewer: ['auditors'] },
  });

  it('takes the highest role any claim value or verified e-mail maps to', () => {
    expect(oidcPerson({ sub: '1', email: 'a@x', groups: ['auditors', 'compliance'] }, mapped)).toEqual({
      name: 'a@x',
      role: 'operator',
    });
    expect(oidcPerson({ sub: '1', groups: 'auditors' }, mapped)).toEqual({ name: '1', role: 'viewer' });
    expect(oidcPerson({ sub: '1', email: 'boss@example.com', email_verified: true, groups: [] }, mapped).role).toBe(
      'admin',
    );
  });

  it('ignores an unverified e-mail, values of other claims, and non-string values', () => {
    expect(oidcPerson({ sub: '1', email: 'boss@example.com', groups: [] }, mapped).role).toBeUndefined();
    expect(oidcPerson({ sub: '1', email: 'boss@example.com', email_verified: 'true' }, mapped).role).toBeUndefined();
    expect(oidcPerson({ sub: '1', roles: ['hub-admins'] }, mapped).role).toBeUndefined();
    expect(oidcPerson({ sub: '1', groups: [{ name: 'hub-admins' }, 7] }, mapped).role).toBeUndefined();
  });

  it('without a roles mapping, reads role names from the claim; nobody matched gets defaultRole or none', () => {
    const direct = config({ roleClaim: 'console_role' });
    expect(oidcPerson({ sub: 'u', preferred_username: 'ulla', console_role: 'admin' }, direct)).toEqual({
      name: 'ulla',
      role: 'admin',
    });
    expect(oidcPerson({ sub: 'u', console_role: 'superuser' }, direct).role).toBeUndefined();
    expect(oidcPerson({ sub: 'u' }, config({ defaultRole: 'viewer' })).role).toBe('viewer');
    expect(oidcPerson({ sub: 'u' }, config()).role).toBeUndefined();
  });
});

describe('console.oidc config', () => {
  const problems = (extra: Record<string, unknown>) =>
    consoleOidcSchema.safeParse({ ...base, ...extra }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('defaults the scopes, and refuses plain http to a provider that is not on loopback', () => {
    expect(config().scopes).toEqual(['openid', 'email', 'profile']);
    expect(problems({ issuer: 'http://login.example.com' })).toEqual([
      'issuer: the issuer must be an https:// URL (http:// only on 127.0.0.1, localhost or [::1])',
    ]);
    expect(problems({ issuer: 'http://127.0.0.1:9000' })).toBeUndefined();
  });

  it('marks cookies Secure exactly when people come back over https', async () => {
    const signer = new SignedValues(Buffer.alloc(32), () => 0);
    expect((await OidcSignIn.fromConfig(config(), '/', signer)).secureCookies).toBe(true);
    const local = config({ redirectUrl: 'http://127.0.0.1:8080/auth/callback' });
    expect((await OidcSignIn.fromConfig(local, '/', signer)).secureCookies).toBe(false);
  });

  it('refuses a redirect URL that is not /auth/callback, scopes without openid, a secret written inline', () => {
    expect(problems({ redirectUrl: 'https://hub.example.com/callback' })).toEqual([
      'redirectUrl: must end in /auth/callback',
    ]);
    expect(problems({ scopes: ['email'] })).toEqual(['scopes: must include openid']);
    expect(problems({ clientSecret: 's3cret' })?.[0]).toMatch(/^clientSecret: expected \{ env: VARIABLE_NAME \}/);
    expect(problems({ roles: { superuser: ['x'] } })?.[0]).toMatch(/^roles: Unrecognized key/);
  });
});

describe('signed values', () => {
  it('refuses a value sealed for another purpose, an altered one, and an expired one', () => {
    let now = 1_000;
    const root = new SignedValues(Buffer.alloc(32, 7), () => now);
    const flow = root.derive('oidc-flow');
    const sealed = flow.seal({ s: 'state' }, 60_000);
    expect(flow.open(sealed)).toEqual({ ok: true, claims: { s: 'state', e: 61_000 } });
    expect(root.open(sealed)).toEqual({ ok: false, why: 'forged' });
    expect(root.derive('session').open(sealed)).toEqual({ ok: false, why: 'forged' });
    expect(flow.open(`${sealed}.x`)).toEqual({ ok: false, why: 'forged' });
    expect(flow.open(undefined)).toEqual({ ok: false, why: 'absent' });
    now = 61_001;
    expect(flow.open(sealed)).toEqual({ ok: false, why: 'expired' });
  });
});
