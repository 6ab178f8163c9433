import type { EventBuilder, FieldPath, RecordSink } from '../event';
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
const rfc5424Re = /^<\d{1,3}>\d{1,2} (\S+) (\S+)/;
const isoSyslogRe = /^(?:<\d{1,3}>)?(\d{4}-\d{2}-\d{2}T\S+) (\S+)/;
const bsdSyslogRe = /^(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} (\S+)/;

/**
 * `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`, optionally
 * behind a syslog prefix. Header fields escape `|` and `\`; extension values escape `=`, `\`, newlines.
 */
export function parseCef(line: string): CefRecord | string {
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
    const m = rfc5424Re.exec(prefix) ?? isoSyslogRe.exec(prefix);
    if (m) {
      syslogTime = m[1];
      syslogHost = m[2];
    } else {
      syslogHost = bsdSyslogRe.exec(prefix)?.[1]; // BSD syslog time has no year: not used
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
  constructor(private readonly builder: EventBuilder) {}

  line(text: string, lineNo: number, sink: RecordSink): void {
    const rec = parseCef(text);
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
