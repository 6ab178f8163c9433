import type { JsonValue } from '../../core/json';
import type { JiraAttachment, JiraHistory, JiraIssue, JiraUser } from './schemas';
import type { JiraIssueKind } from './kinds';

/** A custom field as configured and resolved against GET /rest/api/2/field. */
export interface ResolvedCustomField {
  /** Attribute name from the config (`riskScore`). */
  alias: string;
  id: string;
  name: string;
}

export interface StatusChange {
  at: string;
  from: string | null;
  to: string | null;
  by: string | null;
}

export interface NormalizeContext {
  kind: JiraIssueKind;
  query: string;
  observedAtRule: 'updated' | 'resolved';
  customFields: readonly ResolvedCustomField[];
  /** Base URL of the site, for the issue's browse link. */
  siteUrl: string;
  /** The status's category when the issue's status lacks it (older Data Center): see status-categories.ts. */
  statusCategory?: { key: string | null; from: string | null } | undefined;
}

export interface NormalizedIssue {
  /** The record stored as the artifact's bytes (canonical JSON). */
  record: Record<string, JsonValue>;
  /** What mapping rules select on. */
  attributes: Record<string, JsonValue>;
  observedAt: string;
}

/**
 * The normalized record of one issue. Only facts an auditor asks about are kept: no description or
 * comments (free text, often personal data), no email addresses, no avatar or self links.
 */
export function normalizeIssue(
  issue: JiraIssue,
  histories: readonly JiraHistory[],
  ctx: NormalizeContext,
): NormalizedIssue {
  const f = issue.fields;
  const resolved = f.resolutiondate ?? null;
  const useResolved = ctx.observedAtRule === 'resolved' && resolved !== null;
  const observedAt = useResolved ? resolved : f.updated;
  const statusHistory = statusChanges(histories);
  const custom: Record<string, JsonValue> = {};
  const customRecord: Record<string, JsonValue> = {};
  for (const cf of ctx.customFields) {
    const value = simplifyFieldValue(f[cf.id]);
    custom[cf.alias] = value;
    customRecord[cf.alias] = { field: cf.name, id: cf.id, value };
  }
  const attachments = [...(f.attachment ?? [])].sort(byNumericId).map(attachmentMeta);
  const labels = [...(f.labels ?? [])].sort();
  const components = (f.components ?? []).map((c) => c.name).sort();
  const visited = [
    ...new Set(
      [...statusHistory.flatMap((s) => [s.from, s.to]), f.status?.name ?? null].filter((s): s is string => s !== null),
    ),
  ];
  const common = {
    key: issue.key,
    kind: ctx.kind,
    query: ctx.query,
    project: f.project?.key ?? issue.key.replace(/-\d+$/, ''),
    issueType: f.issuetype?.name ?? null,
    status: f.status?.name ?? null,
    statusCategory: f.status?.statusCategory?.key ?? ctx.statusCategory?.key ?? null,
    resolution: f.resolution?.name ?? null,
    priority: f.priority?.name ?? null,
    assignee: userName(f.assignee),
    reporter: userName(f.reporter),
    created: f.created,
    updated: f.updated,
    resolved,
    labels,
    components,
  };
  const record: Record<string, JsonValue> = {
    ...common,
    id: issue.id,
    summary: f.summary ?? null,
    url: `${ctx.siteUrl}/browse/${issue.key}`,
    projectName: f.project?.name ?? null,
    assigneeId: userId(f.assignee),
    reporterId: userId(f.reporter),
    customFields: customRecord,
    statusHistory: statusHistory.map((s) => ({ ...s })),
    attachments,
    observedAt,
    observedAtFrom: useResolved ? 'resolved' : 'updated',
  };
  const attributes: Record<string, JsonValue> = {
    ...common,
    isResolved: resolved !== null,
    customFields: custom,
    statusesVisited: visited,
    lastStatusChange: statusHistory.at(-1)?.at ?? null,
    // Where statusCategory comes from: the issue, the server's status list, or nowhere (`unsupported`).
    statusCategoryFrom: f.status?.statusCategory ? 'issue' : (ctx.statusCategory?.from ?? null),
    attachmentCount: attachments.length,
    observedAtFrom: useResolved ? 'resolved' : 'updated',
  };
  return { record, attributes, observedAt };
}

/** Status transitions from the changelog, oldest first. */
export function statusChanges(histories: readonly JiraHistory[]): StatusChange[] {
  const out: StatusChange[] = [];
  const ordered = [...histories].sort((a, b) =>
    a.created === b.created ? byNumericId(a, b) : a.created < b.created ? -1 : 1,
  );
  for (const h of ordered) {
    for (const item of h.items) {
      if (item.field !== 'status' || (item.fieldtype !== undefined && item.fieldtype !== 'jira')) continue;
      out.push({ at: h.created, from: item.fromString ?? null, to: item.toString ?? null, by: userName(h.author) });
    }
  }
  return out;
}

function attachmentMeta(a: JiraAttachment): JsonValue {
  return {
    id: a.id,
    filename: a.filename,
    size: a.size,
    mimeType: a.mimeType ?? null,
    created: a.created,
    author: userName(a.author),
  };
}

export function userName(u: JiraUser): string | null {
  return u ? (u.displayName ?? u.name ?? u.accountId ?? null) : null;
}

function userId(u: JiraUser): string | null {
  return u ? (u.accountId ?? u.name ?? u.key ?? null) : null;
}

export function byNumericId(a: { id: string }, b: { id: string }): number {
  const x = Number(a.id);
  const y = Number(b.id);
  if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A custom field's value as people read it: an option's value, a user's name, a cascading select as
 * "parent / child", arrays element by element. Anything else keeps its JSON, without `self` links.
 */
export function simplifyFieldValue(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(simplifyFieldValue);
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o['value'] === 'string') {
      const child = o['child'] as Record<string, unknown> | undefined;
      return child && typeof child['value'] === 'string' ? `${o['value']} / ${child['value']}` : o['value'];
    }
    if (typeof o['displayName'] === 'string') return o['displayName'];
    if (typeof o['name'] === 'string') return o['name'];
    if (typeof o['key'] === 'string') return o['key'];
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(o))
      if (k !== 'self' && k !== 'avatarUrls' && v !== undefined) out[k] = simplifyFieldValue(v);
    return out;
  }
  return null;
}
