import type { SelectableArtifact } from './select';

/**
 * Documents (docs/mappings.md, "Document dates and drafts"): a document whose front matter says
 * `status: draft` never counts as evidence, and one dated only by its file time is `unverified`.
 * The folder connector records both as attributes (`documentStatus`, `dateSource`).
 */
export function isDraft(a: Pick<SelectableArtifact, 'attributes'>): boolean {
  return a.attributes['documentStatus'] === 'draft';
}

/** What a document's observed date is (`effective`, `approved`, `reviewed`, `pdf-…`, `file-time`), if said. */
export function dateSourceOf(a: Pick<SelectableArtifact, 'attributes'>): string | undefined {
  const v = a.attributes['dateSource'];
  return typeof v === 'string' ? v : undefined;
}

/** Dated by nothing but its file time, which a copy or a git clone sets. */
export function fileTimeOnly(a: Pick<SelectableArtifact, 'attributes'>): boolean {
  return dateSourceOf(a) === 'file-time';
}
