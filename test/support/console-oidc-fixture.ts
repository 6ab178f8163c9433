import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { consoleOptions } from '../../cli/commands/serve';
import { ConsoleAuth } from '../../console/auth';
import { OidcSignIn } from '../../console/oidc';
import { consoleHandler } from '../../console/server';
import { hubIn, quietLog, type HubFixture } from './hub-fixture';
import { oidcClient, oidcProviderOnLoopback, type OidcProviderFixture } from './oidc-provider';

export const oidcSessionSecret = 'oidc-test-session-secret-3c9a';
export const oidcViewerToken = 'oidc-fixture-viewer-token-51d0';

export interface OidcConsoleFixture extends HubFixture {
  idp: OidcProviderFixture;
  base: string;
  redirectUrl: string;
  /** A console auth with the same session secret, its clock shifted by `offsetMs` (to mint expired values). */
  authAt(offsetMs: number): Promise<ConsoleAuth>;
  close(): Promise<void>;
}

/**
 * The console wired as `evidence-hub serve` wires it, with OpenID Connect sign-in at a real provider on
 * loopback (test/support/oidc-provider.ts): `groups` is the role claim, `compliance-operators` are operators,
 * `auditors` viewers; anyone else is refused (no defaultRole). A static viewer token stays configured beside
 * it, and the session secret is a file, so a test can sign values with the console's own key.
 */
export async function consoleWithOidc(
  dir: string,
  /** Extra top-level config lines (temporal:, signing:) and extra sources (list items), for the journey test. */
  extra: { config?: string[]; sources?: string[] } = {},
): Promise<OidcConsoleFixture> {
  const idp = await oidcProviderOnLoopback();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redirectUrl = `${base}/auth/callback`;
  idp.start(redirectUrl);
  process.env['EH_TEST_OIDC_CLIENT_SECRET'] = oidcClient.secret;
  const fx = await hubIn(
    dir,
    [
      'version: 1',
      'store: { path: ./store }',
      ...(extra.config ?? []),
      'sources:',
      '  - { id: docs, type: folder, path: ./org }',
      ...(extra.sources ?? []),
      'console:',
      '  tokens:',
      '    - { name: robot, role: viewer, token: { file: ./viewer.token } }',
      '  sessionSecret: { file: ./session.key }',
      '  oidc:',
      `    issuer: ${idp.issuer}`,
      `    clientId: ${oidcClient.id}`,
      '    clientSecret: { env: EH_TEST_OIDC_CLIENT_SECRET }',
      `    redirectUrl: ${redirectUrl}`,
      '    scopes: [openid, email, profile, groups]',
      '    roleClaim: groups',
      '    roles:',
      '      operator: [compliance-operators]',
      '      viewer: [auditors]',
      '',
    ].join('\n'),
    { 'viewer.token': oidcViewerToken, 'session.key': oidcSessionSecret, 'org/readme.md': 'x' },
  );
  const config = fx.hub.config.console!;
  const auth = await ConsoleAuth.fromConfig(config, fx.hub.config.baseDir);
  const oidc = await OidcSignIn.fromConfig(config.oidc!, fx.hub.config.baseDir, auth.signerFor('oidc-flow'));
  server.on('request', consoleHandler(consoleOptions(fx.hub, auth, quietLog, false, oidc)));
  return {
    ...fx,
    idp,
    base,
    redirectUrl,
    authAt: (offsetMs) => ConsoleAuth.fromConfig(config, fx.hub.config.baseDir, () => Date.now() + offsetMs),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await idp.close();
    },
  };
}

/** The flow cookie's claims (state `s`, nonce `n`, PKCE verifier `v`, expiry `e`): signed, not secret. */
export function flowClaims(cookie: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(cookie.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
