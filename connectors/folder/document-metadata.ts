import { open } from 'node:fs/promises';
import { PDFDocument } from 'pdf-lib';
import { frontMatterScanBytes, parseFrontMatter } from '../../core/front-matter';
import type { JsonValue } from '../../core/json';

/** pdf-lib parses the whole file in memory, so metadata is read only from PDFs up to this size. */
export const pdfMetadataMaxBytes = 64 * 1024 * 1024;

export interface DocumentMetadata {
  frontMatter?: Record<string, JsonValue>;
  pdf?: Record<string, JsonValue>;
  /** Why metadata could not be read; the document is still collected. */
  metadataError?: string;
}

export async function readFrontMatter(file: string): Promise<DocumentMetadata> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(frontMatterScanBytes);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const fm = parseFrontMatter(buf.subarray(0, bytesRead));
    if (fm.error !== undefined) return { metadataError: fm.error };
    return fm.frontMatter ? { frontMatter: fm.frontMatter } : {};
  } finally {
    await fh.close();
  }
}

export async function readPdfMetadata(file: string, size: number): Promise<DocumentMetadata> {
  if (size > pdfMetadataMaxBytes)
    return { metadataError: `PDF larger than ${pdfMetadataMaxBytes} bytes: metadata not read` };
  const fh = await open(file, 'r');
  try {
    return await pdfMetadataOf(await fh.readFile());
  } finally {
    await fh.close();
  }
}

/** A PDF's metadata from its bytes (GitHub files arrive as bytes, folder files are read first). */
export async function pdfMetadataOf(bytes: Uint8Array): Promise<DocumentMetadata> {
  if (bytes.length > pdfMetadataMaxBytes)
    return { metadataError: `PDF larger than ${pdfMetadataMaxBytes} bytes: metadata not read` };
  try {
    const pdf = await PDFDocument.load(bytes, {
      ignoreEncryption: true,
      updateMetadata: false,
      throwOnInvalidObject: false,
    });
    const info: Record<string, JsonValue> = {};
    const set = (k: string, v: string | Date | undefined) => {
      if (v instanceof Date && !Number.isNaN(v.getTime())) info[k] = v.toISOString();
      else if (typeof v === 'string' && v.length > 0) info[k] = v;
    };
    set('title', pdf.getTitle());
    set('author', pdf.getAuthor());
    set('subject', pdf.getSubject());
    set('keywords', pdf.getKeywords());
    set('producer', pdf.getProducer());
    set('creator', pdf.getCreator());
    set('creationDate', pdf.getCreationDate());
    set('modificationDate', pdf.getModificationDate());
    info['pageCount'] = pdf.getPageCount();
    return { pdf: info };
  } catch (err) {
    return { metadataError: `PDF metadata unreadable: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Where a document's observed date comes from (attribute `dateSource`), best first. */
export type DateSource = 'effective' | 'approved' | 'reviewed' | 'pdf-modified' | 'pdf-created' | 'file-time';

/**
 * Front-matter keys that date a document, in the order they are tried (docs/mappings.md, "Document dates").
 * `approved` counts only when it holds a date (`approved: true` does not).
 */
const dateKeys: readonly (readonly [string, DateSource])[] = [
  ['effective_date', 'effective'],
  ['effectiveDate', 'effective'],
  ['effective', 'effective'],
  ['approval_date', 'approved'],
  ['approved_date', 'approved'],
  ['approvedDate', 'approved'],
  ['approved', 'approved'],
  ['review_date', 'reviewed'],
  ['reviewDate', 'reviewed'],
  ['reviewed', 'reviewed'],
  ['last_reviewed', 'reviewed'],
];

const approverKeys = ['approved_by', 'approvedBy', 'approver'];

function dateOf(v: JsonValue | undefined): string | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/**
 * The date a document took effect (or was approved, or last reviewed), from its front matter, else from
 * its PDF metadata. Auditors (and Vanta's renewal logic) count freshness from that date; a file's mtime is
 * only when someone last copied it, so a document dated by nothing else is `unverified` (evaluate.ts).
 */
export function documentDate(
  meta: Pick<DocumentMetadata, 'frontMatter' | 'pdf'>,
): { source: DateSource; key: string; iso: string } | undefined {
  const fm = meta.frontMatter;
  if (fm) {
    for (const [key, source] of dateKeys) {
      const iso = dateOf(fm[key]);
      if (iso) return { source, key, iso };
    }
  }
  const pdf = meta.pdf;
  if (pdf) {
    const modified = dateOf(pdf['modificationDate']);
    if (modified) return { source: 'pdf-modified', key: 'pdf.modificationDate', iso: modified };
    const created = dateOf(pdf['creationDate']);
    if (created) return { source: 'pdf-created', key: 'pdf.creationDate', iso: created };
  }
  return undefined;
}

/** Who approved the document (`approved_by`, `approvedBy`, `approver` in its front matter). */
export function approverOf(frontMatter: Record<string, JsonValue> | undefined): string | undefined {
  for (const key of approverKeys) {
    const v = frontMatter?.[key];
    if (typeof v === 'string' && v.trim().length > 0) return v.trim();
  }
  return undefined;
}

/** The document's `status` in its front matter (`draft`, `approved`, …), lower-cased. */
export function documentStatusOf(frontMatter: Record<string, JsonValue> | undefined): string | undefined {
  const v = frontMatter?.['status'];
  return typeof v === 'string' && v.trim().length > 0 ? v.trim().toLowerCase() : undefined;
}
