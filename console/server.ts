import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { controlResponseSchema, controlSummaryOf, openApiDocument, sweepRequestSchema } from './api-schema';
import {
  ConsoleAuth,
  cookiesOf,
  mayAct,
  preSignInCookie,
  sameSecret,
  sessionCookie,
  setCookie,
  type Principal,
} from './auth';
import { controlDetail, evidenceBlob, overview, type ConsoleSources } from './data';
import type { OidcSignIn } from './oidc';
import { oidcPaths, oidcRoute } from './oidc-routes';
import { consoleCss, errorPage, overviewPage, signInPage } from './pages';
import { controlsFilterOf, controlsPage } from './pages/controls';
import { controlHistory } from './control-history';
import { controlPage } from './pages/control';
import { overviewExtras } from './overview-extras';
import { overviewExtrasHtml } from './pages/overview-extras';
import { reevaluationNotice } from './pages/reevaluation-notice';
import type { ConsoleActions } from './actions';
import { consoleRoutes, type RouteKit } from './routes';
import { catalogApiRoutes } from './routes/catalog-api';
import { systemFilter } from './systems';
import { startConsoleSweep, SweepRefused, type StartSweep } from './sweep-start';

export interface ConsoleOptions {
  sources: ConsoleSources;
  auth: ConsoleAuth;
  /** `--insecure-local`: no sign-in; every request is the single local user, as admin. Loopback only. */
  insecureLocal?: boolean | undefined;
  /** Starts a sweep on the worker (the CLI passes `sweep`'s own start); returns the workflow id. */
  startSweep?: StartSweep | undefined;
  /** Sweep history and cancel, uploads, exports, alert state (console/actions.ts); reading only when absent. */
  actions?: ConsoleActions | undefined;
  /** The largest upload accepted (default 25 MiB); larger ones get 413. */
  maxUploadBytes?: number | undefined;
  log: Logger;
  /** Set Secure on cookies (behind TLS). */
  secureCookies?: boolean | undefined;
  /** OpenID Connect sign-in at /login and /auth/callback (console/oidc.ts), beside the static tokens. */
  oidc?: OidcSignIn | undefined;
}

/**
 * Scripts are never allowed, styles only from the console itself, and nothing may frame it: a string that
 * escaped escaping still could not run. Blobs get a sandbox on top (they are downloads, never rendered).
 */
const csp =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const baseHeaders = {
  'Content-Security-Policy': csp,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request the startSweep callback refuses as bad input (an unknown control glob): answered 400, not 500. */
export class ConsoleInputError extends Error {
  override readonly name = 'ConsoleInputError';
}

const maxBody = 16 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The console's request handler: pages under /, the JSON API under /api/v1/ (console/README in docs). */
export function consoleHandler(options: ConsoleOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { sources, auth, log } = options;
  const secure = options.secureCookies ?? false;

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    extra: Record<string, string | string[]> = {},
  ) => {
    res.writeHead(status, { ...baseHeaders, 'Content-Type': type, ...extra });
    res.end(body);
  };
  const html = (res: ServerResponse, status: number, body: string, extra: Record<string, string | string[]> = {}) =>
    send(res, status, 'text/html; charset=utf-8', body, extra);
  const json = (res: ServerResponse, status: number, body: unknown) =>
    send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

  const principalOf = (req: IncomingMessage): Principal | undefined => {
    if (options.insecureLocal) return { name: 'local', role: 'admin', via: 'local' };
    const authz = req.headers.authorization;
    if (authz !== undefined) return /^Bearer [^\s]+$/.test(authz) ? auth.byToken(authz.slice(7)) : undefined;
    return auth.bySession(cookiesOf(req).get(sessionCookie));
  };

  /** A state-changing request from a cookie session must carry the session's CSRF token (bearer requests need none). */
  const checkCsrf = (who: Principal, given: string | undefined): void => {
    if (who.via === 'session' && !sameSecret(given, who.csrf)) throw new HttpError(403, 'missing or wrong CSRF token');
  };

  // Sweeps, uploads, exports and alerts (console/routes/), lent this server's helpers and checks.
  const routeKit: RouteKit = {
    html,
    json,
    redirect: (res, location) => {
      res.writeHead(303, { ...baseHeaders, Location: location });
      res.end();
    },
    fail: (status, message) => new HttpError(status, message),
    checkCsrf,
    headers: baseHeaders,
    log,
    store: sources.store,
    actions: options.actions,
    maxUploadBytes: options.maxUploadBytes ?? 25 * 1024 * 1024,
  };
  const routes = consoleRoutes(routeKit);

  // Controls (with clauses and AI systems), systems and readiness as JSON (console/routes/catalog-api.ts).
  const catalogApi = catalogApiRoutes(routeKit, sources);

  const sendBlob = async (res: ServerResponse, sha256: string): Promise<void> => {
    const blob = await evidenceBlob(sources, sha256);
    if (!blob) throw new HttpError(404, 'no such evidence blob');
    res.writeHead(200, {
      ...baseHeaders,
      'Content-Security-Policy': `${csp}; sandbox`,
      // Always a download: HTML or SVG evidence is never rendered in the console's origin.
      'Content-Type': blob.mediaType,
      'Content-Disposition': `attachment; filename="${blob.filename}"`,
      'Content-Length': String(blob.size),
    });
    await pipeline(blob.open(), res);
  };

  const startSweep = async (
    who: Principal,
    controls: string | undefined,
    sourceIds?: string[] | undefined,
  ): Promise<string> => {
    try {
      return await startConsoleSweep(options, who, controls, sourceIds);
    } catch (err) {
      if (err instanceof SweepRefused) throw new HttpError(err.status, err.message);
      if (err instanceof ConsoleInputError) throw new HttpError(400, err.message);
      throw err;
    }
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, who: Principal): Promise<void> => {
    const p = url.pathname;
    if (await catalogApi(req, res, url, who)) return;
    let m = /^\/api\/v1\/controls\/([^/]+)$/.exec(p);
    if (req.method === 'GET' && m) {
      const detail = await controlDetail(sources, decodeURIComponent(m[1]!));
      if (!detail) throw new HttpError(404, 'no such control');
      const evidence = detail.evidence.map((e) => ({ ...e, href: `/api/v1/blobs/${e.sha256}` }));
      return json(
        res,
        200,
        controlResponseSchema.parse({
          asOf: detail.asOf,
          control: controlSummaryOf(detail.result),
          evidence,
          ...detail.reevaluation,
        }),
      );
    }
    m = /^\/api\/v1\/blobs\/(.+)$/.exec(p);
    if (req.method === 'GET' && m) return sendBlob(res, m[1]!);
    if (req.method === 'POST' && p === '/api/v1/sweeps') {
      checkCsrf(who, req.headers['x-csrf-token'] as string | undefined);
      let body: unknown;
      try {
        const text = await readBody(req);
        body = text ? JSON.parse(text) : {};
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, 'the body is not JSON');
      }
      const parsed = sweepRequestSchema.safeParse(body);
      if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => i.message).join('; '));
      return json(res, 202, { workflowId: await startSweep(who, parsed.data.controls, parsed.data.sources) });
    }
    if (await routes(req, res, url, who)) return;
    throw new HttpError(404, 'no such API route');
  };

  const pages = async (req: IncomingMessage, res: ServerResponse, url: URL, who: Principal): Promise<void> => {
    const p = url.pathname;
    if (req.method === 'GET' && p === '/') {
      const o = await overview(sources);
      const extra = overviewExtrasHtml(await overviewExtras(sources, sources.readiness, o.asOf, o.results));
      const started = url.searchParams.get('started') ?? undefined;
      return html(
        res,
        200,
        overviewPage(o, who, { allowed: mayAct(who, 'operator'), ...(started ? { started } : {}) }, extra),
      );
    }
    if (req.method === 'GET' && p === '/controls') {
      const { asOf, results, clauses, reevaluation } = await sources.status();
      const f = controlsFilterOf(url);
      const systems = systemFilter(sources.aiSystems ?? false, [...results, ...clauses], f.system);
      if ('problem' in systems) throw new HttpError(400, systems.problem);
      const withSystems = sources.aiSystems ? systems : undefined;
      const notice = reevaluationNotice(asOf, reevaluation);
      return html(res, 200, controlsPage(asOf, results, clauses, f, who, sources.sourcesFeeding, withSystems, notice));
    }
    let m = /^\/controls\/([^/]+)$/.exec(p);
    if (req.method === 'GET' && m) {
      const history = await controlHistory(sources, decodeURIComponent(m[1]!));
      if (!history) throw new HttpError(404, 'no such control');
      return html(res, 200, controlPage(history, who));
    }
    m = /^\/blobs\/(.+)$/.exec(p);
    if (req.method === 'GET' && m) return sendBlob(res, m[1]!);
    if (req.method === 'POST' && p === '/sweeps') {
      const form = new URLSearchParams(await readBody(req));
      checkCsrf(who, form.get('csrf') ?? undefined);
      const controls = form.get('controls')?.trim() || undefined;
      const id = await startSweep(who, controls, form.getAll('sources'));
      res.writeHead(303, { ...baseHeaders, Location: `/sweeps/${encodeURIComponent(id)}` });
      return void res.end();
    }
    if (req.method === 'POST' && (p === '/signout' || p === '/logout')) {
      const form = new URLSearchParams(await readBody(req));
      checkCsrf(who, form.get('csrf') ?? undefined);
      res.writeHead(303, {
        ...baseHeaders,
        Location: '/signin',
        'Set-Cookie': setCookie(sessionCookie, '', secure, 0),
      });
      return void res.end();
    }
    if (await routes(req, res, url, who)) return;
    throw new HttpError(404, 'no such page');
  };

  const sso = options.oidc !== undefined;
  const signIn = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A pre-sign-in token in a cookie and in the form (double submit): another site cannot sign you in as itself.
    if (req.method === 'GET') {
      // Kept when the browser has one: a second load of the form (a redirect from a favicon request, another
      // tab) must not invalidate the form already shown.
      const had = cookiesOf(req).get(preSignInCookie);
      const pre = had && /^[\w-]{24}$/.test(had) ? had : randomBytes(18).toString('base64url');
      return html(res, 200, signInPage(pre, undefined, sso, auth.configured), {
        'Set-Cookie': setCookie(preSignInCookie, pre, secure),
      });
    }
    if (req.method !== 'POST') throw new HttpError(405, 'use GET or POST');
    const form = new URLSearchParams(await readBody(req));
    if (!sameSecret(form.get('csrf') ?? undefined, cookiesOf(req).get(preSignInCookie)))
      throw new HttpError(403, 'missing or wrong CSRF token; reload the sign-in page');
    const who = auth.byToken(form.get('token') ?? '');
    if (!who) {
      const pre = randomBytes(18).toString('base64url');
      return html(res, 401, signInPage(pre, 'That token is not known.', sso, auth.configured), {
        'Set-Cookie': setCookie(preSignInCookie, pre, secure),
      });
    }
    log.info({ who: who.name, role: who.role }, 'console sign-in');
    res.writeHead(303, {
      ...baseHeaders,
      Location: '/',
      'Set-Cookie': [
        setCookie(sessionCookie, auth.issueSession(who), secure),
        setCookie(preSignInCookie, '', secure, 0),
      ],
    });
    res.end();
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const isApi = url.pathname.startsWith('/api/');
    const handle = async (): Promise<void> => {
      if (req.method === 'GET' && url.pathname === '/static/console.css')
        return send(res, 200, 'text/css; charset=utf-8', consoleCss, { 'Cache-Control': 'max-age=300' });
      if (req.method === 'GET' && url.pathname === '/api/v1/openapi.json') return json(res, 200, openApiDocument());
      if (url.pathname === '/signin' && !options.insecureLocal) return signIn(req, res);
      if (options.oidc && !options.insecureLocal && oidcPaths.has(url.pathname))
        return oidcRoute(req, res, url, { oidc: options.oidc, auth, log, secure, headers: baseHeaders });
      const who = principalOf(req);
      if (!who) {
        if (isApi || req.method !== 'GET' || req.headers.authorization !== undefined)
          throw new HttpError(401, 'sign in first: send Authorization: Bearer <token>');
        res.writeHead(303, { ...baseHeaders, Location: '/signin' });
        return void res.end();
      }
      return isApi ? api(req, res, url, who) : pages(req, res, url, who);
    };
    handle().catch((err: unknown) => {
      // Bad input found by the CLI's own code behind an action (unknown topic, bad window): the caller's to fix.
      const known = err instanceof HttpError || err instanceof ConsoleInputError;
      const status = err instanceof HttpError ? err.status : known ? 400 : 500;
      const message = known ? err.message : 'internal error (see the console log)';
      if (status === 500) log.error({ err, path: url.pathname }, 'console request failed');
      if (res.headersSent) return void res.destroy();
      if (isApi || req.headers.authorization !== undefined) json(res, status, { error: message });
      else html(res, status, errorPage(status, message, principalOf(req)));
    });
  };
}

/** Listens on `host:port`; resolves with the server once it accepts connections (port 0 picks a free one). */
export async function startConsole(options: ConsoleOptions, host: string, port: number): Promise<Server> {
  const server = createServer(consoleHandler(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
