import type { SiemFormat } from '../config';
import { looksLikeCef } from './cef';
import { splitCsv } from './csv';
import { isObject } from './line-parser';

/** How many bytes of a file (after decompression) are looked at to tell its format. */
export const sniffBytes = 64 * 1024;
const sniffLines = 50;

/**
 * Tells a file's format from its first bytes: the first line that is recognisable decides. `complete`
 * says the sniffed bytes are the whole file (so the last line is whole too).
 */
export function detectFormat(head: Buffer, complete: boolean): SiemFormat | undefined {
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  if (!complete) lines.pop();
  let firstNonBlank = true;
  for (const raw of lines.slice(0, sniffLines)) {
    const line = raw.trim();
    if (line.length === 0) continue;
    const first = firstNonBlank;
    firstNonBlank = false;
    if (looksLikeCef(line)) return 'cef';
    if (line[0] === '[') return 'elastic-search';
    if (line[0] === '{') {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isObject(value)) continue;
      const format = classifyJson(value);
      if (format) return format;
      continue;
    }
    if (first) {
      const cells = splitCsv(line);
      if (cells && cells.length > 1 && cells.some((c) => c.trim() === '_time')) return 'splunk-csv';
    }
  }
  // A pretty-printed (or very long) JSON document: a saved _search response.
  const start = text.trimStart();
  if (start.startsWith('{') && /"hits"\s*:\s*\{/.test(start)) return 'elastic-search';
  return undefined;
}

/** undefined for lines that tell nothing (bulk action lines). */
function classifyJson(o: Record<string, unknown>): SiemFormat | undefined {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const hits = o['hits'];
  if (isObject(hits) && Array.isArray(hits['hits'])) return 'elastic-search';
  if (has('result') || has('preview') || has('lastrow')) return 'splunk-json';
  const keys = Object.keys(o);
  if (keys.length === 1 && ['index', 'create', 'update', 'delete'].includes(keys[0]!)) return undefined;
  if (has('_source') || (has('_index') && has('_id'))) return 'elastic-ndjson';
  if (has('class_uid') && has('time')) return 'ocsf';
  if (has('@timestamp')) return 'elastic-ndjson';
  if (has('_time')) return 'splunk-json';
  return 'json';
}
