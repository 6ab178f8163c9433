import { dateKinds, type ControlCause, type DateKind, type RuleCause } from './causes';
import { dateSourceOf } from './documents';
import type { SelectableArtifact } from './select';

export { dateKinds, type DateKind } from './causes';

/**
 * Which kind of date a record's `observedAt` is (the kinds and their meaning: causes.ts `dateKinds`).
 * Documents say it through the document date logic (documents.ts `dateSource`), other records through
 * their connector's `observedAtFrom` attribute.
 */

/** Connectors' `observedAtFrom` values by the kind of date they give. */
const fromAttribute: Readonly<Record<string, DateKind>> = {
  published_at: 'published',
  created_at: 'event',
  merged_at: 'event',
  updated_at: 'event',
  updated: 'event',
  resolved: 'event',
  run: 'event',
  'last-event': 'event',
  last_updated_timestamp: 'event',
  'response-date': 'snapshot',
  collection: 'snapshot',
  'last-commit': 'committed',
  mtime: 'file-time',
  'last-modified': 'file-time',
  'sidecar:effective_date': 'effective',
};

const isDateKind = (v: string): v is DateKind => (dateKinds as readonly string[]).includes(v);

/** The kind of a record's date: its document date source first, then its connector's `observedAtFrom`. */
export function dateKindOf(a: Pick<SelectableArtifact, 'attributes'>): DateKind {
  const source = dateSourceOf(a);
  if (source !== undefined && isDateKind(source)) return source;
  const from = a.attributes['observedAtFrom'];
  return typeof from === 'string' && Object.hasOwn(fromAttribute, from) ? fromAttribute[from]! : 'unknown';
}

/** The kind of the date of the record that decided a status (the design record for design-only), if one did. */
export function decidingDateKind(cause: ControlCause | RuleCause): DateKind {
  switch (cause.kind) {
    case 'rule':
      return decidingDateKind(cause.cause);
    case 'source-problems':
    case 'collection-failed':
      return decidingDateKind(cause.evidence);
    case 'current':
    case 'due-soon':
    case 'in-grace':
    case 'too-old':
      return cause.deciding.dateKind;
    case 'design-only':
      return cause.design.dateKind;
    case 'undated':
      return cause.record.dateKind;
    default:
      return 'unknown';
  }
}
