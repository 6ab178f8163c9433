import path from 'node:path';
import { Readable } from 'node:stream';
import { canonicalJson } from '../../core/digest';
import type { CollectedArtifact, CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import type { JsonValue } from '../../core/json';
import { codeUnitOrder } from '../../core/order';
import { Aggregate, compileRules, SystemNames, type CompiledRules } from './aggregate';
import type { SiemFormat, SiemSourceConfig } from './config';
import { FileReader, type FileOutcome } from './ingest';
import { summaryKinds, type SiemKind } from './kinds';
import { SourceConfigError, SourceContentError } from '../../core/errors';
import { fileProblems, nothingUsable, type FailedFile } from './failures';
import { LocalFolderLocation, type ExportFile, type ExportLocation } from './location';
import { buildSummaries, type SummaryContext } from './summaries';
import { iso } from './timestamps';

export const siemCollector = 'siem@1.0.0';

const mediaTypes: Record<SiemFormat, string> = {
  'splunk-json': 'application/x-ndjson',
  'splunk-csv': 'text/csv',
  'elastic-ndjson': 'application/x-ndjson',
  'elastic-search': 'application/json',
  cef: 'text/plain',
  ocsf: 'application/x-ndjson',
  json: 'application/x-ndjson',
};

const maxListedSystems = 100;

/** Carried to the next run: size and mtime per file, to report export files removed or rewritten since. */
interface SiemState {
  version: 1;
  files: Record<string, [number, number]>;
}

/**
 * Where a step sits in the fixed order of a collection: per file (path order) its raw export, then its
 * quarantine; after all files, the summaries. Cursors are compared in this order, not as strings.
 */
type Position = { phase: 0; path: string; stage: 0 | 1 } | { phase: 1; index: number };

function positionOf(cursor: string): Position | undefined {
  if (cursor.startsWith('export:')) return { phase: 0, path: cursor.slice(7), stage: 0 };
  if (cursor.startsWith('quarantine:')) return { phase: 0, path: cursor.slice(11), stage: 1 };
  if (cursor.startsWith('summary:')) {
    const index = (summaryKinds as readonly string[]).indexOf(cursor.slice(8));
    if (index !== -1) return { phase: 1, index };
  }
  return undefined;
}

function isAfter(p: Position, resume: Position | undefined): boolean {
  if (!resume) return true;
  if (p.phase !== resume.phase) return p.phase > resume.phase;
  if (p.phase === 1 && resume.phase === 1) return p.index > resume.index;
  if (p.phase === 0 && resume.phase === 0) {
    if (p.path !== resume.path) return p.path > resume.path;
    return p.stage > resume.stage;
  }
  return false;
}

/**
 * Exported SIEM event logs of AI systems (ISO/IEC 42001 A.6.2.8 event logging, A.6.2.6 monitoring).
 * Every export file is read once, streaming, into per-system per-day counters; the file itself is yielded
 * as a `log-export` artifact, its malformed records as a `quarantine` artifact, and after all files four
 * summaries over the accepted files: `event-counts`, `log-continuity`, `retention`, `incident-list`.
 *
 * A file with more malformed records than `maxMalformedRatio` (or unreadable) is failed: its events stay
 * out of the summaries and the other files' evidence is still yielded. The run is then partial, with one
 * problem per failed file (counts and reason codes); only when every file failed does collection end
 * with a `SourceContentError` (not retried: the same bytes give the same answer) leading with the top reason codes.
 *
 * Resume: the summaries need every file, so a resumed attempt reads the files before the cursor again
 * without yielding them, and yields from the step after the cursor.
 */
export class SiemConnector implements Connector {
  readonly type = 'siem';
  private readonly reader: FileReader;
  private readonly rules: CompiledRules;
  private counters = { files: 0, lines: 0, events: 0, malformed: 0, skipped: 0, bytes: 0, failedFiles: 0 };
  private problemList: string[] = [];
  private sincePrevious: { new: number; removed: number; changed: number } | undefined;
  private finalState: SiemState | undefined;

  constructor(
    private readonly cfg: SiemSourceConfig,
    private readonly location: ExportLocation,
  ) {
    this.reader = new FileReader(cfg);
    this.rules = compileRules(cfg.incidents, cfg.categories);
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    const { log, signal } = options;
    this.counters = { files: 0, lines: 0, events: 0, malformed: 0, skipped: 0, bytes: 0, failedFiles: 0 };
    this.problemList = [];
    let resume: Position | undefined;
    if (options.resumeAfter !== undefined) {
      resume = positionOf(options.resumeAfter);
      if (!resume) log.warn({ cursor: options.resumeAfter }, 'unrecognised resume cursor; collecting from the start');
    }
    const files = await this.location.list(signal);
    const previous = readState(options.previousState);
    const state: SiemState = { version: 1, files: {} };
    for (const f of files) state.files[f.path] = [f.size, f.mtime.getTime()];
    this.sincePrevious = previous ? compareStates(previous, state) : undefined;

    const names = new SystemNames(this.cfg.limits.maxSystems);
    const total = new Aggregate(this.rules, names, this.cfg.limits.maxIncidents);
    const failures: FailedFile[] = [];
    let accepted = 0;
    for (const file of files) {
      signal?.throwIfAborted();
      const rawPos: Position = { phase: 0, path: file.path, stage: 0 };
      const quarantinePos: Position = { phase: 0, path: file.path, stage: 1 };
      const out = await this.reader.read(this.location, file, this.rules, names, signal);
      this.count(out);
      if (out.failure === undefined) {
        total.mergeFrom(out.aggregate);
        accepted++;
      } else {
        failures.push({
          path: file.path,
          failure: out.failure,
          fileErrorCode: out.fileErrorCode,
          quarantine: out.quarantine,
        });
        log.warn({ file: file.path, failure: out.failure, format: out.format }, 'export file failed');
      }
      if (out.malformed > 0)
        log.info({ file: file.path, malformed: out.malformed, ratio: out.ratio }, 'malformed records quarantined');
      if (out.failure === undefined && isAfter(rawPos, resume))
        yield { cursor: `export:${file.path}`, artifact: this.rawArtifact(out) };
      if ((out.malformed > 0 || out.failure !== undefined) && isAfter(quarantinePos, resume)) {
        yield { cursor: `quarantine:${file.path}`, artifact: this.quarantineArtifact(out) };
      }
    }

    if (total.events > 0) {
      const ctx: SummaryContext = {
        cfg: this.cfg,
        files: accepted,
        failedFiles: failures.length,
        systemsCapped: names.capped,
        ...(this.sincePrevious
          ? { sincePrevious: { removed: this.sincePrevious.removed, changed: this.sincePrevious.changed } }
          : {}),
      };
      for (const s of buildSummaries(total, ctx)) {
        const index = summaryKinds.indexOf(s.kind);
        if (!isAfter({ phase: 1, index }, resume)) continue;
        yield {
          cursor: `summary:${s.kind}`,
          artifact: this.jsonArtifact(
            `summary:${s.kind}`,
            s.kind,
            s.observedAt,
            s.attributes,
            s.body,
            this.location.endpoint,
          ),
        };
      }
    } else {
      log.warn(
        { files: files.length, location: this.location.description },
        'no events in any accepted export file: no summaries',
      );
    }
    this.finalState = state;

    // A failed file does not fail the source: the good files are sealed, the bad one is quarantined, and
    // the run is partial with one problem per failed file (name, counts, reason codes). Only a source
    // that yielded nothing usable, every file failed, fails the run, with the top reason codes.
    if (failures.length > 0 && accepted === 0) {
      throw new SourceContentError(nothingUsable(this.cfg.id, failures, files.length));
    }
    this.problemList = fileProblems(failures);
  }

  problems(): string[] {
    return this.problemList;
  }

  state(): JsonValue {
    return (this.finalState ?? null) as unknown as JsonValue;
  }

  stats(): ConnectorStats {
    const s: ConnectorStats = { ...this.counters };
    if (this.sincePrevious) {
      s['filesNew'] = this.sincePrevious.new;
      s['filesRemoved'] = this.sincePrevious.removed;
      s['filesChanged'] = this.sincePrevious.changed;
    }
    return s;
  }

  private count(out: FileOutcome): void {
    const c = this.counters;
    c.files++;
    c.lines += out.lines;
    c.events += out.events;
    c.malformed += out.malformed;
    c.skipped += out.skipped;
    c.bytes += out.bytes;
    if (out.failure !== undefined) c.failedFiles++;
  }

  private observed(out: FileOutcome): { at: string; from: string } {
    return out.events > 0
      ? { at: iso(out.aggregate.last), from: 'last-event' }
      : { at: out.file.mtime.toISOString(), from: 'mtime' };
  }

  private provenance(file: ExportFile) {
    return {
      endpoint: file.endpoint,
      collector: siemCollector,
      ...(file.etag !== undefined ? { etag: file.etag } : {}),
      ...(file.versionId !== undefined ? { versionId: file.versionId } : {}),
    };
  }

  private rawArtifact(out: FileOutcome): CollectedArtifact {
    const { file, aggregate } = out;
    const observed = this.observed(out);
    const systems = [...aggregate.systems.keys()].sort();
    const attributes: Record<string, JsonValue> = {
      path: file.path,
      name: path.posix.basename(file.path),
      format: out.format ?? null,
      layout: out.layout,
      compression: out.compressed ? 'gzip' : 'none',
      size: file.size,
      mtime: file.mtime.toISOString(),
      lines: out.lines,
      events: out.events,
      skipped: out.skipped,
      malformed: out.malformed,
      malformedRatio: Math.round(out.ratio * 1e6) / 1e6,
      firstEvent: out.events > 0 ? iso(aggregate.first) : null,
      lastEvent: out.events > 0 ? iso(aggregate.last) : null,
      systems: systems.slice(0, maxListedSystems),
      observedAtFrom: observed.from,
    };
    const location = this.location;
    return {
      meta: {
        externalId: `export:${file.path}`,
        kind: 'log-export' satisfies SiemKind,
        observedAt: observed.at,
        mediaType: out.compressed
          ? 'application/gzip'
          : out.format
            ? out.layout === 'document'
              ? 'application/json'
              : mediaTypes[out.format]
            : 'application/octet-stream',
        attributes,
        provenance: this.provenance(file),
      },
      open: () => location.open(file),
    };
  }

  private quarantineArtifact(out: FileOutcome): CollectedArtifact {
    const q = out.quarantine;
    const attributes: Record<string, JsonValue> = {
      path: out.file.path,
      format: out.format ?? null,
      malformed: out.malformed,
      records: out.events + out.malformed,
      malformedRatio: Math.round(out.ratio * 1e6) / 1e6,
      maxMalformedRatio: this.cfg.maxMalformedRatio,
      failed: out.failure !== undefined,
      failure: out.failure ?? null,
      reasons: Object.fromEntries([...q.byReason].sort(([a], [b]) => codeUnitOrder(a, b))),
      listed: q.entries.length,
      truncated: q.truncated,
    };
    const body: Record<string, JsonValue> = {
      ...attributes,
      note: `line numbers are 1-based physical lines of the decompressed file; content is never copied beyond a ${this.cfg.limits.quarantinePrefixChars}-character redacted prefix`,
      entries: q.entries as unknown as JsonValue,
    };
    const observed = this.observed(out);
    return this.jsonArtifact(
      `quarantine:${out.file.path}`,
      'quarantine',
      observed.at,
      attributes,
      body,
      out.file.endpoint,
      this.provenance(out.file),
    );
  }

  private jsonArtifact(
    externalId: string,
    kind: SiemKind,
    observedAt: string,
    attributes: Record<string, JsonValue>,
    body: Record<string, JsonValue>,
    endpoint: string,
    provenance = { endpoint, collector: siemCollector },
  ): CollectedArtifact {
    const bytes = Buffer.from(canonicalJson({ source: this.cfg.id, kind, ...body }));
    return {
      meta: { externalId, kind, observedAt, mediaType: 'application/json', attributes, provenance },
      open: () => Readable.from([bytes]),
    };
  }
}

function readState(v: JsonValue | undefined): SiemState | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v['version'] !== 1) return undefined;
  const files = v['files'];
  if (files === null || typeof files !== 'object' || Array.isArray(files)) return undefined;
  const out: SiemState = { version: 1, files: {} };
  for (const [k, e] of Object.entries(files)) {
    if (Array.isArray(e) && typeof e[0] === 'number' && typeof e[1] === 'number') out.files[k] = [e[0], e[1]];
  }
  return out;
}

function compareStates(prev: SiemState, now: SiemState): { new: number; removed: number; changed: number } {
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const [k, [size, mtime]] of Object.entries(now.files)) {
    const p = prev.files[k];
    if (!p) added++;
    else if (p[0] !== size || p[1] !== mtime) changed++;
  }
  for (const k of Object.keys(prev.files)) if (!(k in now.files)) removed++;
  return { new: added, removed, changed };
}

/** The connector for a configured `siem` source; `location` replaces the local folder (an S3 prefix, later). */
export function createSiemConnector(source: SiemSourceConfig, deps: { location?: ExportLocation } = {}): Connector {
  if (!deps.location && source.path === undefined)
    throw new SourceConfigError(
      `source "${source.id}": no folder (path) configured; an s3 location is built by connectors/siem/index.ts`,
    );
  const location =
    deps.location ??
    new LocalFolderLocation({
      sourceId: source.id,
      root: source.path!,
      include: source.include,
      exclude: source.exclude,
    });
  return new SiemConnector(source, location);
}
