import { getField, type EventBuilder, type FieldPath, type Lookup, type RecordSink } from '../event';
import { isObject, parseJsonObject, type LineParser } from './line-parser';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A format read from JSON objects: `line` parses one line (or reports it malformed), `object` reads an
 * object, whether from a line or cut out of an array or pretty-printed document (`text` undefined then).
 */
export abstract class JsonObjectLineParser implements LineParser {
  constructor(protected readonly builder: EventBuilder) {}

  line(text: string, lineNo: number, sink: RecordSink): void {
    const obj = parseJsonObject(text, lineNo, sink);
    if (obj) this.object(obj, text, lineNo, sink);
  }

  abstract object(obj: Record<string, unknown>, text: string | undefined, lineNo: number, sink: RecordSink): void;

  end(): void {}
}

/** Splunk search export (`output_mode=json`): one `{"preview":..,"result":{..}}` per line. */
export class SplunkJsonParser extends JsonObjectLineParser {
  object(obj: Record<string, unknown>, text: string | undefined, lineNo: number, sink: RecordSink): void {
    const result = obj['result'];
    if (result === undefined) {
      // Rows exported without the wrapper carry _time themselves; preview/lastrow/messages rows are control rows.
      if (hasOwn.call(obj, '_time')) return this.builder.build((f) => getField(obj, f), lineNo, sink, text);
      if (['preview', 'lastrow', 'messages', 'init_offset', 'fields'].some((k) => hasOwn.call(obj, k)))
        return sink.skipped();
      return sink.malformed(lineNo, 'missing-result', 'no "result" object', 1, text);
    }
    if (!isObject(result)) return sink.malformed(lineNo, 'not-an-object', '"result" is not an object', 1, text);
    this.builder.build((f) => getField(result, f), lineNo, sink, text);
  }
}

/** Field lookup in an Elasticsearch/OpenSearch hit: `_source`, then `fields`, then top-level `_index`, `_id`, ... */
export function elasticHitLookup(hit: Record<string, unknown>): Lookup {
  const src = hit['_source'];
  const fields = hit['fields'];
  const hasSrc = isObject(src);
  const hasFields = isObject(fields);
  if (!hasSrc && !hasFields) return (f) => getField(hit, f);
  return (f: FieldPath) => {
    let v = hasSrc ? getField(src, f) : undefined;
    if (v === undefined && hasFields) v = getField(fields, f);
    if (v === undefined && f.raw.startsWith('_')) v = getField(hit, f);
    return v;
  };
}

function isBulkAction(obj: Record<string, unknown>): boolean {
  const keys = Object.keys(obj);
  return keys.length === 1 && ['index', 'create', 'update', 'delete'].includes(keys[0]!) && isObject(obj[keys[0]!]);
}

/**
 * Elastic/OpenSearch NDJSON: one hit (`_source`, `@timestamp`) or plain document per line. A line that is a
 * whole `_search` response gives each of its hits; bulk action lines are skipped.
 */
export class ElasticNdjsonParser extends JsonObjectLineParser {
  object(obj: Record<string, unknown>, text: string | undefined, lineNo: number, sink: RecordSink): void {
    if (isBulkAction(obj)) return sink.skipped();
    const outer = obj['hits'];
    const hits = isObject(outer) ? outer['hits'] : undefined;
    if (Array.isArray(hits)) {
      if (hits.length === 0) return sink.skipped();
      for (const hit of hits) {
        if (isObject(hit)) this.builder.build(elasticHitLookup(hit), lineNo, sink, undefined);
        else sink.malformed(lineNo, 'not-an-object', 'hit is not a JSON object');
      }
      return;
    }
    this.builder.build(elasticHitLookup(obj), lineNo, sink, text);
  }
}

/** OCSF events, one JSON object per line: `time` (epoch ms), `class_uid`, `severity_id`, `metadata.product`. */
export class OcsfParser extends JsonObjectLineParser {
  object(obj: Record<string, unknown>, text: string | undefined, lineNo: number, sink: RecordSink): void {
    const classUid = obj['class_uid'];
    if (typeof classUid !== 'number' || !Number.isInteger(classUid)) {
      return sink.malformed(lineNo, 'missing-class-uid', 'no integer class_uid', 1, text);
    }
    this.builder.build((f) => getField(obj, f), lineNo, sink, text, classUid);
  }
}

/** Any JSON lines with a configured timestamp field (and optional system field). */
export class GenericJsonParser extends JsonObjectLineParser {
  object(obj: Record<string, unknown>, text: string | undefined, lineNo: number, sink: RecordSink): void {
    this.builder.build((f) => getField(obj, f), lineNo, sink, text);
  }
}
