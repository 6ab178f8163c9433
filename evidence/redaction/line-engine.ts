import { CsvColumns } from './csv-columns';
import { builtinPrefilter } from './patterns';
import {
  isSecretName,
  marker,
  pemFooterSource,
  pemHeaderSource,
  type Candidate,
  type Rule,
  type TextFormat,
} from './rule';
import type { Hits } from './report';

// The line engine

const lookBehind = 64;

export interface ActiveRule {
  rule: Rule;
  priority: number;
  builtin: boolean;
}

export interface EngineSettings {
  rules: ActiveRule[];
  disabled: ReadonlySet<string>;
  maxLineBytes: number;
  overlap: number;
}

const pemHeaderGlobal = new RegExp(pemHeaderSource, 'g');
const pemFooterRe = new RegExp(pemFooterSource);
const pemArmorLine = new RegExp(`^[ \\t]*["']?(?:${pemHeaderSource}|${pemFooterSource})`);
const pemBodyLine = /^([ \t]*["']?)([A-Za-z0-9+/=]+)((?:\\n)?["']?,?[ \t]*\\?)$/;
const pemArmorHeader = /^[ \t]*[A-Za-z][A-Za-z0-9-]*:[ \t]/;
const yamlBlockStart = /^([ \t]*)(?:-[ \t]+)?(["']?)([A-Za-z0-9_.-]+)\2[ \t]*:[ \t]*[|>][-+0-9]*[ \t]*(?:#.*)?$/;

/** Picks non-overlapping secrets: specific rules first; a candidate that strictly covers others replaces them. */
function resolve(cands: Candidate[]): Candidate[] {
  if (cands.length <= 1) return cands;
  cands.sort(
    (a, b) =>
      a.priority - b.priority ||
      a.secretStart - b.secretStart ||
      b.secretEnd - b.secretStart - (a.secretEnd - a.secretStart),
  );
  const acc: Candidate[] = []; // sorted by secretStart, non-overlapping
  for (const c of cands) {
    let lo = 0;
    let hi = acc.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (acc[mid]!.secretEnd <= c.secretStart) lo = mid + 1;
      else hi = mid;
    }
    let j = lo;
    while (j < acc.length && acc[j]!.secretStart < c.secretEnd) j++;
    if (j === lo) {
      acc.splice(lo, 0, c);
      continue;
    }
    const first = acc[lo]!;
    const last = acc[j - 1]!;
    if (c.secretStart <= first.secretStart && c.secretEnd >= last.secretEnd) {
      if (c.secretStart === first.secretStart && c.secretEnd === last.secretEnd && j - lo === 1) continue; // same secret, keep the specific name
      acc.splice(lo, j - lo, c);
    } else if (c.secretStart < first.secretStart || c.secretEnd > last.secretEnd) {
      const merged = { ...first, start: Math.min(c.start, first.start), end: Math.max(c.end, last.end) };
      merged.secretStart = Math.min(c.secretStart, first.secretStart);
      merged.secretEnd = Math.max(c.secretEnd, last.secretEnd);
      acc.splice(lo, j - lo, merged);
    }
  }
  return acc;
}

/**
 * Redacts a text stream given as latin1 string pieces. Synchronous and chunking-independent: the same
 * bytes give the same output however they are split across `write` calls.
 */
export class LineEngine {
  private carry = '';
  private lineNo = 1;
  private long = false;
  private longPending = '';
  private longCtx = '';
  private longFirst = true;
  private pem: { line: number; seenBody: boolean; counted: boolean } | undefined;
  private yaml: { indent: number; line: number; counted: boolean; rule: string } | undefined;
  private readonly csv: CsvColumns | undefined;
  longLines = 0;

  constructor(
    private readonly s: EngineSettings,
    private readonly format: TextFormat,
    private readonly hits: Hits,
    csvTsv: boolean | undefined,
  ) {
    if (csvTsv !== undefined && !s.disabled.has('csv-secret-column')) {
      this.csv = new CsvColumns(csvTsv, (line) => this.hits.add('csv-secret-column', line));
    }
  }

  get csvColumns(): string[] {
    return this.csv?.columns ?? [];
  }

  write(chunk: string): string {
    const searchFrom = this.carry.length;
    this.carry += chunk;
    let out = '';
    let pos = 0;
    let nl = this.carry.indexOf('\n', searchFrom);
    while (nl >= 0) {
      let end = nl;
      let eol = '\n';
      if (end > pos && this.carry.charCodeAt(end - 1) === 13) {
        end--;
        eol = '\r\n';
      }
      out += this.line(this.carry.slice(pos, end), eol);
      pos = nl + 1;
      nl = this.carry.indexOf('\n', pos);
    }
    if (pos > 0) this.carry = this.carry.slice(pos);
    let pendingLen = this.carry.length;
    if (pendingLen > 0 && this.carry.charCodeAt(pendingLen - 1) === 13) pendingLen--;
    if (this.long || pendingLen > this.s.maxLineBytes) {
      if (!this.long) this.startLong();
      out += this.longSegment(this.carry.slice(0, pendingLen));
      this.carry = this.carry.slice(pendingLen);
    }
    return out;
  }

  end(): string {
    const rest = this.carry;
    this.carry = '';
    if (rest === '' && !this.long) return '';
    return this.line(rest, '');
  }

  private line(content: string, eol: string): string {
    let out: string;
    if (this.long || content.length > this.s.maxLineBytes) {
      if (!this.long) this.startLong();
      out = this.longSegment(content) + this.finishLong();
    } else {
      if (this.lineNo === 1 && this.csv) this.csv.header(content);
      else if (this.csv) content = this.csv.feed(content, this.lineNo) + this.csv.endOfLine(this.lineNo);
      const a = this.structural(content);
      out = a.done ? a.text : this.patterns(a.text, 0, true, a.text.length).out;
    }
    this.lineNo++;
    return out + eol;
  }

  // --- state machines over whole lines: key blocks, YAML block scalars under secret keys

  private structural(text: string): { text: string; done: boolean } {
    if (this.yaml) {
      const y = this.yaml;
      if (/^[ \t]*$/.test(text)) return { text, done: true };
      const indent = /^[ \t]*/.exec(text)![0].length;
      if (indent > y.indent) {
        if (pemArmorLine.test(text)) {
          y.rule = 'private-key';
          return { text, done: true };
        }
        if (/^\[REDACTED:[a-z0-9-]+\]$/.test(text.slice(indent))) return { text, done: true }; // already redacted
        if (!y.counted) {
          this.hits.add(y.rule, y.line);
          y.counted = true;
        }
        return { text: text.slice(0, indent) + marker(y.rule), done: true };
      }
      this.yaml = undefined;
    }
    if (this.pem) {
      const r = this.pemLine(text);
      if (r) return r;
    }
    if (!this.s.disabled.has('secret-assignment')) {
      const m = yamlBlockStart.exec(text);
      if (m && isSecretName(m[3]!)) {
        this.yaml = { indent: m[1]!.length, line: this.lineNo, counted: false, rule: 'secret-assignment' };
        return { text, done: false };
      }
    }
    if (!this.s.disabled.has('private-key') && text.includes('-----')) {
      pemHeaderGlobal.lastIndex = 0;
      let last: RegExpExecArray | null = null;
      let m: RegExpExecArray | null;
      while ((m = pemHeaderGlobal.exec(text)) !== null) last = m;
      if (last && !pemFooterRe.test(text.slice(last.index + last[0].length))) {
        this.pem = { line: this.lineNo, seenBody: false, counted: false };
      }
    }
    return { text, done: false };
  }

  /** One line inside a key block; undefined when the line shows the block is over (or was never one). */
  private pemLine(text: string): { text: string; done: boolean } | undefined {
    const p = this.pem!;
    const f = pemFooterRe.exec(text);
    if (f) {
      this.pem = undefined;
      const before = text.slice(0, f.index);
      const m = /^([ \t]*["']?)([A-Za-z0-9+/=]+)([ \t]*)$/.exec(before);
      if (m) {
        this.countPem(p);
        return { text: m[1]! + marker('private-key') + m[3]! + text.slice(f.index), done: false };
      }
      return { text, done: false };
    }
    if (/^[ \t]*$/.test(text)) return { text, done: true };
    if (!p.seenBody && pemArmorHeader.test(text)) return { text, done: true };
    const m = pemBodyLine.exec(text);
    if (m && (p.seenBody || m[2]!.length >= 16)) {
      p.seenBody = true;
      this.countPem(p);
      return { text: m[1]! + marker('private-key') + m[3]!, done: true };
    }
    this.pem = undefined;
    return undefined;
  }

  private countPem(p: { line: number; counted: boolean }): void {
    if (p.counted) return;
    p.counted = true;
    this.hits.add('private-key', p.line);
  }

  // --- pattern rules over a line or a window of a long line

  /**
   * Applies the rules to `text` from `from` (text before it is look-behind context already written).
   * Without `final`, candidates that reach past `cut` are deferred: the returned `cut` is where the
   * caller continues, so a secret across a window edge is matched whole in the next window.
   */
  private patterns(
    text: string,
    from: number,
    lineStart: boolean,
    cut: number,
    final = true,
  ): { out: string; cut: number } {
    const cands: Candidate[] = [];
    const ctx = { lineStart, format: this.format };
    const hinted = builtinPrefilter.test(text);
    for (const a of this.s.rules) {
      if (a.builtin && !hinted) continue;
      a.rule.find(text, from, ctx, a.priority, cands);
    }
    let usable = cands;
    if (!final && cands.length > 0) {
      let moved = true;
      while (moved) {
        moved = false;
        for (const c of cands) {
          if (c.start < cut && c.end > cut && c.start > from) {
            cut = c.start;
            moved = true;
          }
        }
      }
      // A candidate that starts at the window's start and still crosses the cut is longer than the
      // overlap: it cannot be deferred without stalling, so it is taken as found.
      for (const c of cands) if (c.start <= from && c.end > cut) cut = c.end;
      usable = cands.filter((c) => c.end <= cut);
    }
    const accepted = resolve(usable.filter((c) => !this.s.disabled.has(c.rule)));
    if (accepted.length === 0) return { out: text.slice(from, cut), cut };
    let out = '';
    let at = from;
    for (const c of accepted) {
      out += text.slice(at, c.secretStart) + this.replacement(text, c);
      at = c.secretEnd;
      this.hits.add(c.rule, this.lineNo);
    }
    out += text.slice(at, cut);
    return { out, cut };
  }

  /**
   * The marker for a candidate. In YAML a plain scalar must not start with "[" (it would read as a
   * list), so a marker that makes up a whole unquoted value is written quoted.
   */
  private replacement(text: string, c: Candidate): string {
    const m = marker(c.rule);
    if (this.format !== 'yaml') return m;
    let i = c.secretStart - 1;
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
    if (i < 0 || i === c.secretStart - 1) return m;
    const indicator = text[i] === ':' || (text[i] === '-' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t'));
    if (!indicator || !/^[ \t]*(?:#.*)?$/.test(text.slice(c.secretEnd))) return m;
    return `"${m}"`;
  }

  // --- long lines

  private startLong(): void {
    this.long = true;
    this.longLines++;
    this.longPending = '';
    this.longCtx = '';
    this.longFirst = true;
    this.pem = undefined;
    this.yaml = undefined;
  }

  private longSegment(seg: string): string {
    this.longPending += this.csv && this.lineNo > 1 ? this.csv.feed(seg, this.lineNo) : seg;
    let out = '';
    while (this.longPending.length >= this.s.maxLineBytes) out += this.window(false);
    return out;
  }

  private finishLong(): string {
    if (this.csv && this.lineNo > 1) this.longPending += this.csv.endOfLine(this.lineNo);
    const out = this.longPending.length > 0 || this.longFirst ? this.window(true) : '';
    this.long = false;
    this.longPending = '';
    this.longCtx = '';
    return out;
  }

  private window(final: boolean): string {
    const size = final ? this.longPending.length : this.s.maxLineBytes;
    const ctx = this.longCtx;
    const text = ctx + this.longPending.slice(0, size);
    const from = ctx.length;
    const cutAt = final ? text.length : text.length - this.s.overlap;
    const { out, cut } = this.patterns(text, from, this.longFirst, cutAt, final);
    this.longPending = this.longPending.slice(cut - from);
    this.longCtx = (ctx + out).slice(-lookBehind);
    this.longFirst = false;
    return out;
  }
}
