import * as client from 'openid-client';
import type { ConsoleOidcConfig, ConsoleRole } from '../config/console-schema';
import { resolveSecret } from '../core/secrets';
import { sameSecret } from './auth';
import { oidcPerson } from './oidc-roles';
import type { SignedValues } from './session';

/** The cookie that carries one sign-in attempt's state, nonce and PKCE verifier from /login to /auth/callback. */
export const oidcFlowCookie = 'eh_oidc';
/** How long a person may spend at the provider before the attempt is void. */
export const oidcFlowMs = 10 * 60 * 1000;

/** Why an OpenID Connect sign-in was refused; each has its own page, so a person knows what to do next. */
export type OidcFailure =
  | 'flow-missing'
  | 'flow-expired'
  | 'flow-forged'
  | 'provider-error'
  | 'state-mismatch'
  | 'nonce-mismatch'
  | 'rejected-response'
  | 'provider-unreachable'
  | 'no-role';

export class OidcSignInError extends Error {
  override readonly name = 'OidcSignInError';
  constructor(
    readonly failure: OidcFailure,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const startAgain = 'Start again at /login.';

/** The claim a JWT claim comparison failed on, from openid-client's error and its causes. */
function failedClaim(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const claim = (e.cause as { claim?: unknown } | undefined)?.claim;
    if (typeof claim === 'string') return claim;
  }
  return undefined;
}

/**
 * OpenID Connect sign-in (authorization code with PKCE) through `openid-client`. The provider is discovered
 * on the first sign-in, not at start: the console serves static-token users and reads while the provider is
 * down. Each attempt's state, nonce and PKCE verifier travel in a signed, short-lived cookie, so nothing is
 * kept on the server and the callback accepts only the answer to the attempt this browser started.
 */
export class OidcSignIn {
  private discovered: Promise<client.Configuration> | undefined;

  private constructor(
    private readonly config: ConsoleOidcConfig,
    private readonly clientSecret: string | undefined,
    private readonly flow: SignedValues,
  ) {}

  /** Resolves the client secret now, so a missing one stops `serve` at start rather than at the first sign-in. */
  static async fromConfig(config: ConsoleOidcConfig, baseDir: string, flow: SignedValues): Promise<OidcSignIn> {
    const secret = config.clientSecret
      ? await resolveSecret(config.clientSecret, baseDir, 'console.oidc.clientSecret')
      : undefined;
    return new OidcSignIn(config, secret, flow);
  }

  /** Cookies get Secure when the provider sends people back over https (the console is behind TLS). */
  get secureCookies(): boolean {
    return new URL(this.config.redirectUrl).protocol === 'https:';
  }

  private provider(): Promise<client.Configuration> {
    const issuer = new URL(this.config.issuer);
    this.discovered ??= client
      .discovery(
        issuer,
        this.config.clientId,
        undefined,
        this.clientSecret !== undefined ? client.ClientSecretBasic(this.clientSecret) : client.None(),
        // The schema allows http:// only on loopback (a provider beside the hub, as in the tests).
        { timeout: 10, ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}) },
      )
      .catch((err: unknown) => {
        this.discovered = undefined; // the next sign-in tries again
        throw new OidcSignInError(
          'provider-unreachable',
          502,
          `The sign-in provider ${issuer.href} could not be reached or did not answer as an OpenID provider (${(err as Error).message}). Try again later, or tell the console's administrator.`,
        );
      });
    return this.discovered;
  }

  /** A new attempt: where to send the browser, and the signed cookie that remembers the attempt. */
  async begin(): Promise<{ location: string; flowCookie: string }> {
    const provider = await this.provider();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const location = client.buildAuthorizationUrl(provider, {
      redirect_uri: this.config.redirectUrl,
      scope: this.config.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { location: location.href, flowCookie: this.flow.seal({ s: state, n: nonce, v: verifier }, oidcFlowMs) };
  }

  /**
   * The provider's answer at /auth/callback (its query, as `callback`) checked against the attempt in the flow
   * cookie: state, then (by openid-client) the code exchange with the PKCE verifier, the ID token's signature,
   * issuer, audience, expiry and nonce. The person's claims are the ID token's, completed from userinfo.
   */
  async finish(
    callback: URLSearchParams,
    flowCookie: string | undefined,
  ): Promise<{ name: string; role: ConsoleRole }> {
    const opened = this.flow.open(flowCookie);
    if (!opened.ok) {
      if (opened.why === 'expired')
        throw new OidcSignInError('flow-expired', 400, `The sign-in took longer than 10 minutes. ${startAgain}`);
      if (opened.why === 'forged')
        throw new OidcSignInError('flow-forged', 400, `The sign-in cookie was altered. ${startAgain}`);
      throw new OidcSignInError(
        'flow-missing',
        400,
        `This browser did not start this sign-in (or did not keep its cookie). ${startAgain}`,
      );
    }
    const { s: state, n: nonce, v: verifier } = opened.claims;
    if (typeof state !== 'string' || typeof nonce !== 'string' || typeof verifier !== 'string')
      throw new OidcSignInError('flow-forged', 400, `The sign-in cookie is not one this console made. ${startAgain}`);
    if (!sameSecret(callback.get('state') ?? undefined, state))
      throw new OidcSignInError(
        'state-mismatch',
        400,
        `The answer from the sign-in provider does not belong to the sign-in this browser started (state mismatch). ${startAgain}`,
      );
    const error = callback.get('error');
    if (error)
      throw new OidcSignInError(
        'provider-error',
        403,
        `The sign-in provider refused: ${error}${callback.get('error_description') ? ` (${callback.get('error_description')})` : ''}. ${startAgain}`,
      );

    const provider = await this.provider();
    // The URL the provider redirected to, rebuilt from the config (behind a proxy the Host header may differ).
    const current = new URL(this.config.redirectUrl);
    current.search = callback.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(provider, current, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      if (failedClaim(err) === 'nonce')
        throw new OidcSignInError(
          'nonce-mismatch',
          400,
          `The sign-in provider's ID token was issued for another sign-in (nonce mismatch). ${startAgain}`,
        );
      throw new OidcSignInError(
        'rejected-response',
        400,
        `The sign-in provider's answer was refused: ${(err as Error).message}. ${startAgain}`,
      );
    }
    const idClaims = tokens.claims()!; // idTokenExpected: openid-client has refused an answer without one
    let userinfo: Record<string, unknown> = {};
    if (provider.serverMetadata().userinfo_endpoint)
      userinfo = await client.fetchUserInfo(provider, tokens.access_token, idClaims.sub);
    // The ID token's claims win over userinfo's where both have one: they are the signed ones.
    const person = oidcPerson({ ...userinfo, ...idClaims }, this.config);
    if (!person.role)
      throw new OidcSignInError(
        'no-role',
        403,
        `You signed in as ${person.name}, but this console gives that account no role. Ask its administrator to list you (or your group) under console.oidc.roles.`,
      );
    return { name: person.name, role: person.role };
  }
}
