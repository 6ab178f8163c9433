import { open } from 'node:fs/promises';
import { PDFDocument } from 'pdf-lib';
import { parse as parseYaml } from 'yaml';
import type { JsonValue } from '../../core/json';

/** Front matter is only looked for in the first bytes of a text document. */
const frontMatterScanBytes = 64 * 1024;
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
    const head = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    const m = /^---\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)\s*(?:\r?\n|$)/.exec(head);
    if (!m) return {};
    try {
      const value: unknown = parseYaml(m[1] ?? '', { maxAliasCount: 10 });
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return { metadataError: 'front matter is not a key/value map' };
      }
      return { frontMatter: toJson(value) as Record<string, JsonValue> };
    } catch (err) {
      return { metadataError: `front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
    }
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

/** YAML dates become Dates; everything stored must be plain JSON. */
function toJson(value: unknown): JsonValue {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined) return null;
  return value as JsonValue;
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
