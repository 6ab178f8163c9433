import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { cookiesOf, sessionCookie, setCookie, type ConsoleAuth } from './auth';
import { oidcFlowCookie, oidcFlowMs, OidcSignInError, type OidcSignIn } from './oidc';
import { errorPage } from './pages';

export interface OidcRouteContext {
  oidc: OidcSignIn;
  auth: ConsoleAuth;
  log: Logger;
  secure: boolean;
  /** The console's security headers (CSP and friends), sent on every answer here too. */
  headers: Record<string, string>;
}

/** The paths this module answers; the console hands them over before asking who is signed in. */
export const oidcPaths: ReadonlySet<string> = new Set(['/login', '/auth/callback']);

/**
 * GET /login sends the browser to the provider with a new attempt; GET /auth/callback takes the provider's
 * answer and, when it checks out, issues a brand-new session (whatever session cookie the browser carried
 * is ignored and replaced: no fixation). Both cookies are SameSite=Lax: the provider's redirect back is a
 * cross-site navigation, on which a Strict cookie would not be sent.
 */
export async function oidcRoute(req: IncomingMessage, res: ServerResponse, url: URL, cx: OidcRouteContext) {
  const clearFlow = setCookie(oidcFlowCookie, '', cx.secure, 0, 'Lax');
  const page = (status: number, message: string) => {
    res.writeHead(status, {
      ...cx.headers,
      'Content-Type': 'text/html; charset=utf-8',
      'Set-Cookie': clearFlow,
    });
    res.end(errorPage(status, message, undefined));
  };
  if (req.method !== 'GET') return page(405, 'Use GET.');
  try {
    if (url.pathname === '/login') {
      const { location, flowCookie } = await cx.oidc.begin();
      res.writeHead(303, {
        ...cx.headers,
        Location: location,
        'Set-Cookie': setCookie(oidcFlowCookie, flowCookie, cx.secure, oidcFlowMs / 1000, 'Lax'),
      });
      return void res.end();
    }
    const who = await cx.oidc.finish(url.searchParams, cookiesOf(req).get(oidcFlowCookie));
    cx.log.info({ who: who.name, role: who.role, via: 'oidc' }, 'console sign-in');
    res.writeHead(303, {
      ...cx.headers,
      Location: '/',
      'Set-Cookie': [setCookie(sessionCookie, cx.auth.issueSession(who), cx.secure, undefined, 'Lax'), clearFlow],
    });
    res.end();
  } catch (err) {
    if (!(err instanceof OidcSignInError)) throw err;
    cx.log.warn({ failure: err.failure, path: url.pathname }, 'console OpenID Connect sign-in refused');
    page(err.status, err.message);
  }
}
