import type { ControlCause, EvidenceCause, RuleCause } from '../mappings/causes';
import type { ControlResult } from '../mappings/evaluate';
import type { Route } from './routing';
import type { AlertPolicy } from './types';

/**
 * What makes an alert actionable besides its status: where to look (a link) and whose it is (the owner).
 * Pure: the activity reads the deciding record from the store (activities/alert-details.ts) and hands it in.
 * The next step is written from the cause alone (next-step.ts).
 */

export interface AlertLink {
  url: string;
  /** What the link opens: the control's console page, or the record itself. */
  label: 'console' | 'record';
}

export interface AlertOwner {
  /** As the document or the route names it. */
  name: string;
  /** A Slack mention (`<@U0123ABC>`, `<!subteam^S0123>`) when the owner's Slack id is known. */
  mention?: string;
}

export interface AlertDetails {
  link?: AlertLink;
  owner?: AlertOwner;
}

/** The record that decided a control's status, as the store holds it: its attributes and the URL its record names. */
export interface DecidingRecord {
  id: string;
  attributes: Readonly<Record<string, unknown>>;
  /** The record's own web address (a GitHub html_url, a Jira browse URL), when it has one. */
  url?: string;
}

/** The artifact id of the record that decided the control (the newest of its deciding rule when the cause names none). */
export function decidingRecordId(result: {
  cause: ControlCause | RuleCause;
  newest?: ControlResult['newest'];
}): string | undefined {
  const c = result.cause;
  const rule = c.kind === 'rule' ? c.cause : c.kind === 'not-applicable' || c.kind === 'unmapped' ? undefined : c;
  return (rule ? recordOf(rule) : undefined) ?? result.newest?.id;
}

function recordOf(cause: RuleCause | EvidenceCause): string | undefined {
  switch (cause.kind) {
    case 'current':
    case 'due-soon':
    case 'in-grace':
    case 'too-old':
      return cause.deciding.id;
    case 'version-mismatch':
    case 'undated':
      return cause.record.id;
    case 'design-only':
      return cause.design.id;
    case 'collection-failed':
    case 'source-problems':
      return recordOf(cause.evidence);
    default:
      return undefined;
  }
}

/**
 * The records the alerts of these controls are about: each control's deciding record, and the deciding record
 * of every rule whose own warning may be announced (rule-warnings.ts). What the caller reads from the store.
 */
export function recordIdsFor(results: readonly ControlResult[], controls: ReadonlySet<string>): string[] {
  const ids = new Set<string>();
  for (const r of results) {
    if (!controls.has(r.control.id)) continue;
    for (const x of [r, ...r.rules.filter((rule) => rule.status === 'due-soon')]) {
      const id = decidingRecordId(x);
      if (id !== undefined) ids.add(id);
    }
  }
  return [...ids].sort();
}

/** An absolute http(s) URL, normalised; anything else (relative, javascript:, malformed) is no link at all. */
export function safeHttpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 1000) return undefined;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The console's page of a control (console/server.ts serves `/controls/<id>`), under the configured public URL. */
export function consoleControlUrl(publicUrl: string, controlId: string): string | undefined {
  const base = safeHttpUrl(publicUrl);
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/controls/${encodeURIComponent(controlId)}`;
}

/** Attributes some connectors keep a record's address in; the record's own `url` is read by the activity. */
const urlAttributes = ['url', 'htmlUrl', 'html_url', 'webUrl', 'browseUrl'] as const;

function recordUrl(record: DecidingRecord): string | undefined {
  for (const k of urlAttributes) {
    const url = safeHttpUrl(record.attributes[k]);
    if (url) return url;
  }
  return safeHttpUrl(record.url);
}

const userMention = /^<@[UW][A-Z0-9]+>$/;
const bareUserId = /^[UW][A-Z0-9]{6,}$/;

/** A document's `owner:` front matter (a name, an email, a Slack id, or a list of them). */
function frontMatterOwner(record: DecidingRecord | undefined): string | undefined {
  const fm = record?.attributes['frontMatter'];
  if (!fm || typeof fm !== 'object' || Array.isArray(fm)) return undefined;
  const owner = (fm as Record<string, unknown>)['owner'];
  const names = (Array.isArray(owner) ? owner : [owner]).filter(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  return names.length > 0 ? names.map((n) => n.trim()).join(', ') : undefined;
}

/**
 * The owner: the deciding document's `owner:` (mentioned when it is a Slack user id or listed in
 * `alerts.slack.owners`), else the control's route mention (alerts.slack.routes / defaultMention).
 */
export function ownerOf(
  record: DecidingRecord | undefined,
  route: Route,
  owners: Readonly<Record<string, string>> = {},
): AlertOwner | undefined {
  const name = frontMatterOwner(record);
  if (name !== undefined) {
    const mention = userMention.test(name)
      ? name
      : bareUserId.test(name)
        ? `<@${name}>`
        : Object.hasOwn(owners, name)
          ? owners[name]
          : undefined;
    return { name, ...(mention !== undefined ? { mention } : {}) };
  }
  return route.mention !== undefined ? { name: route.mention, mention: route.mention } : undefined;
}

/**
 * Link and owner of one control's alert. The link is the control's console page when `console.publicUrl` is
 * set, else the deciding record's own URL, else none: never a guessed address that might not resolve.
 */
export function alertDetails(
  controlId: string,
  record: DecidingRecord | undefined,
  route: Route,
  policy: Pick<AlertPolicy, 'consoleUrl' | 'owners' | 'consolePages'>,
): AlertDetails {
  const hasPage = policy.consolePages === undefined || policy.consolePages.has(controlId);
  const consoleUrl =
    policy.consoleUrl !== undefined && hasPage ? consoleControlUrl(policy.consoleUrl, controlId) : undefined;
  const ownUrl = record ? recordUrl(record) : undefined;
  const link: AlertLink | undefined = consoleUrl
    ? { url: consoleUrl, label: 'console' }
    : ownUrl
      ? { url: ownUrl, label: 'record' }
      : undefined;
  const owner = ownerOf(record, route, policy.owners);
  return { ...(link ? { link } : {}), ...(owner ? { owner } : {}) };
}
