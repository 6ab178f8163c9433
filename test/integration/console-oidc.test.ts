import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esc } from '../../evidence/export/html';
import { consoleWithOidc, flowClaims, oidcViewerToken, type OidcConsoleFixture } from '../support/console-oidc-fixture';
import { oidcAccounts, signInAtProvider } from '../support/oidc-provider';
import { suiteDir } from '../support/tmp';

interface Answer {
  status: number;
  location: string | null;
  setCookie: string[];
  body: string;
}

async function get(url: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', ...init, headers: { ...headers, ...(init.headers ?? {}) } });
  return {
    status: res.status,
    location: res.headers.get('location'),
    setCookie: res.headers.getSetCookie(),
    body: await res.text(),
  };
}

const cookieLine = (a: Answer, name: string) => a.setCookie.find((c) => c.startsWith(`${name}=`));
const cookieValue = (a: Answer, name: string): string => {
  const line = cookieLine(a, name);
  if (!line) throw new Error(`no ${name} cookie in ${JSON.stringify(a.setCookie)}`);
  return line.slice(name.length + 1).split(';')[0]!;
};
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

describe('OpenID Connect sign-in to the console, at a real provider (oidc-provider) on loopback', () => {
  let fx: OidcConsoleFixture;

  /** GET /login: the provider's authorization URL and the flow cookie. */
  const begin = async () => {
    const login = await get(`${fx.base}/login`);
    expect(login.status).toBe(303);
    return { authorizationUrl: login.location!, flow: cookieValue(login, 'eh_oidc'), answer: login };
  };
  /** A whole sign-in up to the provider's redirect back (not yet delivered to the console). */
  const atProvider = async (account: keyof typeof oidcAccounts) => {
    const started = await begin();
    return { ...started, callback: await signInAtProvider(started.authorizationUrl, account, fx.redirectUrl) };
  };
  const deliver = (callback: URL, cookie: string) => get(callback.href, { Cookie: cookie });
  /** Signs `account` in and returns the session cookie header and its CSRF token. */
  const signedIn = async (account: keyof typeof oidcAccounts) => {
    const { callback, flow } = await atProvider(account);
    const done = await deliver(callback, `eh_oidc=${flow}`);
    expect([done.status, done.location], done.body).toEqual([303, '/']);
    const cookie = `eh_session=${cookieValue(done, 'eh_session')}`;
    const overview = await get(`${fx.base}/`, { Cookie: cookie });
    expect(overview.status).toBe(200);
    return { cookie, csrf: csrfOf(overview.body), overview: overview.body };
  };

  beforeAll(async () => {
    fx = await consoleWithOidc(await suiteDir());
  });
  afterAll(async () => {
    await fx?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('sends /login to the provider with PKCE (S256), state and nonce, remembered in a signed Lax cookie', async () => {
    const { authorizationUrl, answer } = await begin();
    const url = new URL(authorizationUrl);
    expect(url.origin).toBe(fx.idp.issuer);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('redirect_uri')).toBe(fx.redirectUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('scope')).toBe('openid email profile groups');
    const claims = flowClaims(cookieValue(answer, 'eh_oidc'));
    expect([claims['s'], claims['n']]).toEqual([url.searchParams.get('state'), url.searchParams.get('nonce')]);
    // The verifier itself never leaves the console's cookie; only its hash went to the provider.
    expect(authorizationUrl).not.toContain(String(claims['v']));
    const line = cookieLine(answer, 'eh_oidc')!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Max-Age=600/);
    expect(line).not.toMatch(/; Secure/); // the console is plain http here; https redirect URLs make it Secure
    // The sign-in page links to it.
    expect((await get(`${fx.base}/signin`)).body).toContain('href="/login"');
  });

  it('signs an operator in with a new session (a planted session cookie is neither kept nor promoted)', async () => {
    const planted = (await fx.authAt(0)).issueSession({ name: 'mallory', role: 'viewer' });
    const { callback, flow } = await atProvider('olga');
    const done = await deliver(callback, `eh_session=${planted}; eh_oidc=${flow}`);
    expect([done.status, done.location]).toEqual([303, '/']);
    const session = cookieValue(done, 'eh_session');
    expect(session).not.toBe(planted);
    const line = cookieLine(done, 'eh_session')!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(cookieLine(done, 'eh_oidc')).toMatch(/^eh_oidc=;.*Max-Age=0/); // the attempt is spent
    const overview = await get(`${fx.base}/`, { Cookie: `eh_session=${session}` });
    expect(overview.body).toContain('olga@example.test (operator)');
    expect(overview.body).toContain('id="start-sweep"');
    // The planted cookie still names only its own holder: signing in did not turn it into olga's session.
    const plantedPage = await get(`${fx.base}/`, { Cookie: `eh_session=${planted}` });
    expect(plantedPage.body).toContain('mallory (viewer)');
    expect(plantedPage.body).not.toContain('olga');
    // A garbage cookie planted before sign-in is ignored the same way.
    const again = await atProvider('olga');
    const withGarbage = await deliver(again.callback, `eh_session=attacker-chosen-id; eh_oidc=${again.flow}`);
    expect(cookieValue(withGarbage, 'eh_session')).not.toBe('attacker-chosen-id');
  });

  it('gives a viewer no sweep button, and answers 403 to their sweep request even with the right CSRF token', async () => {
    const vera = await signedIn('vera');
    expect(vera.overview).toContain('vera@example.test (viewer)');
    expect(vera.overview).not.toContain('id="start-sweep"');
    const api = await get(
      `${fx.base}/api/v1/sweeps`,
      {
        Cookie: vera.cookie,
        'X-CSRF-Token': vera.csrf,
        'Content-Type': 'application/json',
      },
      { method: 'POST', body: '{}' },
    );
    expect(api.status).toBe(403);
    expect(JSON.parse(api.body)).toEqual({ error: 'starting a sweep needs the operator role' });
    // Without the CSRF token the same request is refused before the role is even considered.
    const noCsrf = await get(
      `${fx.base}/api/v1/sweeps`,
      { Cookie: vera.cookie, 'Content-Type': 'application/json' },
      {
        method: 'POST',
        body: '{}',
      },
    );
    expect([noCsrf.status, JSON.parse(noCsrf.body)]).toEqual([403, { error: 'missing or wrong CSRF token' }]);
  });

  it('refuses a provider account the config gives no role (403, a page that says why, no session)', async () => {
    const { callback, flow } = await atProvider('nemo');
    const refused = await deliver(callback, `eh_oidc=${flow}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('You signed in as nemo@example.test, but this console gives that account no role');
    expect(cookieLine(refused, 'eh_session')).toBeUndefined();
  });

  it('refuses an answer whose state is not the one this browser sent, or with no flow cookie at all', async () => {
    const { callback, flow } = await atProvider('olga');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'attacker-state');
    const mismatch = await deliver(forged, `eh_oidc=${flow}`);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('does not belong to the sign-in this browser started (state mismatch)');
    expect(mismatch.body).toContain('<h1>400</h1>');
    expect(cookieLine(mismatch, 'eh_session')).toBeUndefined();
    // Another browser's flow cookie is another state: a code delivered to the wrong browser is refused.
    const other = await begin();
    expect((await deliver(callback, `eh_oidc=${other.flow}`)).body).toContain('state mismatch');
    // The provider's own refusal (the person declined), for this browser's attempt, is shown as such.
    const declined = await begin();
    const state = new URL(declined.authorizationUrl).searchParams.get('state')!;
    const answer = new URL(fx.redirectUrl);
    answer.search = new URLSearchParams({ error: 'access_denied', error_description: '<b>no</b>', state }).toString();
    const refused = await deliver(answer, `eh_oidc=${declined.flow}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('The sign-in provider refused: access_denied (&lt;b&gt;no&lt;/b&gt;)');
    const none = await deliver(callback, '');
    expect(none.status).toBe(400);
    expect(none.body).toContain('This browser did not start this sign-in');
  });

  it('refuses an ID token whose nonce is not the one this attempt sent (a correctly signed flow cookie)', async () => {
    const { callback, flow } = await atProvider('olga');
    const claims = flowClaims(flow);
    // The console's own key signs a flow with the same state and verifier but another nonce: only the ID
    // token's nonce check can catch it.
    const signer = (await fx.authAt(0)).signerFor('oidc-flow');
    const swapped = signer.seal({ s: claims['s'], v: claims['v'], n: 'another-attempts-nonce' }, 60_000);
    const refused = await deliver(callback, `eh_oidc=${swapped}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('was issued for another sign-in (nonce mismatch)');
    expect(cookieLine(refused, 'eh_session')).toBeUndefined();
  });

  it('refuses a tampered or expired flow cookie, and a code used twice', async () => {
    const { callback, flow } = await atProvider('olga');
    const [payload, mac] = flow.split('.');
    const altered = Buffer.from(JSON.stringify({ ...flowClaims(flow), n: 'x' })).toString('base64url');
    const tampered = await deliver(callback, `eh_oidc=${altered}.${mac}`);
    expect([tampered.status, tampered.body.includes('The sign-in cookie was altered')]).toEqual([400, true]);
    expect(payload).toBeDefined();

    const claims = flowClaims(flow);
    const stale = (await fx.authAt(-11 * 60 * 1000))
      .signerFor('oidc-flow')
      .seal({ s: claims['s'], n: claims['n'], v: claims['v'] }, 10 * 60 * 1000);
    const expired = await deliver(callback, `eh_oidc=${stale}`);
    expect([expired.status, expired.body.includes('took longer than 10 minutes')]).toEqual([400, true]);

    // The untouched cookie works once; the provider refuses the same code a second time.
    expect((await deliver(callback, `eh_oidc=${flow}`)).status).toBe(303);
    const replay = await deliver(callback, `eh_oidc=${flow}`);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('answer was refused');
  });

  it('refuses an expired or tampered session cookie, and signs out through /logout (with its CSRF token)', async () => {
    const old = (await fx.authAt(-9 * 60 * 60 * 1000)).issueSession({ name: 'olga@example.test', role: 'operator' });
    expect((await get(`${fx.base}/api/v1/controls`, { Cookie: `eh_session=${old}` })).status).toBe(401);
    const page = await get(`${fx.base}/controls`, { Cookie: `eh_session=${old}` });
    expect([page.status, page.location]).toEqual([303, '/signin']);

    const olga = await signedIn('olga');
    const [payload, mac] = olga.cookie.slice('eh_session='.length).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const promoted = Buffer.from(JSON.stringify({ ...claims, r: 'admin' })).toString('base64url');
    expect((await get(`${fx.base}/api/v1/controls`, { Cookie: `eh_session=${promoted}.${mac}` })).status).toBe(401);

    const form = { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: olga.cookie };
    const noToken = await get(`${fx.base}/logout`, form, { method: 'POST', body: '' });
    expect(noToken.status).toBe(403);
    const out = await get(`${fx.base}/logout`, form, {
      method: 'POST',
      body: new URLSearchParams({ csrf: olga.csrf }).toString(),
    });
    expect([out.status, out.location]).toEqual([303, '/signin']);
    expect(cookieLine(out, 'eh_session')).toMatch(/^eh_session=;.*Max-Age=0/);
  });

  it('shows a provider-supplied name with markup as text on every page', async () => {
    const mallory = await signedIn('mallory');
    const shown = esc(oidcAccounts.mallory.email);
    for (const p of ['/', '/controls', '/controls/A.3.2']) {
      const page = await get(`${fx.base}${p}`, { Cookie: mallory.cookie });
      expect(page.status, p).toBe(200);
      expect(page.body, p).toContain(`${shown} (viewer)`);
      expect(page.body, p).not.toMatch(/<img/i);
    }
  });

  it('keeps static bearer tokens working beside OpenID Connect', async () => {
    const res = await get(`${fx.base}/api/v1/controls`, { Authorization: `Bearer ${oidcViewerToken}` });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { controls: unknown[] }).controls).toHaveLength(38);
  });
});
