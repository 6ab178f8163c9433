import picomatch from 'picomatch';
import { Aggregate, type CompiledRules, type SystemNames } from './aggregate';
import { formatFieldGroup, siemFormats, type SiemFormat, type SiemSourceConfig } from './config';
import { decompressed, LineSplitter } from './decode';
import { EventBuilder, resolveFields, type RecordSink } from './event';
import { CefParser } from './formats/cef';
import { SplunkCsvParser } from './formats/csv';
import { detectFormat, sniffBytes } from './formats/detect';
import { ElasticNdjsonParser, GenericJsonParser, OcsfParser, SplunkJsonParser } from './formats/json-lines';
import type { LineParser } from './formats/line-parser';
import { SearchResponseParser } from './formats/search-response';
import type { ExportFile, ExportLocation } from './location';
import { Quarantine } from './quarantine';

/** Everything known about one export file after reading it once. */
export interface FileOutcome {
  file: ExportFile;
  format: SiemFormat | undefined;
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
    let empty = false;
    const stream = location.open(file);
    try {
      const it = decompressed(stream, () => (compressed = true))[Symbol.asyncIterator]();
      const head: Buffer[] = [];
      let headLen = 0;
      let done = false;
      if (format === undefined) {
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
        format = detectFormat(sniffed, done);
        // An empty (or blank) export is a valid export of a quiet period: no format needed, no events.
        if (format === undefined && done && sniffed.toString('utf8').trim() === '') empty = true;
      }
      if (empty) {
        bytes = headLen;
      } else if (format === undefined) {
        fileError = 'format not recognised (set `format`, or a `formats` entry matching this file)';
        await it.return(undefined);
      } else {
        const feed = this.feeder(format, sink);
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
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      fileError = `cannot read: ${describeReadError(err)}`;
    } finally {
      stream.destroy();
    }
    const malformed = quarantine.total;
    const ratio = events + malformed === 0 ? 0 : malformed / (events + malformed);
    let failure = fileError;
    if (failure === undefined && ratio > this.cfg.maxMalformedRatio) {
      failure = `${percent(ratio)} of records malformed (${malformed} of ${events + malformed}; limit ${percent(this.cfg.maxMalformedRatio)})`;
    }
    return {
      file,
      format,
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
      failure,
    };
  }

  private feeder(
    format: SiemFormat,
    sink: RecordSink,
  ): { push(b: Buffer): void; end(): void; lines(): number; fatal(): string | undefined } {
    const builder = this.builders[format];
    const max = this.cfg.limits.maxRecordBytes;
    if (format === 'elastic-search') {
      const p = new SearchResponseParser(builder, sink, max);
      return { push: (b) => p.push(b), end: () => p.end(), lines: () => p.lines, fatal: () => p.fatal };
    }
    const parser = lineParser(format, builder, max);
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
): LineParser {
  switch (format) {
    case 'splunk-json':
      return new SplunkJsonParser(builder);
    case 'splunk-csv':
      return new SplunkCsvParser(builder, maxRecordBytes);
    case 'elastic-ndjson':
      return new ElasticNdjsonParser(builder);
    case 'cef':
      return new CefParser(builder);
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
