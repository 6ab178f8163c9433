import type { EventBuilder, FieldPath, RecordSink } from '../event';
import type { LineParser } from './line-parser';

/**
 * Splunk search export as CSV: a header row (`_time,host,source,...`), then one row per event. Quoted
 * fields may span lines (multi-line `_raw`); a record is complete when its quotes balance. A quote left
 * open longer than `maxRecordBytes` makes every line it swallowed malformed, then reading resynchronises.
 */
export class SplunkCsvParser implements LineParser {
  private columns: Map<string, number> | undefined;
  private columnCount = 0;
  private carry: string | undefined;
  private carryStart = 0;
  private carryLines = 0;
  private carryQuotes = 0;

  constructor(
    private readonly builder: EventBuilder,
    private readonly maxRecordBytes: number,
  ) {}

  line(text: string, lineNo: number, sink: RecordSink): void {
    const quotes = countQuotes(text);
    let record = text;
    let start = lineNo;
    let spanned = 1;
    let total = quotes;
    if (this.carry !== undefined) {
      record = `${this.carry}\n${text}`;
      start = this.carryStart;
      spanned = this.carryLines + 1;
      total = this.carryQuotes + quotes;
      this.carry = undefined;
    }
    if (total % 2 === 1) {
      if (record.length > this.maxRecordBytes) {
        sink.malformed(
          start,
          'csv-unterminated',
          'quoted field not closed within the record size limit',
          spanned,
          record,
        );
        return;
      }
      this.carry = record;
      this.carryStart = start;
      this.carryLines = spanned;
      this.carryQuotes = total;
      return;
    }
    this.record(record, start, spanned, sink);
  }

  end(sink: RecordSink): void {
    if (this.carry === undefined) return;
    sink.malformed(
      this.carryStart,
      'csv-unterminated',
      'quoted field not closed at end of file',
      this.carryLines,
      this.carry,
    );
    this.carry = undefined;
  }

  private record(text: string, lineNo: number, spanned: number, sink: RecordSink): void {
    const cells = splitCsv(text);
    if (this.columns === undefined) {
      if (!cells) return sink.malformed(lineNo, 'csv-columns', 'header row is not valid CSV', spanned, text);
      this.columns = new Map();
      cells.forEach((name, i) => {
        const key = name.trim().replace(/^\uFEFF/, '');
        if (!this.columns!.has(key)) this.columns!.set(key, i);
      });
      this.columnCount = cells.length;
      return sink.skipped();
    }
    if (!cells) return sink.malformed(lineNo, 'csv-columns', 'invalid CSV quoting', spanned, text);
    if (cells.length !== this.columnCount) {
      return sink.malformed(
        lineNo,
        'csv-columns',
        `row has ${cells.length} columns, header has ${this.columnCount}`,
        spanned,
        text,
      );
    }
    const columns = this.columns;
    this.builder.build(
      (f: FieldPath) => {
        const i = columns.get(f.raw);
        return i === undefined ? undefined : cells[i];
      },
      lineNo,
      sink,
      text,
    );
  }
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
}

/** RFC 4180 fields of one record; undefined when a quoted field is followed by anything but a comma. */
export function splitCsv(s: string): string[] | undefined {
  if (s.indexOf('"') === -1) return s.split(',');
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === 34) {
      let value = '';
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q === -1) return undefined;
        value += s.slice(i, q);
        if (s.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i >= n) return out;
      if (s.charCodeAt(i) !== 44) return undefined;
      i++;
    } else {
      const c = s.indexOf(',', i);
      if (c === -1) {
        out.push(s.slice(i));
        return out;
      }
      out.push(s.slice(i, c));
      i = c + 1;
    }
    if (i >= n) {
      out.push('');
      return out;
    }
  }
}
