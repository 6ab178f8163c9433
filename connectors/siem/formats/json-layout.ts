import type { SiemFormat } from '../config';
import type { JsonDocumentOptions } from './json-document';
import { isObject } from './line-parser';

/** How a JSON-based file is laid out: one object per line, or documents (arrays, pretty-printed, wrappers). */
export type JsonLayout = 'lines' | 'document';

/** The formats read from JSON objects, in either layout (`elastic-search` is always a document). */
export type JsonLineFormat = 'splunk-json' | 'elastic-ndjson' | 'ocsf' | 'json';

export function isJsonLineFormat(f: SiemFormat): f is JsonLineFormat {
  return f === 'splunk-json' || f === 'elastic-ndjson' || f === 'ocsf' || f === 'json';
}

/**
 * The wrapper arrays each format's documents may hold their records in. Per format, not shared: an
 * OCSF event may well have a `results` or `Records` field of its own.
 */
export const documentOptions: Record<JsonLineFormat, JsonDocumentOptions> = {
  'splunk-json': { wrappers: [['results']], topLevelRecords: true, requireWrapper: false },
  'elastic-ndjson': { wrappers: [['hits', 'hits']], topLevelRecords: true, requireWrapper: false },
  ocsf: { wrappers: [], topLevelRecords: true, requireWrapper: false },
  json: { wrappers: [['Records']], topLevelRecords: true, requireWrapper: false },
};

/** Every wrapper any format knows, for telling the format of a document from its first record. */
export const anyWrapper: JsonDocumentOptions = {
  wrappers: [['hits', 'hits'], ['Records'], ['results']],
  topLevelRecords: true,
  requireWrapper: false,
};

const wrapperHintRe = /"(?:hits|Records|results)"\s*:\s*[[{]/;

/** Whether an object holds its records in a wrapper array (a whole `_search` response, a CloudTrail file). */
export function isWrapperObject(o: Record<string, unknown>): boolean {
  const hits = o['hits'];
  return Array.isArray(o['Records']) || Array.isArray(o['results']) || (isObject(hits) && Array.isArray(hits['hits']));
}

/** Lines looked at to tell a pretty-printed document from JSON lines whose first line is broken. */
const layoutLines = 50;

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tells the layout from the first bytes: a file starting with `[`, a first line holding a wrapper
 * (CloudTrail writes `{"Records":[...]}` on one line), or text starting with `{` where no line is a whole
 * JSON object (pretty-printed) is a document. Otherwise one object per line, where a bad line costs that
 * line only: JSON lines whose first line is broken stay lines.
 */
export function jsonLayout(head: Buffer, complete: boolean): JsonLayout {
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.trimStart();
  if (text.startsWith('[')) return 'document';
  if (!text.startsWith('{')) return 'lines';
  const lines = text.split('\n');
  if (!complete) lines.pop();
  if (lines.length === 0) return wrapperHintRe.test(text) ? 'document' : 'lines';
  const first = parseObject(lines[0]!.trim());
  if (first) return isWrapperObject(first) ? 'document' : 'lines';
  const anyObjectLine = lines.slice(1, layoutLines).some((l) => {
    const t = l.trim();
    return t.startsWith('{') && t.endsWith('}') && parseObject(t) !== undefined;
  });
  return anyObjectLine ? 'lines' : 'document';
}
