import { SourceConfigError } from '../core/errors';
import { withRequestSignal } from './request-signal';

/**
 * HTTP hygiene shared by the fetch-based connectors (GitHub through Octokit, MLflow). Jira's transport
 * applies the same rules to postman-request (connectors/jira/transport.ts).
 */

/** An API page larger than this is not an answer we asked for (GitHub pages are 100 items, MLflow's 1000). */
export const maxJsonBytes = 64 * 1024 * 1024;

/**
 * fetch that follows redirects only within the origin of the request: credentials are configured for
 * one server and must never reach another (fetch drops Authorization on a cross-origin redirect, but
 * still sends the request and reads the other server's answer as if it were the source's). A redirect
 * elsewhere is returned as its 3xx response, for the caller to report with `redirectError`.
 * A caller's signal is followed per request, never handed to fetch itself (see `withRequestSignal`).
 */
export function sameOriginFetch(fetchImpl: typeof fetch = fetch, maxRedirects = 5): typeof fetch {
  const send = withRequestSignal(fetchImpl);
  return async (input, init) => {
    if (input instanceof Request) return send(input, init);
    let url = new URL(input);
    let method = (init?.method ?? 'GET').toUpperCase();
    let body = init?.body ?? null;
    for (let hop = 0; ; hop++) {
      const res = await send(url, { ...init, method, body: body ?? null, redirect: 'manual' });
      const location = isRedirect(res.status) ? res.headers.get('location') : null;
      if (!location) return res;
      const next = new URL(location, url);
      if (next.origin !== url.origin || hop >= maxRedirects) return res;
      await res.body?.cancel();
      // As fetch itself does: 303, and 301/302 after a POST, continue as a GET without a body.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = null;
      }
      url = next;
    }
  };
}

export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Whether a redirect's Location (absolute, relative or protocol-relative) stays on the origin of `from`. */
export function sameOrigin(from: string, location: string | undefined): boolean {
  if (!location) return false;
  try {
    return new URL(location, from).origin === new URL(from).origin;
  } catch {
    return false;
  }
}

/** The error for a redirect `sameOriginFetch` would not follow. */
export function redirectError(
  where: string,
  status: number,
  location: string | null | undefined,
  from: URL,
): SourceConfigError {
  let target = '(no Location)';
  try {
    if (location) target = new URL(location, from).origin;
  } catch {
    target = '(an unreadable Location)';
  }
  return new SourceConfigError(
    `${where} answered ${status}, a redirect to ${target}; requests and credentials go only to ${from.origin}: set the source's URL to the address the server redirects to`,
  );
}

/** Reads a body up to `maxBytes`; undefined as soon as more arrives (it is never buffered past the cap). */
export async function readUpTo(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Buffer | undefined> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The error for an API answer larger than any page: most likely a URL that is not the API. */
export function tooLargeError(where: string, maxBytes: number): SourceConfigError {
  return new SourceConfigError(
    `${where} returned more than ${Math.round(maxBytes / 1048576)} MB, far more than one API page; is the source's URL its API endpoint?`,
  );
}

/**
 * Exponential backoff with jitter for attempt 1, 2, 3 …: a random wait between half and all of
 * min(cap, base × 2^(attempt-1)), so clients retrying the same outage do not come back in step.
 */
export function jitteredBackoffMs(attempt: number, baseMs = 500, capMs = 30_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
