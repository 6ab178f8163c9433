import type { MalformedReason } from './event';

export interface QuarantineEntry {
  line: number;
  /** Physical lines the record spans, when more than one. */
  lines?: number;
  reason: MalformedReason;
  detail: string;
  /** The first characters of the line, with anything secret-looking redacted; never the whole line. */
  prefix?: string;
}

/** Long enough for the list of timestamp fields a record was searched for. */
const maxDetail = 400;
const secretWord = /pass|pwd|secret|token|key|auth|bearer|cookie|session|credential|signature|private/i;
const longToken = /[A-Za-z0-9+/_=-]{12,}/g;

/**
 * A short hint of what a malformed line looked like. Log lines carry secrets (API keys, bearer tokens,
 * session cookies), so only `chars` characters are kept, cut before any secret-sounding word, and long
 * tokens are replaced.
 */
export function redactedPrefix(raw: string, chars: number): string | undefined {
  if (chars <= 0) return undefined;
  // eslint-disable-next-line no-control-regex
  let p = raw.slice(0, chars).replace(/[\u0000-\u001f\u007f]/g, ' ');
  const m = secretWord.exec(p);
  if (m) p = `${p.slice(0, m.index)}[redacted]`;
  p = p.replace(longToken, '[redacted]');
  return p;
}

/** The malformed records of one file: all counted, the first `maxEntries` listed. */
export class Quarantine {
  readonly entries: QuarantineEntry[] = [];
  readonly byReason = new Map<MalformedReason, number>();
  /** The detail of the first record per reason (it names e.g. the timestamp fields that were tried). */
  readonly firstDetail = new Map<MalformedReason, string>();
  /** Malformed units (lines, or hits): what the malformed ratio counts. */
  total = 0;
  /** Malformed records (a multi-line record is one). */
  records = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly prefixChars: number,
  ) {}

  add(line: number, reason: MalformedReason, detail: string, lines: number, raw: string | undefined): void {
    this.total += lines;
    this.records++;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + lines);
    if (!this.firstDetail.has(reason)) this.firstDetail.set(reason, detail);
    if (this.entries.length >= this.maxEntries) return;
    const entry: QuarantineEntry = {
      line,
      reason,
      detail: detail.length > maxDetail ? `${detail.slice(0, maxDetail)}…` : detail,
    };
    if (lines > 1) entry.lines = lines;
    const prefix = raw === undefined ? undefined : redactedPrefix(raw, this.prefixChars);
    if (prefix) entry.prefix = prefix;
    this.entries.push(entry);
  }

  get truncated(): boolean {
    return this.records > this.entries.length;
  }
}
