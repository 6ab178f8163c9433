import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { EvidenceStore } from '../../evidence/store';
import type { ConsoleActions } from '../actions';
import type { Principal } from '../auth';

/**
 * What the console's server (server.ts) lends the route modules: its response helpers with the security
 * headers, its CSRF check and its error type (through `fail`), so every route answers the same way.
 */
export interface RouteKit {
  html(res: ServerResponse, status: number, body: string, extra?: Record<string, string | string[]>): void;
  json(res: ServerResponse, status: number, body: unknown): void;
  /** A 303 to a page of the console (after a form post). */
  redirect(res: ServerResponse, location: string): void;
  /** The error to throw: answered with `status` and `message` as JSON (API) or an error page. */
  fail(status: number, message: string): Error;
  checkCsrf(who: Principal, given: string | undefined): void;
  /** The console's security headers, for routes that write their own head (downloads). */
  headers: Record<string, string>;
  log: Logger;
  store: EvidenceStore;
  actions: ConsoleActions | undefined;
  /** The largest upload accepted, in bytes (413 above it). */
  maxUploadBytes: number;
}

/** A route module: answers the request and returns true, or returns false when the path is not its own. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, who: Principal) => Promise<boolean>;

/** The body, up to `limit` bytes: beyond it the request fails with 413 before more is read. */
export async function readBodyLimited(req: IncomingMessage, limit: number, kit: RouteKit): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    throw kit.fail(413, `the upload is larger than the limit of ${limit} bytes`);
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw kit.fail(413, `the upload is larger than the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A urlencoded form body (small: forms other than uploads carry a few fields). */
export async function readForm(req: IncomingMessage, kit: RouteKit): Promise<URLSearchParams> {
  return new URLSearchParams((await readBodyLimited(req, 16 * 1024, kit)).toString('utf8'));
}

/** The actions, or 503 when this console was started without them (reading only). */
export function actionsOf(kit: RouteKit): ConsoleActions {
  if (!kit.actions) throw kit.fail(503, 'this console was started for reading only: no actions are wired');
  return kit.actions;
}
