import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { isRedirect, sameOrigin } from '../http-limits';

/**
 * The HTTP layer under jira-client. jira-client builds every request (URL, auth, JSON body) and hands it
 * to its `request` option; its default turns any HTTP error into `new Error(JSON.stringify(body))`, which
 * loses the status code and the Retry-After header the connector needs. This transport sends the request
 * with postman-request, the library jira-client itself depends on (same proxy, TLS and auth behaviour),
 * and resolves with the whole outcome instead: status, headers and raw body bytes. It never rejects,
 * so jira-client passes the outcome through untouched and the connector decides what it means.
 */
export type HttpOutcome =
  | {
      readonly [outcomeBrand]: true;
      kind: 'response';
      method: string;
      url: string;
      status: number;
      headers: IncomingHttpHeaders;
      body: Buffer;
    }
  | { readonly [outcomeBrand]: true; kind: 'network-error'; method: string; url: string; error: Error }
  | { readonly [outcomeBrand]: true; kind: 'too-large'; method: string; url: string; limit: number }
  | { readonly [outcomeBrand]: true; kind: 'aborted'; method: string; url: string };

const outcomeBrand = Symbol('jira-http-outcome');

export function isHttpOutcome(value: unknown): value is HttpOutcome {
  return typeof value === 'object' && value !== null && outcomeBrand in value;
}

/** Request options as jira-client builds them (makeRequestHeader merged with the auth base options). */
interface JiraClientRequestOptions {
  uri: string;
  method?: string;
  json?: boolean;
  body?: unknown;
  encoding?: null | string;
  auth?: { user?: string; pass?: string; bearer?: string; sendImmediately?: boolean };
  timeout?: number;
  rejectUnauthorized?: boolean;
  ca?: string;
  followAllRedirects?: boolean;
  headers?: Record<string, string>;
}

interface PostmanRequest {
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  abort(): void;
}
type PostmanRequestFn = (
  options: Record<string, unknown>,
  callback: (error: Error | null, response: IncomingMessage | undefined, body: unknown) => void,
) => PostmanRequest;

let postmanRequest: PostmanRequestFn | undefined;

/** Resolved from jira-client's own location, so it is the copy jira-client was installed with. */
function loadPostmanRequest(): PostmanRequestFn {
  postmanRequest ??= createRequire(require.resolve('jira-client'))('postman-request') as PostmanRequestFn;
  return postmanRequest;
}

export interface TransportLimits {
  /** Largest JSON body accepted (a page of issues with changelogs). */
  maxJsonBytes: number;
  /** Largest binary body (an attachment download, `encoding: null`). */
  maxBinaryBytes: number;
}

export class JiraTransport {
  /** Aborts in-flight requests of the current collection. */
  signal: AbortSignal | undefined;

  constructor(private readonly limits: TransportLimits) {}

  /** The function given to jira-client as its `request` option. */
  readonly request = (options: JiraClientRequestOptions): Promise<HttpOutcome> => this.send(options);

  private async send(options: JiraClientRequestOptions): Promise<HttpOutcome> {
    const outcome = await this.sendOnce(options);
    const binary = options.encoding === null && options.json === false;
    return binary ? this.followToStorage(outcome, options) : outcome;
  }

  /**
   * Jira Cloud answers an attachment download with a redirect to Atlassian's media service, whose URL
   * carries its own short-lived token. Such a redirect is followed, but as a new anonymous GET: nothing
   * of the Jira request (Authorization, cookies, headers) goes along, and never from https to http. The
   * outcome keeps the Jira URL, so the provenance records the attachment, not the signed media URL.
   * API (JSON) requests never leave the configured origin.
   */
  private async followToStorage(first: HttpOutcome, options: JiraClientRequestOptions): Promise<HttpOutcome> {
    let outcome = first;
    for (let hop = 0; hop < 3 && outcome.kind === 'response'; hop++) {
      const location = isRedirect(outcome.status) ? headerValue(outcome.headers.location) : undefined;
      if (!location) break;
      let from: URL;
      let to: URL;
      try {
        from = new URL(outcome.url);
        to = new URL(location, from);
      } catch {
        break;
      }
      if (to.origin === from.origin || (from.protocol === 'https:' && to.protocol !== 'https:')) break;
      const next = await this.sendOnce({
        uri: to.href,
        method: 'GET',
        json: false,
        encoding: null,
        headers: {},
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized } : {}),
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      });
      outcome = { ...next, url: first.url };
    }
    return outcome;
  }

  private sendOnce(options: JiraClientRequestOptions): Promise<HttpOutcome> {
    const method = (options.method ?? 'GET').toUpperCase();
    const url = options.uri;
    const binary = options.encoding === null && options.json === false;
    const limit = binary ? this.limits.maxBinaryBytes : this.limits.maxJsonBytes;
    const headers: Record<string, string> = { ...options.headers, Accept: binary ? '*/*' : 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }
    const signal = this.signal;
    return new Promise<HttpOutcome>((resolve) => {
      const base = { [outcomeBrand]: true as const, method, url };
      if (signal?.aborted) return resolve({ ...base, kind: 'aborted' });
      let settled = false;
      function settle(outcome: HttpOutcome): void {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      }
      function onAbort(): void {
        settle({ ...base, kind: 'aborted' });
        req.abort();
      }
      const req = loadPostmanRequest()(
        {
          uri: url,
          method,
          headers,
          body,
          json: false, // the body is parsed and validated by the connector, which can then name the endpoint
          encoding: null,
          auth: options.auth,
          timeout: options.timeout,
          rejectUnauthorized: options.rejectUnauthorized,
          ca: options.ca,
          followAllRedirects: options.followAllRedirects,
          // Redirects are followed only within the configured origin: postman-request keeps the
          // Authorization header when only the port changes, and would read another host's answer.
          // A refused redirect comes back as its 3xx response, which the client reports as an error.
          followRedirect: (response: IncomingMessage) => sameOrigin(url, response.headers.location),
        },
        (error, response, responseBody) => {
          if (error) return settle({ ...base, kind: 'network-error', error });
          settle({
            ...base,
            kind: 'response',
            status: response?.statusCode ?? 0,
            headers: response?.headers ?? {},
            body: Buffer.isBuffer(responseBody) ? responseBody : Buffer.from(String(responseBody ?? '')),
          });
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      let received = 0;
      req.on('data', (chunk) => {
        received += chunk.length;
        if (received > limit && !settled) {
          settle({ ...base, kind: 'too-large', limit });
          req.abort();
        }
      });
    });
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
