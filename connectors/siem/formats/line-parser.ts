import type { RecordSink } from '../event';

/** A format read line by line. Stateful parsers (CSV) carry state between lines; `end` flushes it. */
export interface LineParser {
  line(text: string, lineNo: number, sink: RecordSink): void;
  end(sink: RecordSink): void;
}

/** Parses a line as a JSON object, or reports it malformed. The parser's message is never kept: it quotes the input. */
export function parseJsonObject(text: string, lineNo: number, sink: RecordSink): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    sink.malformed(lineNo, 'invalid-json', 'not valid JSON', 1, text);
    return undefined;
  }
  if (!isObject(value)) {
    sink.malformed(lineNo, 'not-an-object', 'JSON value is not an object', 1, text);
    return undefined;
  }
  return value;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
