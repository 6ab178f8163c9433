// Report: what was redacted and where, never the secret.

export const redactionEngine = 'evidence-hub/redaction@1';
/** Line numbers listed per rule in a report; counts stay exact beyond it. */
export const maxReportedLines = 100;

export interface RuleHits {
  rule: string;
  count: number;
  /** 1-based line numbers in the stored (redacted) artifact, ascending, at most `maxReportedLines`. */
  lines: number[];
  /** Present when more lines had hits than are listed. */
  linesTruncated?: true;
}

export interface JsonPathHits {
  path: string;
  count: number;
  lines: number[];
  linesTruncated?: true;
}

/** What was redacted and where. Never contains secret values. JSON-serializable. */
export interface RedactionReport {
  engine: string;
  /** First 16 hex of the sha256 of the effective rule set, so a report can be tied to the config that made it. */
  ruleset: string;
  artifactId: string;
  mediaType: string;
  scanned: boolean;
  /** Why the artifact was not scanned (binary, disabled). */
  reason?: string;
  /** Redactions in all: byRule counts plus jsonPaths counts. */
  total: number;
  byRule: RuleHits[];
  /** One entry per configured path when JSON-path redaction ran on this artifact (count may be 0). */
  jsonPaths: JsonPathHits[];
  /** Fallbacks and limits that applied (JSON over the size cap, unparseable JSON, long lines, ...). */
  notes: string[];
  bytesIn: number;
  bytesOut: number;
}

/**
 * The part of a report worth keeping in the manifest next to the artifact record: the record already
 * has the id, media type and stored size. `bytesIn` is the size before redaction.
 */
export type RedactionSummary = Omit<RedactionReport, 'artifactId' | 'mediaType' | 'bytesOut'>;

export function summarizeRedaction(report: RedactionReport): RedactionSummary {
  const { artifactId: _id, mediaType: _mt, bytesOut: _out, ...summary } = report;
  return summary;
}

export class Hits {
  readonly count = new Map<string, { count: number; lines: number[]; truncated: boolean }>();

  add(key: string, line: number): void {
    let h = this.count.get(key);
    if (!h) this.count.set(key, (h = { count: 0, lines: [], truncated: false }));
    h.count++;
    if (h.lines.at(-1) === line) return;
    if (h.lines.length < maxReportedLines) h.lines.push(line);
    else h.truncated = true;
  }

  total(): number {
    let n = 0;
    for (const h of this.count.values()) n += h.count;
    return n;
  }
}
