import type { JsonValue } from '../core/json';
import { approverOf, documentDate, documentStatusOf, type DocumentMetadata } from './folder/document-metadata';

/**
 * A document's date, approver and status, the same for every source that collects documents (a folder, a
 * repository on GitHub, an S3 bucket): the effective, approval or review date in its front matter (or
 * PDF metadata) is its observed date; without one, only the file's own time (`fallback`: mtime, last
 * commit, object time), and `dateSource: file-time` makes the evaluator call it unverified
 * (docs/mappings.md, "Document dates and drafts").
 */
export interface DocumentDating {
  observedAt: string;
  attributes: Record<string, JsonValue>;
}

export function documentDating(
  meta: Pick<DocumentMetadata, 'frontMatter' | 'pdf'>,
  fallback: { iso: string; from: string },
): DocumentDating {
  const dated = documentDate(meta);
  const approver = approverOf(meta.frontMatter);
  const documentStatus = documentStatusOf(meta.frontMatter);
  const attributes: Record<string, JsonValue> = {
    observedAtFrom: dated ? (dated.source.startsWith('pdf-') ? dated.key : `front-matter:${dated.key}`) : fallback.from,
    dateSource: dated?.source ?? 'file-time',
  };
  if (approver !== undefined) attributes['approvedBy'] = approver;
  // `draft` documents are collected but never count as evidence (evaluate.ts).
  if (documentStatus !== undefined) attributes['documentStatus'] = documentStatus;
  return { observedAt: dated?.iso ?? fallback.iso, attributes };
}

/**
 * S3 user metadata as front matter: keys arrive lower-cased (`x-amz-meta-effective-date` is
 * `effective-date`), so dashes are read as underscores (`effective_date`, `approved_by`).
 */
export function metadataAsFrontMatter(metadata: Record<string, string>): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.replace(/-/g, '_'), v]));
}
