import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { z } from 'zod';
import {
  builtinPrefilter,
  builtinRuleNames,
  genericRules,
  isPlaceholder,
  isSecretName,
  marker,
  pemFooterSource,
  pemHeaderSource,
  regexRule,
  specificRules,
  type Candidate,
  type Rule,
  type TextFormat,
} from './redaction-patterns';

/**
 * Redaction before persistence: secrets in collected artifacts are replaced by `[REDACTED:<rule>]`
 * while the bytes stream into the store, so the stored blob, its sha256 and everything downstream only
 * ever see the redacted text. The report says what was redacted and where (rule, count, line numbers),
 * never the secret.
 *
 * How text is processed:
 * - bytes are handled as latin1 strings, so everything not redacted is written back byte for byte;
 * - line by line (LF or CRLF), lines up to `maxLineBytes` at once; longer lines in windows of that
 *   size that overlap by half, so a secret up to `maxLineBytes / 2` long that crosses a window edge is
 *   still found whole;
 * - key blocks spanning lines, YAML block scalars under secret keys and CSV columns with secret
 *   headers are handled by small state machines that carry over from line to line;
 * - JSON documents (JSON media type, at most `maxJsonBytes`) additionally get the configured JSON paths
 *   redacted, which needs the whole document: it is buffered up to that cap, larger ones fall back to
 *   patterns only and the report says so;
 * - binary media types (PDF, images, archives, office formats) pass through unchanged, `scanned: false`.
 *
 * The output depends only on the input bytes and the config, never on how the input was chunked.
 */

export const redactionEngine = 'evidence-hub/redaction@1';
export const defaultMaxJsonBytes = 32 * 1024 * 1024;
export const defaultMaxLineBytes = 1024 * 1024;
/** Line numbers listed per rule in a report; counts stay exact beyond it. */
export const maxReportedLines = 100;
const sniffBytes = 8192;
const lookBehind = 64;
const csvFieldBuffer = 256;
const maxJsonDepth = 1000;
/** A buffered JSON document goes through the line engine in slices of this size, to bound the copies in flight. */
const jsonFeedSlice = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Configuration

const ruleNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be 1-63 lowercase letters, digits or "-" (it becomes part of the [REDACTED:<name>] marker)',
  );

/** Why a user pattern cannot be used, or undefined when it is fine. */
export function regexProblem(source: string, flags = ''): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(source, flags + 'gd');
  } catch (err) {
    const detail = String((err as Error).message).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return `invalid regular expression ${JSON.stringify(source)}: ${detail}`;
  }
  re.lastIndex = 0;
  if (re.test(''))
    return `regular expression ${JSON.stringify(source)} matches the empty string, so it would match everywhere`;
  return undefined;
}

const patternSchema = z
  .strictObject({
    name: ruleNameSchema,
    regex: z.string().min(1, 'must not be empty'),
    /** Extra RegExp flags: i, m, s, u. `g` and `d` are always added. */
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'only the flags i, m, s and u are allowed')
      .default(''),
  })
  .superRefine((p, ctx) => {
    const problem = regexProblem(p.regex, p.flags);
    if (problem) ctx.addIssue({ code: 'custom', path: ['regex'], message: problem });
  });

const jsonPathSchema = z.string().superRefine((p, ctx) => {
  try {
    parseJsonPath(p);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/**
 * The `redaction:` section of evidence-hub.yaml. Everything has a default, so `redaction: {}` (or no
 * section, with `.prefault({})`) means: all built-in rules on, no JSON paths.
 */
export const redactionConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Extra patterns: `{ name, regex, flags? }`. A named group `secret` narrows what is replaced. */
    patterns: z.array(patternSchema).default([]),
    /** JSON paths redacted in JSON artifacts: `$.credentials.token`, `$..password`, `$.users[*].apiKey`, `$['odd key']`. */
    jsonPaths: z.array(jsonPathSchema).default([]),
    /** Built-in rule names to switch off. */
    disable: z.array(z.string()).default([]),
    /** JSON documents up to this size get JSON-path redaction (they are buffered); larger ones get patterns only. */
    maxJsonBytes: z.number().int().positive().default(defaultMaxJsonBytes),
    /** Lines up to this length are scanned whole; longer ones in overlapping windows of this size. */
    maxLineBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(defaultMaxLineBytes),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.patterns.forEach((p, i) => {
      if (builtinRuleNames.includes(p.name) || p.name === 'json-path') {
        ctx.addIssue({
          code: 'custom',
          path: ['patterns', i, 'name'],
          message: `"${p.name}" is a built-in rule name; choose another`,
        });
      } else if (seen.has(p.name)) {
        ctx.addIssue({ code: 'custom', path: ['patterns', i, 'name'], message: `duplicate pattern name "${p.name}"` });
      }
      seen.add(p.name);
    });
    cfg.disable.forEach((name, i) => {
      if (!builtinRuleNames.includes(name) && !seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['disable', i],
          message: `unknown rule "${name}"; built-in rules: ${builtinRuleNames.join(', ')}`,
        });
      }
    });
  });

export type RedactionConfig = z.output<typeof redactionConfigSchema>;
export type RedactionConfigInput = z.input<typeof redactionConfigSchema>;

// ---------------------------------------------------------------------------------------------------
// Report

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

class Hits {
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

// ---------------------------------------------------------------------------------------------------
// JSON paths

type PathSegment = { deep: boolean; name?: string; index?: number }; // neither name nor index: wildcard

/** Parses the supported JSONPath subset: `$`, `.name`, `..name`, `.*`, `[n]`, `[*]`, `['name']`, `["name"]`. */
export function parseJsonPath(path: string): PathSegment[] {
  const fail = (at: number, what: string): never => {
    throw new Error(
      `JSON path ${JSON.stringify(path)}: ${what} at position ${at} (supported: $, .name, ..name, .*, [n], [*], ['name'])`,
    );
  };
  if (!path.startsWith('$')) fail(0, 'must start with "$"');
  const segs: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    let deep = false;
    if (path.startsWith('..', i)) {
      deep = true;
      i += 2;
    } else if (path[i] === '.') {
      i += 1;
    } else if (path[i] !== '[') {
      fail(i, `unexpected ${JSON.stringify(path[i])}`);
    }
    if (path[i] === '*') {
      segs.push({ deep });
      i++;
    } else if (path[i] === '[') {
      const rest = path.slice(i);
      const m = /^\[(?:(\*)|(\d+)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest);
      if (!m) fail(i, 'unsupported bracket expression (filters, slices and unions are not supported)');
      const [whole, star, index, sq, dq] = m!;
      if (star) segs.push({ deep });
      else if (index !== undefined) segs.push({ deep, index: Number(index) });
      else segs.push({ deep, name: (sq ?? dq ?? '').replace(/\\(.)/g, '$1') });
      i += whole.length;
    } else {
      const m = /^[^.[\]\s*]+/.exec(path.slice(i));
      if (!m) fail(i, 'expected a member name');
      segs.push({ deep, name: m![0] });
      i += m![0].length;
    }
  }
  if (segs.length === 0) fail(path.length, 'selects the whole document; name a member');
  if (segs.length > 1000) fail(path.length, 'too many segments');
  return segs;
}

interface CompiledPath {
  source: string;
  segs: PathSegment[];
}

/** NFA states: pairs (path index, segment index) packed as path * 1024 + segment. */
type States = number[];

function stepStates(paths: CompiledPath[], states: States, key: string | number): { next: States; matched: number } {
  const next: States = [];
  let matched = -1;
  const add = (s: number) => {
    if (!next.includes(s)) next.push(s);
  };
  for (const st of states) {
    const p = Math.floor(st / 1024);
    const i = st % 1024;
    const seg = paths[p]!.segs[i]!;
    const ok = seg.name !== undefined ? key === seg.name : seg.index !== undefined ? key === seg.index : true;
    if (seg.deep) add(st);
    if (ok) {
      if (i + 1 === paths[p]!.segs.length) {
        if (matched < 0 || p < matched) matched = p;
      } else add(st + 1);
    }
  }
  return { next, matched };
}

interface JsonSplice {
  start: number;
  end: number;
  path: number;
  line: number;
}

class JsonSyntaxError extends Error {}

/** Finds the values selected by `paths` in a JSON document (latin1 string), validating its syntax. */
class JsonPathScanner {
  pos = 0;
  line = 1;
  readonly splices: JsonSplice[] = [];

  constructor(
    private readonly s: string,
    private readonly paths: CompiledPath[],
  ) {}

  run(): void {
    if (this.s.startsWith('\xef\xbb\xbf')) this.pos = 3;
    this.ws();
    const root: States = this.paths.map((_, p) => p * 1024);
    this.value(root, 0);
    this.ws();
    if (this.pos !== this.s.length) this.fail('unexpected data after the document');
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(`${what} at line ${this.line}`);
  }

  private ws(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d) this.pos++;
      else if (c === 0x0a) {
        this.pos++;
        this.line++;
      } else return;
    }
  }

  private value(states: States, depth: number): void {
    if (depth > maxJsonDepth) this.fail('nesting too deep');
    const c = this.s[this.pos];
    if (c === '{') this.object(states, depth);
    else if (c === '[') this.array(states, depth);
    else if (c === '"') this.string();
    else this.literal();
  }

  private child(states: States, key: string | number, depth: number): void {
    if (states.length === 0) return this.value(states, depth + 1);
    const { next, matched } = stepStates(this.paths, states, key);
    if (matched < 0) return this.value(next, depth + 1);
    const start = this.pos;
    const line = this.line;
    this.value([], depth + 1);
    if (this.s.slice(start, this.pos) !== 'null') this.splices.push({ start, end: this.pos, path: matched, line });
  }

  private object(states: States, depth: number): void {
    this.pos++;
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.s[this.pos] !== '"') this.fail('expected a member name');
      const ks = this.pos;
      this.string();
      const key = states.length ? decodeJsonString(this.s.slice(ks, this.pos)) : '';
      this.ws();
      if (this.s[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      this.ws();
      this.child(states, key, depth);
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return;
      if (c !== ',') this.fail('expected "," or "}"');
      this.ws();
    }
  }

  private array(states: States, depth: number): void {
    this.pos++;
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.child(states, index, depth);
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return;
      if (c !== ',') this.fail('expected "," or "]"');
      this.ws();
    }
  }

  private string(): void {
    const s = this.s;
    let i = this.pos + 1;
    for (;;) {
      const q = s.indexOf('"', i);
      if (q < 0) this.fail('unterminated string');
      let bs = 0;
      for (let j = q - 1; s.charCodeAt(j) === 0x5c; j--) bs++;
      if (bs % 2 === 0) {
        this.pos = q + 1;
        return;
      }
      i = q + 1;
    }
  }

  private static literalRe = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/y;

  private literal(): void {
    JsonPathScanner.literalRe.lastIndex = this.pos;
    const m = JsonPathScanner.literalRe.exec(this.s);
    if (!m) this.fail('unexpected character');
    this.pos += m![0].length;
  }
}

function decodeJsonString(rawLatin1: string): string {
  if (!/[\\\x80-\xff]/.test(rawLatin1)) return rawLatin1.slice(1, -1);
  return JSON.parse(Buffer.from(rawLatin1, 'latin1').toString('utf8')) as string;
}

// ---------------------------------------------------------------------------------------------------
// The line engine

interface ActiveRule {
  rule: Rule;
  priority: number;
  builtin: boolean;
}

interface EngineSettings {
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

function userRule(name: string, source: string, flags: string): Rule {
  return regexRule(
    name,
    `configured pattern /${source}/${flags}`,
    [new RegExp(source, flags + 'gd')],
    undefined,
    false,
  );
}

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

class CsvColumns {
  private secretCols = new Set<number>();
  private delim = ',';
  private inQuotes = false;
  private quotePending = false;
  private field = 0;
  private atFieldStart = true;
  private buf = '';
  private markerDone = false;
  private out = '';
  private line = 1;
  columns: string[] = [];

  constructor(
    private readonly tsv: boolean,
    private readonly hit: (line: number) => void,
  ) {}

  header(line: string): void {
    const text = line.startsWith('\xef\xbb\xbf') ? line.slice(3) : line;
    this.delim = this.tsv
      ? '\t'
      : text.includes(',')
        ? ','
        : text.includes(';')
          ? ';'
          : text.includes('\t')
            ? '\t'
            : ',';
    const names: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (q) {
        if (c === '"' && text[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === this.delim) {
        names.push(cur);
        cur = '';
      } else cur += c;
    }
    names.push(cur);
    names.forEach((n, i) => {
      if (isSecretName(n.trim())) {
        this.secretCols.add(i);
        this.columns.push(n.trim());
      }
    });
  }

  get active(): boolean {
    return this.secretCols.size > 0;
  }

  /** Processes a piece of a record line (never containing the line break). */
  feed(piece: string, line: number): string {
    if (!this.active) return piece;
    this.line = line;
    this.out = '';
    const d = this.delim;
    for (let i = 0; i < piece.length; i++) {
      const c = piece[i]!;
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === '"') {
            this.content('""');
            continue;
          }
          this.closeQuote();
        } else if (c === '"') {
          this.quotePending = true;
          continue;
        } else {
          this.content(c);
          continue;
        }
      }
      if (this.atFieldStart) {
        this.atFieldStart = false;
        if (c === '"') {
          this.inQuotes = true;
          this.out += c;
          continue;
        }
      }
      if (c === d) {
        this.flushField();
        this.out += c;
        this.field++;
        this.atFieldStart = true;
        this.markerDone = false;
        continue;
      }
      this.content(c);
    }
    return this.out;
  }

  /** Called at each line break: ends the record unless a quoted field continues on the next line. */
  endOfLine(line: number): string {
    if (!this.active) return '';
    this.line = line;
    this.out = '';
    if (this.quotePending) {
      this.quotePending = false;
      this.closeQuote();
    }
    this.flushField();
    if (!this.inQuotes) {
      this.field = 0;
      this.atFieldStart = true;
      this.markerDone = false;
    }
    return this.out;
  }

  private closeQuote(): void {
    this.inQuotes = false;
    this.flushField();
    this.out += '"';
  }

  private content(c: string): void {
    if (!this.secretCols.has(this.field)) {
      this.out += c;
      return;
    }
    if (this.markerDone) return;
    this.buf += c;
    if (this.buf.length > csvFieldBuffer) this.emitMarker();
  }

  private flushField(): void {
    if (this.buf === '') return;
    if (!this.markerDone && isPlaceholder(this.buf)) {
      this.out += this.buf;
      this.buf = '';
      return;
    }
    this.emitMarker();
  }

  private emitMarker(): void {
    if (!this.markerDone) {
      this.out += marker('csv-secret-column');
      this.hit(this.line);
      this.markerDone = true;
    }
    this.buf = '';
  }
}

/**
 * Redacts a text stream given as latin1 string pieces. Synchronous and chunking-independent: the same
 * bytes give the same output however they are split across `write` calls.
 */
class LineEngine {
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

// ---------------------------------------------------------------------------------------------------
// Media types

const textTypes = new Set([
  'application/json',
  'application/yaml',
  'application/x-yaml',
  'application/xml',
  'application/javascript',
  'application/x-ndjson',
  'application/jsonl',
  'application/toml',
  'application/x-sh',
  'application/sql',
  'application/csv',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/x-httpd-php',
  'application/ld+json',
]);
const binaryTypes = new Set([
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-7z-compressed',
  'application/x-bzip2',
  'application/x-xz',
  'application/zstd',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/msword',
  'application/java-archive',
  'application/wasm',
  'application/x-sqlite3',
  'application/x-parquet',
  'application/vnd.apache.parquet',
  'application/x-protobuf',
  'application/cbor',
  'application/x-executable',
  'application/epub+zip',
]);

type Plan = { kind: 'binary'; reason: string } | { kind: 'text' | 'sniff'; format: TextFormat; tsv: boolean };

function planFor(mediaType: string, artifactId: string): Plan {
  const mt = mediaType.split(';')[0]!.trim().toLowerCase();
  const name = artifactId.toLowerCase();
  const ext = /\.([a-z0-9]+)$/.exec(name)?.[1] ?? '';
  const jsonish =
    mt === 'application/json' ||
    mt === 'text/json' ||
    mt.endsWith('+json') ||
    (mt === 'application/octet-stream' && ext === 'json');
  const yamlish = mt.includes('yaml') || ext === 'yaml' || ext === 'yml';
  const csvish =
    mt === 'text/csv' ||
    mt === 'application/csv' ||
    mt === 'text/tab-separated-values' ||
    ext === 'csv' ||
    ext === 'tsv';
  const tsv = mt === 'text/tab-separated-values' || ext === 'tsv';
  const format: TextFormat = jsonish ? 'json' : yamlish ? 'yaml' : csvish ? 'csv' : 'text';
  const text = { format, tsv };
  if (
    mt.startsWith('text/') ||
    textTypes.has(mt) ||
    mt.endsWith('+json') ||
    mt.endsWith('+xml') ||
    mt.endsWith('+yaml')
  ) {
    return { kind: 'text', ...text };
  }
  if (
    binaryTypes.has(mt) ||
    /^(?:image|audio|video|font)\//.test(mt) ||
    mt.startsWith('application/vnd.openxmlformats-officedocument.') ||
    mt.startsWith('application/vnd.ms-') ||
    mt.startsWith('application/vnd.oasis.opendocument.') ||
    mt.endsWith('+zip')
  ) {
    return { kind: 'binary', reason: `binary media type ${mt}` };
  }
  return { kind: 'sniff', ...text };
}

// ---------------------------------------------------------------------------------------------------
// One artifact

/** The synchronous core behind the stream: feed bytes, get redacted bytes. */
class ArtifactRedactor {
  private mode: 'pass' | 'sniff' | 'text' | 'json' = 'text';
  private held: Buffer[] = [];
  private heldBytes = 0;
  private engine: LineEngine | undefined;
  private readonly hits = new Hits();
  private readonly jsonHits = new Hits();
  private jsonApplied = false;
  private readonly notes: string[] = [];
  private reason: string | undefined;
  private bytesIn = 0;
  private bytesOut = 0;
  private finished = false;
  private readonly format: TextFormat;
  private readonly tsv: boolean;

  constructor(
    private readonly r: RedactorCore,
    private readonly mediaType: string,
    private readonly artifactId: string,
  ) {
    const plan = planFor(mediaType, artifactId);
    this.format = plan.kind === 'binary' ? 'text' : plan.format;
    this.tsv = plan.kind === 'binary' ? false : plan.tsv;
    if (!r.config.enabled) {
      this.mode = 'pass';
      this.reason = 'redaction disabled by configuration';
    } else if (plan.kind === 'binary') {
      this.mode = 'pass';
      this.reason = plan.reason;
    } else if (plan.kind === 'sniff') {
      this.mode = 'sniff';
    } else {
      this.startText();
    }
  }

  private startText(): void {
    if (this.format === 'json' && this.r.paths.length > 0) this.mode = 'json';
    else this.toEngine();
  }

  private toEngine(): void {
    this.mode = 'text';
    this.engine = new LineEngine(this.r.settings, this.format, this.hits, this.format === 'csv' ? this.tsv : undefined);
  }

  write(chunk: Buffer): Buffer[] {
    this.bytesIn += chunk.length;
    switch (this.mode) {
      case 'pass':
        return this.emit(chunk);
      case 'text':
        return this.emitText(this.engine!.write(chunk.toString('latin1')));
      case 'sniff':
      case 'json': {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        if (this.mode === 'sniff' && this.heldBytes >= sniffBytes) return this.decideSniff();
        if (this.mode === 'json' && this.heldBytes > this.r.config.maxJsonBytes) return this.overJsonCap();
        return [];
      }
    }
  }

  end(): Buffer[] {
    const out: Buffer[] = [];
    if (this.mode === 'sniff') out.push(...this.decideSniff());
    if (this.mode === 'json') out.push(...this.finishJson());
    if (this.mode === 'text') out.push(...this.emitText(this.engine!.end()));
    if (this.engine) {
      if (this.engine.longLines > 0) {
        this.notes.push(
          `${this.engine.longLines} line(s) longer than maxLineBytes (${this.r.config.maxLineBytes}) scanned in overlapping windows`,
        );
      }
      const cols = this.engine.csvColumns;
      if (cols.length > 0) this.notes.push(`CSV columns redacted by header name: ${cols.join(', ')}`);
    }
    this.finished = true;
    return out;
  }

  private decideSniff(): Buffer[] {
    const all = Buffer.concat(this.held);
    if (all.subarray(0, sniffBytes).includes(0)) {
      this.mode = 'pass';
      this.reason = `binary content (NUL bytes) in ${this.mediaType}`;
      this.held = [];
      this.heldBytes = 0;
      return this.emit(all);
    }
    this.startText();
    if (this.mode === 'json') return this.heldBytes > this.r.config.maxJsonBytes ? this.overJsonCap() : [];
    return this.releaseHeld();
  }

  private overJsonCap(): Buffer[] {
    this.notes.push(
      `JSON paths not applied: document larger than maxJsonBytes (${this.r.config.maxJsonBytes}); patterns only`,
    );
    return this.releaseHeld();
  }

  /** Sends the held bytes through the line engine (switching to it if needed). */
  private releaseHeld(): Buffer[] {
    if (this.mode !== 'text') this.toEngine();
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    const out: Buffer[] = [];
    for (const b of held) out.push(...this.emitText(this.engine!.write(b.toString('latin1'))));
    return out;
  }

  private finishJson(): Buffer[] {
    const text = Buffer.concat(this.held).toString('latin1');
    this.held = [];
    this.heldBytes = 0;
    let spliced = text;
    try {
      spliced = this.applyJsonPaths(text);
      this.jsonApplied = true;
    } catch (err) {
      if (err instanceof RangeError)
        this.notes.push('JSON paths not applied: document nested too deeply; patterns only');
      else if (err instanceof JsonSyntaxError)
        this.notes.push(`JSON paths not applied: not valid JSON (${err.message}); patterns only`);
      else throw err;
    }
    this.toEngine();
    const out: Buffer[] = [];
    for (let at = 0; at < spliced.length; at += jsonFeedSlice)
      out.push(...this.emitText(this.engine!.write(spliced.slice(at, at + jsonFeedSlice))));
    out.push(...this.emitText(this.engine!.end()));
    return out;
  }

  private applyJsonPaths(text: string): string {
    const scanner = new JsonPathScanner(text, this.r.paths);
    scanner.run();
    const splices = scanner.splices;
    if (splices.length === 0) return text;
    splices.sort((a, b) => a.start - b.start);
    const rep = `"${marker('json-path')}"`;
    const parts: string[] = [];
    let at = 0;
    let removedLines = 0;
    for (const sp of splices) {
      parts.push(text.slice(at, sp.start), rep);
      this.jsonHits.add(this.r.paths[sp.path]!.source, sp.line - removedLines);
      for (let i = sp.start; i < sp.end; i++) if (text.charCodeAt(i) === 10) removedLines++;
      at = sp.end;
    }
    parts.push(text.slice(at));
    return parts.join('');
  }

  private emitText(s: string): Buffer[] {
    return s.length === 0 ? [] : this.emit(Buffer.from(s, 'latin1'));
  }

  private emit(b: Buffer): Buffer[] {
    if (b.length === 0) return [];
    this.bytesOut += b.length;
    return [b];
  }

  report(): RedactionReport {
    if (!this.finished) throw new Error(`redaction report for ${this.artifactId} requested before its stream finished`);
    const scanned = this.mode !== 'pass';
    const byRule: RuleHits[] = [...this.hits.count.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([rule, h]) => ({
        rule,
        count: h.count,
        lines: h.lines,
        ...(h.truncated ? { linesTruncated: true as const } : {}),
      }));
    const jsonPaths: JsonPathHits[] = this.jsonApplied
      ? this.r.paths.map((p) => {
          const h = this.jsonHits.count.get(p.source);
          return {
            path: p.source,
            count: h?.count ?? 0,
            lines: h?.lines ?? [],
            ...(h?.truncated ? { linesTruncated: true as const } : {}),
          };
        })
      : [];
    return {
      engine: redactionEngine,
      ruleset: this.r.ruleset,
      artifactId: this.artifactId,
      mediaType: this.mediaType,
      scanned,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      total: this.hits.total() + this.jsonHits.total(),
      byRule,
      jsonPaths,
      notes: [...this.notes],
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    };
  }
}

interface RedactorCore {
  config: RedactionConfig;
  settings: EngineSettings;
  paths: CompiledPath[];
  ruleset: string;
}

// ---------------------------------------------------------------------------------------------------
// Public API

export interface RedactionTransform {
  /** Pipe the artifact's bytes in, read the redacted bytes out (e.g. into `EvidenceStore.putBlob`). */
  stream: Transform;
  /** The report; available once the stream has ended (throws before). */
  report(): RedactionReport;
}

export interface Redactor {
  readonly config: RedactionConfig;
  /** First 16 hex of the sha256 of the effective rule set (engine version, rules, patterns, paths, limits). */
  readonly ruleset: string;
  /** Names of the rules that can appear in markers and reports with this config. */
  readonly rules: readonly string[];
  /** A fresh Transform for one artifact. */
  transform(mediaType: string, artifactId: string): RedactionTransform;
  /**
   * `source` piped through `transform(...)` with `stream.pipeline`, so an error in the source fails the
   * returned stream (a bare `source.pipe()` would leave its consumer waiting forever).
   */
  redact(source: Readable, mediaType: string, artifactId: string): { stream: Readable; report(): RedactionReport };
  /** Whole-buffer convenience, same result as the stream. */
  redactBuffer(
    input: Buffer | string,
    mediaType: string,
    artifactId: string,
  ): { output: Buffer; report: RedactionReport };
}

/** Raised for an invalid redaction config; the message names each bad field. */
export class RedactionConfigError extends Error {}

export function createRedactor(options: RedactionConfigInput | RedactionConfig = {}): Redactor {
  const parsed = redactionConfigSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${['redaction', ...i.path].join('.')}: ${i.message}`);
    throw new RedactionConfigError(`invalid redaction config:\n  ${problems.join('\n  ')}`);
  }
  const config = parsed.data;
  const disabled = new Set(config.disable);
  const rules: ActiveRule[] = [];
  let priority = 0;
  for (const rule of specificRules)
    if (!disabled.has(rule.name)) rules.push({ rule, priority: priority++, builtin: true });
  for (const p of config.patterns)
    if (!disabled.has(p.name))
      rules.push({ rule: userRule(p.name, p.regex, p.flags), priority: priority++, builtin: false });
  for (const rule of genericRules)
    if (!disabled.has(rule.name)) rules.push({ rule, priority: priority++, builtin: true });
  const settings: EngineSettings = {
    rules,
    disabled,
    maxLineBytes: config.maxLineBytes,
    overlap: Math.floor(config.maxLineBytes / 2),
  };
  const paths = config.jsonPaths.map((source) => ({ source, segs: parseJsonPath(source) }));
  const ruleNames = [
    ...builtinRuleNames.filter((n) => !disabled.has(n)),
    ...config.patterns.map((p) => p.name).filter((n) => !disabled.has(n)),
    ...(paths.length ? ['json-path'] : []),
  ];
  const ruleset = createHash('sha256')
    .update(
      JSON.stringify({
        engine: redactionEngine,
        enabled: config.enabled,
        rules: ruleNames,
        patterns: config.patterns,
        jsonPaths: config.jsonPaths,
        maxJsonBytes: config.maxJsonBytes,
        maxLineBytes: config.maxLineBytes,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const core: RedactorCore = { config, settings, paths, ruleset };

  const transform = (mediaType: string, artifactId: string): RedactionTransform => {
    const a = new ArtifactRedactor(core, mediaType, artifactId);
    const stream = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        try {
          for (const b of a.write(chunk)) this.push(b);
          cb();
        } catch (err) {
          cb(err as Error);
        }
      },
      flush(cb) {
        try {
          for (const b of a.end()) this.push(b);
          cb();
        } catch (err) {
          cb(err as Error);
        }
      },
    });
    return { stream, report: () => a.report() };
  };

  return {
    config,
    ruleset,
    rules: ruleNames,
    transform,
    redact(source, mediaType, artifactId) {
      const t = transform(mediaType, artifactId);
      pipeline(source, t.stream, () => {
        // Errors reach whoever reads t.stream: pipeline destroys it with the error.
      });
      return t;
    },
    redactBuffer(input, mediaType, artifactId) {
      const a = new ArtifactRedactor(core, mediaType, artifactId);
      const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
      const out = [...a.write(buf), ...a.end()];
      return { output: Buffer.concat(out), report: a.report() };
    },
  };
}
