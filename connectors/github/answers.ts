import type { z } from 'zod';

// Pure readings of GitHub's answers (headers, error bodies), shared by the client's request and error paths.

export interface OctokitError {
  status: number;
  message: string;
  request?: { url?: string; method?: string };
  response?: { headers?: Record<string, string | undefined>; data?: unknown; url?: string };
  cause?: unknown;
}

export function rateLimitKind(
  status: number,
  headers: Record<string, string | undefined>,
  message: string,
): 'primary' | 'secondary' | undefined {
  if (status !== 403 && status !== 429) return undefined;
  if (headers['x-ratelimit-remaining'] === '0') return 'primary';
  if (/secondary rate/i.test(message)) return 'secondary';
  return undefined;
}

/** Retry-After in seconds: delta-seconds or an HTTP date. */
export function retryAfterSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The `rel="next"` target of a Link header. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (m && /\brel="?([^"]*\s)?next(\s[^"]*)?"?/.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

export function cleanHeaders(h: Record<string, string | number | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k.toLowerCase()] = String(v);
  return out;
}

export function messageOf(e: OctokitError): string {
  const data = e.response?.data;
  if (
    data &&
    typeof data === 'object' &&
    'message' in data &&
    typeof (data as { message: unknown }).message === 'string'
  ) {
    return (data as { message: string }).message;
  }
  return e.message.split(' - ')[0] ?? e.message;
}

export function errorText(e: OctokitError): string {
  const cause = e.cause instanceof Error ? e.cause.message : undefined;
  return cause && cause !== e.message ? `${e.message} (${cause})` : e.message;
}

export function summarizeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Names what is missing, from the headers GitHub sends with a 403. */
export function missingPermission(headers: Record<string, string>, isApp: boolean): string {
  const sso = headers['x-github-sso'];
  if (sso) {
    const url = /url=(\S+)/.exec(sso)?.[1];
    return `the token is not authorized for the organisation's SAML single sign-on${url ? `; authorize it at ${url}` : ''}`;
  }
  const needed = headers['x-accepted-github-permissions'];
  const accepted = headers['x-accepted-oauth-scopes'];
  const has = headers['x-oauth-scopes'];
  const parts: string[] = [];
  if (needed) {
    const who = isApp
      ? 'the GitHub App installation lacks the permission'
      : 'the token lacks the fine-grained permission';
    parts.push(`${who} ${needed.split(/\s*;\s*/).join(' or ')} (x-accepted-github-permissions)`);
  }
  if (accepted !== undefined && has !== undefined) {
    const want = accepted.trim() === '' ? 'no particular scope' : `one of the OAuth scopes [${accepted}]`;
    parts.push(`this endpoint accepts ${want}; the token has [${has}]`);
  }
  if (parts.length === 0)
    parts.push(
      'the credentials lack access to this resource (GitHub named no permission); see connectors/github/README.md for what each evidence kind needs',
    );
  return parts.join('; ');
}
