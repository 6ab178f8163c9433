import type { EventBuilder, FieldPath, RecordSink } from '../event';
import { parseBsdSyslogTime } from '../timestamps';
import type { LineParser } from './line-parser';

/** Names of the seven CEF header fields after `CEF:`, usable in `fields.cef`. */
export const cefHeaderFields = [
  'version',
  'deviceVendor',
  'deviceProduct',
  'deviceVersion',
  'signatureId',
  'name',
  'severity',
] as const;

export interface CefRecord {
  header: string[];
  extension: Map<string, string>;
  syslogHost: string | undefined;
  syslogTime: string | undefined;
}

const headerIndex = new Map<string, number>(cefHeaderFields.map((f, i) => [f, i]));
headerIndex.set('deviceEventClassId', 4);

const extensionKeyRe = /(?:^|\s)([A-Za-z0-9_.[\]-]+)=/g;
/*
 * Syslog headers in front of `CEF:`, each with or without `<PRI>` (relays and files written by rsyslog or
 * syslog-ng often drop it): RFC 5424 (`1 2018-12-12T16:52:41.520759+00:00 HOST ...`, `-` for no time), an
 * ISO time then the host (rsyslog's high-precision RFC 3164), a time with a year (`Dec 12 2018 16:52:41`),
 * and BSD RFC 3164 (`Dec 12 16:52:41 HOST`, no year: completed from the file's mtime).
 */
const pri = '(?:<\\d{1,3}>)?';
const rfc5424Re = new RegExp(`^${pri}\\d{1,2} (\\S+) (\\S+)`);
const isoSyslogRe = new RegExp(`^${pri}(\\d{4}-\\d{2}-\\d{2}T\\S+) (\\S+)`);
const yearSyslogRe = new RegExp(
  `^${pri}([A-Z][a-z]{2} {1,2}\\d{1,2} \\d{4} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,3})?) (\\S+)`,
);
const bsdSyslogRe = new RegExp(`^${pri}([A-Z][a-z]{2} {1,2}\\d{1,2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,6})?) (\\S+)`);

/**
 * `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`, optionally
 * behind a syslog prefix. Header fields escape `|` and `\`; extension values escape `=`, `\`, newlines.
 */
export function parseCef(line: string, referenceMs = NaN): CefRecord | string {
  const at = line.indexOf('CEF:');
  if (at === -1) return 'no "CEF:" header';
  const header: string[] = [];
  let cur = '';
  let i = at + 4;
  const n = line.length;
  while (i < n && header.length < 7) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \ */ && i + 1 < n) {
      const next = line[i + 1]!;
      cur += next === '|' || next === '\\' ? next : `\\${next}`;
      i += 2;
    } else if (c === 124 /* | */) {
      header.push(cur);
      cur = '';
      i++;
    } else {
      cur += line[i];
      i++;
    }
  }
  if (header.length < 7) return `CEF header has ${header.length + 1} of 8 fields`;
  if (!/^\d{1,2}$/.test(header[0]!)) return 'CEF version is not a number';
  let syslogHost: string | undefined;
  let syslogTime: string | undefined;
  if (at > 0) {
    const prefix = line.slice(0, at);
    const m = rfc5424Re.exec(prefix) ?? isoSyslogRe.exec(prefix) ?? yearSyslogRe.exec(prefix);
    if (m) {
      syslogTime = m[1] === '-' ? undefined : m[1];
      syslogHost = m[2] === '-' ? undefined : m[2];
    } else {
      const bsd = bsdSyslogRe.exec(prefix);
      if (bsd) {
        const t = parseBsdSyslogTime(bsd[1]!, referenceMs);
        syslogTime = Number.isNaN(t) ? bsd[1] : new Date(t).toISOString();
        syslogHost = bsd[2];
      }
    }
  }
  return { header, extension: parseExtension(line.slice(i)), syslogHost, syslogTime };
}

export function parseExtension(s: string): Map<string, string> {
  const out = new Map<string, string>();
  extensionKeyRe.lastIndex = 0;
  let key: string | undefined;
  let valueStart = 0;
  for (let m = extensionKeyRe.exec(s); m !== null; m = extensionKeyRe.exec(s)) {
    if (key !== undefined) out.set(key, unescapeValue(s.slice(valueStart, m.index)));
    key = m[1]!;
    valueStart = extensionKeyRe.lastIndex;
  }
  if (key !== undefined) out.set(key, unescapeValue(s.slice(valueStart).trimEnd()));
  return out;
}

function unescapeValue(v: string): string {
  if (v.indexOf('\\') === -1) return v;
  return v.replace(/\\([\\=nr|])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

export function cefLookup(rec: CefRecord): (f: FieldPath) => unknown {
  return (f) => {
    const h = headerIndex.get(f.raw);
    if (h !== undefined) return rec.header[h];
    if (f.raw === 'syslog.host') return rec.syslogHost;
    if (f.raw === 'syslog.timestamp') return rec.syslogTime;
    return rec.extension.get(f.raw);
  };
}

export class CefParser implements LineParser {
  /** `referenceMs`: the file's mtime, to complete the year of BSD syslog times. */
  constructor(
    private readonly builder: EventBuilder,
    private readonly referenceMs = NaN,
  ) {}

  line(text: string, lineNo: number, sink: RecordSink): void {
    const rec = parseCef(text, this.referenceMs);
    if (typeof rec === 'string') return sink.malformed(lineNo, 'invalid-cef', rec, 1, text);
    this.builder.build(cefLookup(rec), lineNo, sink, text);
  }

  end(): void {}
}

/** True when a line looks like CEF (possibly behind a syslog prefix). */
export function looksLikeCef(line: string): boolean {
  const at = line.indexOf('CEF:');
  return at !== -1 && at < 256 && /^CEF:\d{1,2}\|/.test(line.slice(at, at + 8));
}
