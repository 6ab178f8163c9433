import { codeUnitOrder } from '../../core/order';
import type { RedactionConfig } from './config';
import { JsonPathScanner, JsonSyntaxError, type CompiledPath } from './json-paths';
import { LineEngine, type EngineSettings } from './line-engine';
import { planFor } from './media-types';
import { marker, type TextFormat } from './rule';
import { Hits, redactionEngine, type JsonPathHits, type RedactionReport, type RuleHits } from './report';

// One artifact

const sniffBytes = 8192;
/** A buffered JSON document goes through the line engine in slices of this size, to bound the copies in flight. */
const jsonFeedSlice = 1024 * 1024;

/** The synchronous core behind the stream: feed bytes, get redacted bytes. */
export class ArtifactRedactor {
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
      .sort(([a], [b]) => codeUnitOrder(a, b))
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

export interface RedactorCore {
  config: RedactionConfig;
  settings: EngineSettings;
  paths: CompiledPath[];
  ruleset: string;
}
