import picomatch from 'picomatch';
import { Aggregate, type CompiledRules, type SystemNames } from './aggregate';
import { formatFieldGroup, siemFormats, type SiemFormat, type SiemSourceConfig } from './config';
import { decompressed, LineSplitter } from './decode';
import { EventBuilder, resolveFields, type RecordSink } from './event';
import { CefParser } from './formats/cef';
import { SplunkCsvParser } from './formats/csv';
import { detectFormat, sniffBytes } from './formats/detect';
import { JsonDocumentParser } from './formats/json-document';
import { documentOptions, isJsonLineFormat, jsonLayout, type JsonLayout } from './formats/json-layout';
import {
  ElasticNdjsonParser,
  GenericJsonParser,
  OcsfParser,
  SplunkJsonParser,
  type JsonObjectLineParser,
} from './formats/json-lines';
import type { LineParser } from './formats/line-parser';
import { SearchResponseParser } from './formats/search-response';
import { ratioFailure, type FileErrorCode } from './failures';
import type { ExportFile, ExportLocation } from './location';
import { Quarantine } from './quarantine';

/** Everything known about one export file after reading it once. */
export interface FileOutcome {
  file: ExportFile;
  format: SiemFormat | undefined;
  /** `document` for JSON arrays, pretty-printed JSON and wrappers; `lines` otherwise. */
  layout: JsonLayout;
  compressed: boolean;
  /** Decompressed bytes read. */
  bytes: number;
  lines: number;
  events: number;
  skipped: number;
  /** Malformed units (lines; hits of a `_search` response). */
  malformed: number;
  /** malformed / (events + malformed). */
  ratio: number;
  aggregate: Aggregate;
  quarantine: Quarantine;
  /** Why the whole file could not be read (unknown format, corrupt gzip, I/O error). */
  fileError: string | undefined;
  fileErrorCode: FileErrorCode | undefined;
  /** Set when the file's evidence is not used: the file error, or the malformed ratio over the limit. */
  failure: string | undefined;
}

/** What reading files needs, built once per connector. */
export class FileReader {
  private readonly builders: Record<SiemFormat, EventBuilder>;
  private readonly overrides: { test: (p: string) => boolean; format: SiemFormat }[];

  constructor(private readonly cfg: SiemSourceConfig) {
    this.builders = Object.fromEntries(
      siemFormats.map((f) => {
        const group = formatFieldGroup[f];
        return [f, new EventBuilder(resolveFields(group, cfg.fields[group]), cfg.defaultSystem, f === 'ocsf')];
      }),
    ) as Record<SiemFormat, EventBuilder>;
    this.overrides = cfg.formats.map((o) => ({ test: picomatch(o.match, { dot: true }), format: o.format }));
  }

  configuredFormat(path: string): SiemFormat | undefined {
    for (const o of this.overrides) if (o.test(path)) return o.format;
    return this.cfg.format === 'auto' ? undefined : this.cfg.format;
  }

  async read(
    location: ExportLocation,
    file: ExportFile,
    rules: CompiledRules,
    names: SystemNames,
    signal?: AbortSignal,
  ): Promise<FileOutcome> {
    const { limits } = this.cfg;
    const aggregate = new Aggregate(rules, names, limits.maxIncidents);
    const quarantine = new Quarantine(limits.maxQuarantineEntries, limits.quarantinePrefixChars);
    let events = 0;
    let skipped = 0;
    const sink: RecordSink = {
      event: (e, line) => {
        events++;
        aggregate.add(e, file.path, line);
      },
      malformed: (line, reason, detail, lines = 1, raw) => quarantine.add(line, reason, detail, lines, raw),
      skipped: () => {
        skipped++;
      },
    };
    let format = this.configuredFormat(file.path);
    let compressed = false;
    let bytes = 0;
    let lines = 0;
    let fileError: string | undefined;
    let fileErrorCode: FileErrorCode | undefined;
    let layout: JsonLayout = format === 'elastic-search' ? 'document' : 'lines';
    let empty = false;
    const stream = location.open(file);
    try {
      const it = decompressed(stream, () => (compressed = true))[Symbol.asyncIterator]();
      const head: Buffer[] = [];
      let headLen = 0;
      let done = false;
      // The first bytes tell the format (when not configured) and, for JSON, the layout.
      if (format === undefined || isJsonLineFormat(format)) {
        while (headLen < sniffBytes) {
          const r = await it.next();
          if (r.done) {
            done = true;
            break;
          }
          head.push(r.value);
          headLen += r.value.length;
        }
        const sniffed = Buffer.concat(head, headLen);
        format ??= detectFormat(sniffed, done);
        if (format !== undefined && isJsonLineFormat(format)) layout = jsonLayout(sniffed, done);
        else if (format === 'elastic-search') layout = 'document';
        // An empty (or blank) export is a valid export of a quiet period: no format needed, no events.
        if (format === undefined && done && sniffed.toString('utf8').trim() === '') empty = true;
      }
      if (empty) {
        bytes = headLen;
      } else if (format === undefined) {
        fileError = 'format not recognised (set `format`, or a `formats` entry matching this file)';
        fileErrorCode = 'format-not-recognised';
        await it.return(undefined);
      } else {
        const feed = this.feeder(format, layout, sink, file.mtime.getTime());
        const push = (b: Buffer) => {
          bytes += b.length;
          feed.push(b);
        };
        for (const b of head) push(b);
        while (!done) {
          signal?.throwIfAborted();
          const r = await it.next();
          if (r.done) break;
          push(r.value);
        }
        feed.end();
        lines = feed.lines();
        fileError = feed.fatal();
        if (fileError !== undefined) fileErrorCode = 'invalid-json-structure';
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      fileError = `cannot read: ${describeReadError(err)}`;
      fileErrorCode = 'unreadable';
    } finally {
      stream.destroy();
    }
    const malformed = quarantine.total;
    const ratio = events + malformed === 0 ? 0 : malformed / (events + malformed);
    let failure = fileError;
    if (failure === undefined && ratio > this.cfg.maxMalformedRatio) {
      const unit = layout === 'document' ? 'records' : 'lines';
      failure = ratioFailure(quarantine, events + malformed, unit, percent(ratio), percent(this.cfg.maxMalformedRatio));
    }
    return {
      file,
      format,
      layout,
      compressed,
      bytes,
      lines,
      events,
      skipped,
      malformed,
      ratio,
      aggregate,
      quarantine,
      fileError,
      fileErrorCode,
      failure,
    };
  }

  private feeder(
    format: SiemFormat,
    layout: JsonLayout,
    sink: RecordSink,
    mtimeMs: number,
  ): { push(b: Buffer): void; end(): void; lines(): number; fatal(): string | undefined } {
    const builder = this.builders[format];
    const max = this.cfg.limits.maxRecordBytes;
    if (format === 'elastic-search' || (layout === 'document' && isJsonLineFormat(format))) {
      // Arrays and pretty-printed JSON are streamed record by record, never parsed whole.
      let p: JsonDocumentParser;
      if (format === 'elastic-search') p = new SearchResponseParser(builder, sink, max);
      else {
        const objects = lineParser(format, builder, max, mtimeMs) as JsonObjectLineParser;
        p = new JsonDocumentParser(
          (o, line) => objects.object(o, undefined, line, sink),
          sink,
          max,
          documentOptions[format],
        );
      }
      return { push: (b) => p.push(b), end: () => p.end(), lines: () => p.lines, fatal: () => p.fatal };
    }
    const parser = lineParser(format, builder, max, mtimeMs);
    const splitter = new LineSplitter(
      max,
      (text, n) => {
        if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim().length === 0)) return;
        parser.line(text, n, sink);
      },
      (n) => sink.malformed(n, 'record-too-long', `line longer than ${max} bytes`),
    );
    return {
      push: (b) => splitter.push(b),
      end: () => {
        splitter.end();
        parser.end(sink);
      },
      lines: () => splitter.lines,
      fatal: () => undefined,
    };
  }
}

function lineParser(
  format: Exclude<SiemFormat, 'elastic-search'>,
  builder: EventBuilder,
  maxRecordBytes: number,
  mtimeMs: number,
): LineParser {
  switch (format) {
    case 'splunk-json':
      return new SplunkJsonParser(builder);
    case 'splunk-csv':
      return new SplunkCsvParser(builder, maxRecordBytes);
    case 'elastic-ndjson':
      return new ElasticNdjsonParser(builder);
    case 'cef':
      return new CefParser(builder, mtimeMs);
    case 'ocsf':
      return new OcsfParser(builder);
    case 'json':
      return new GenericJsonParser(builder);
  }
}

export function percent(r: number): string {
  return `${(r * 100).toFixed(r < 0.001 && r > 0 ? 3 : 2)}%`;
}

/** zlib and fs errors name the problem and at most the path; only the first line is kept. */
function describeReadError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const msg = (e instanceof Error ? e.message : String(err)).split('\n')[0]!.slice(0, 160);
  return e?.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}
