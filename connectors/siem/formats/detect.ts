import type { SiemFormat } from '../config';
import { looksLikeCef } from './cef';
import { splitCsv } from './csv';
import { JsonDocumentParser } from './json-document';
import { anyWrapper, jsonLayout } from './json-layout';
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
  const start = text.trimStart();
  if ((start.startsWith('[') || start.startsWith('{')) && jsonLayout(head, complete) === 'document') {
    return detectDocument(head, start);
  }
  const lines = text.split('\n');
  if (!complete) lines.pop();
  let firstNonBlank = true;
  for (const raw of lines.slice(0, sniffLines)) {
    const line = raw.trim();
    if (line.length === 0) continue;
    const first = firstNonBlank;
    firstNonBlank = false;
    if (looksLikeCef(line)) return 'cef';
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
  return undefined;
}

/**
 * A JSON document (an array, pretty-printed objects, a wrapper): its first record, cut out by the same
 * streaming tokenizer that reads it later, decides; a `hits.hits` wrapper or an array of hits is a
 * `_search` response. When the first record does not fit in the sniffed bytes, only the old signs remain.
 */
function detectDocument(head: Buffer, start: string): SiemFormat | undefined {
  let first: Record<string, unknown> | undefined;
  const ignore = { event: () => {}, malformed: () => {}, skipped: () => {} };
  const parser = new JsonDocumentParser(
    (obj) => {
      first ??= obj;
    },
    ignore,
    head.length + 1,
    anyWrapper,
  );
  parser.push(head);
  const wrapper = parser.wrapper;
  if (wrapper === 'hits.hits') return 'elastic-search';
  if (wrapper === 'results') return 'splunk-json';
  if (first === undefined) {
    if (start.startsWith('[') || /"hits"\s*:\s*\{/.test(start)) return 'elastic-search';
    return undefined;
  }
  const format = classifyJson(first) ?? 'json';
  // A top-level array of hits keeps its old name; pretty-printed hits one after another are NDJSON-like.
  if (format === 'elastic-ndjson' && wrapper === '[]' && isHit(first)) return 'elastic-search';
  return format;
}

function isHit(o: Record<string, unknown>): boolean {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(o, k);
  return has('_source') || (has('_index') && has('_id'));
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
  if (isOcsf(o)) return 'ocsf';
  if (has('@timestamp')) return 'elastic-ndjson';
  if (has('_time')) return 'splunk-json';
  return 'json';
}

/**
 * OCSF by its own fields: an integer `class_uid` with `time`, `category_uid`, `type_uid` or
 * `metadata.product` beside it (every OCSF event has them; other shapes rarely have `class_uid`).
 */
export function isOcsf(o: Record<string, unknown>): boolean {
  if (typeof o['class_uid'] !== 'number') return false;
  const meta = o['metadata'];
  return (
    o['time'] !== undefined ||
    typeof o['category_uid'] === 'number' ||
    typeof o['type_uid'] === 'number' ||
    (isObject(meta) && isObject(meta['product']))
  );
}
