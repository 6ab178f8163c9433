import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** The test provider's people: each has a verified e-mail and a `groups` claim the console maps to roles. */
export const oidcAccounts = {
  olga: { email: 'olga@example.test', groups: ['compliance-operators'], name: 'Olga Operator' },
  vera: { email: 'vera@example.test', groups: ['auditors'], name: 'Vera Viewer' },
  nemo: { email: 'nemo@example.test', groups: ['marketing'], name: 'Nemo Nobody' },
  /** An address the provider vouches for, with markup in it: the console must show it as text. */
  mallory: { email: '<img src=x onerror=alert(1)>@example.test', groups: ['auditors'], name: 'Mallory' },
} as const;
export type OidcAccount = keyof typeof oidcAccounts;

export const oidcClient = { id: 'evidence-hub-console', secret: 'console-client-secret-8d1f' } as const;

export interface OidcProviderFixture {
  issuer: string;
  /** Registers the console's redirect URL as the client's only one and starts answering (call once). */
  start(redirectUrl: string): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`, the certified Node implementation) on a free loopback port: one
 * confidential client that must use PKCE, the accounts above, and the provider's own login and consent pages
 * (its development interactions: any password is accepted, the account must exist). The socket listens
 * first so the issuer URL (with its port) is known before the console's config is written; the provider is
 * created once the console's redirect URL is known too.
 */
export async function oidcProviderOnLoopback(): Promise<OidcProviderFixture> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    start(redirectUrl) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: oidcClient.id,
            client_secret: oidcClient.secret,
            redirect_uris: [redirectUrl],
            response_types: ['code'],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        pkce: { required: () => true },
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['name', 'preferred_username'],
          groups: ['groups'],
        },
        scopes: ['openid', 'email', 'profile', 'groups'],
        cookies: { keys: ['evidence-hub-test-provider-cookie-key'] },
        features: { devInteractions: { enabled: true } },
        findAccount: (_ctx, id) => {
          if (!Object.hasOwn(oidcAccounts, id)) return undefined;
          const account = oidcAccounts[id as OidcAccount];
          return {
            accountId: id,
            claims: () => ({
              sub: id,
              preferred_username: id,
              email_verified: true,
              ...account,
              groups: [...account.groups],
            }),
          };
        },
      });
      const handle = provider.callback();
      server.on('request', (req, res) => void handle(req, res));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Signs `account` in at the provider the way a browser's form posts would, without a browser (for the
 * node-level security tests): follows redirects from `authorizationUrl` with a cookie jar, fills the login
 * page and the consent page, and returns the URL the provider sends the browser back to (not followed).
 */
export async function signInAtProvider(authorizationUrl: string, account: string, redirectUrl: string): Promise<URL> {
  const jar = new Map<string, string>();
  let next: { url: URL; method: 'GET' | 'POST'; body?: URLSearchParams } = {
    url: new URL(authorizationUrl),
    method: 'GET',
  };
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(next.body ? { body: next.body.toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim()];
      if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const to = new URL(location, next.url);
      if (to.href.startsWith(redirectUrl)) return to;
      next = { url: to, method: 'GET' };
      continue;
    }
    const page = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    if (res.status !== 200 || !action) throw new Error(`the provider answered ${res.status}: ${page.slice(0, 500)}`);
    const fields = page.includes('name="login"')
      ? { prompt: 'login', login: account, password: 'any' }
      : { prompt: 'consent' };
    next = { url: new URL(action.replace(/&amp;/g, '&'), next.url), method: 'POST', body: new URLSearchParams(fields) };
  }
  throw new Error('the provider never sent the browser back');
}
