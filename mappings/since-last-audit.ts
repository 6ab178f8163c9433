import { ArtifactBuckets } from './buckets';
import { isDraft } from './documents';
import type { IndexedArtifact } from './indexed-artifact';
import type { MappingSet, Rule } from './load';
import { attributeAt } from './per-change';

/**
 * What every surveillance audit reviews besides the controls: the nonconformities, complaints and changes
 * to the management system since the previous audit. The records are those the rules marked
 * `sinceLastAudit` select (for a per-change rule, its changes too: an open nonconformity is one), dated
 * inside the observation window and known today. Pure.
 */

export const sinceLastAuditHeadings = ['nonconformities', 'complaints', 'changes'] as const;
export type SinceLastAuditHeading = (typeof sinceLastAuditHeadings)[number];

export interface WindowRecord {
  /** The artifact id (a document path, a Jira key, an upload) and its newest version in the window. */
  id: string;
  observedAt: string;
  rule: string;
  source: string;
  sourceType: string;
  kind: string;
  /** How the record names itself: Jira key, document path or upload topic, when it has one. */
  name?: string;
  /** Its own status attribute (front matter `status`, Jira `status`), when it has one. */
  status?: string;
  /** Its due date, read from the rule's `perChange.due` attribute, when it has one. */
  due?: string;
}

export type SinceLastAudit = Record<SinceLastAuditHeading, WindowRecord[]>;

export function sinceLastAudit(input: {
  artifacts: readonly IndexedArtifact[] | ArtifactBuckets;
  mappings: Pick<MappingSet, 'rules'>;
  window: { from: Date; to: Date };
  today: Date;
}): SinceLastAudit {
  const buckets = input.artifacts instanceof ArtifactBuckets ? input.artifacts : ArtifactBuckets.of(input.artifacts);
  const from = input.window.from.getTime();
  const today = input.today.getTime();
  const to = Math.min(input.window.to.getTime(), today);
  const out: SinceLastAudit = { nonconformities: [], complaints: [], changes: [] };
  for (const heading of sinceLastAuditHeadings) {
    // Newest version of each record in the window; one record two rules select is listed once.
    const newest = new Map<string, { a: IndexedArtifact; rule: Rule }>();
    for (const rule of input.mappings.rules.filter((r) => r.sinceLastAudit === heading)) {
      const f = rule.freshness;
      const scopes = f.type === 'perChange' ? [...rule.scopes, ...f.changeScopes] : rule.scopes;
      const selects = (a: IndexedArtifact) => rule.matches(a) || (f.type === 'perChange' && f.changes(a));
      for (const a of buckets.candidates(scopes)) {
        if (a.observedAt < from || a.observedAt > to || a.collectedAt > today || isDraft(a) || !selects(a)) continue;
        const known = newest.get(a.id);
        if (!known || a.observedAt > known.a.observedAt) newest.set(a.id, { a, rule });
      }
    }
    out[heading] = [...newest.values()]
      .map(({ a, rule }) => windowRecord(a, rule))
      .sort((x, y) => x.observedAt.localeCompare(y.observedAt) || x.id.localeCompare(y.id));
  }
  return out;
}

function windowRecord(a: IndexedArtifact, rule: Rule): WindowRecord {
  const name = firstString(a, ['key', 'path', 'topic']);
  const status = firstString(a, ['frontMatter.status', 'status']);
  const due = rule.freshness.type === 'perChange' && rule.freshness.due ? dateText(a, rule.freshness.due) : undefined;
  return {
    id: a.id,
    observedAt: new Date(a.observedAt).toISOString(),
    rule: rule.id,
    source: a.source,
    sourceType: a.sourceType,
    kind: a.kind,
    ...(name !== undefined ? { name } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(due !== undefined ? { due } : {}),
  };
}

function firstString(a: IndexedArtifact, paths: readonly string[]): string | undefined {
  for (const p of paths) {
    const v = attributeAt(a.attributes, p);
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

function dateText(a: IndexedArtifact, path: string): string | undefined {
  const v = attributeAt(a.attributes, path);
  return typeof v === 'string' ? v : undefined;
}
