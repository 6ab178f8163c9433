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
    const bytes = await fh.readFile();
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
  } finally {
    await fh.close();
  }
}

const effectiveDateKeys = ['effective_date', 'effectiveDate', 'effective', 'approved_date', 'approvedDate'];

/**
 * The date a document took effect, from its front matter. Auditors (and Vanta's renewal logic) count
 * freshness from the effective date; a file's mtime is only when someone last copied it.
 */
export function effectiveDate(
  frontMatter: Record<string, JsonValue> | undefined,
): { key: string; iso: string } | undefined {
  if (!frontMatter) return undefined;
  for (const key of effectiveDateKeys) {
    const v = frontMatter[key];
    if (typeof v !== 'string') continue;
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return { key, iso: new Date(t).toISOString() };
  }
  return undefined;
}
