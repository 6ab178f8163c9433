import { readFile, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nonRetryableErrorTypes, SourceConfigError, SourceContentError, SourceResponseError } from '../../core/errors';
import { siemSourceSchema, type SiemFormat, type SiemSourceInput } from '../../connectors/siem/config';
import type { MalformedReason, RecordSink } from '../../connectors/siem/event';
import { EventBuilder, resolveFields } from '../../connectors/siem/event';
import { SearchResponseParser } from '../../connectors/siem/formats/search-response';
import { jsonLayout } from '../../connectors/siem/formats/json-layout';
import { siemKinds } from '../../connectors/siem/kinds';
import type { ExportFile, ExportLocation } from '../../connectors/siem/location';
import { redactedPrefix } from '../../connectors/siem/quarantine';
import { createSiemConnector } from '../../connectors/siem/siem-connector';
import { parseTimestamp } from '../../connectors/siem/timestamps';
import type { CollectionStep } from '../../connectors/types';
import type { JsonValue } from '../../core/json';
import { mappingFileSchema } from '../../mappings/schema';
import { createLogger } from '../../worker/logger';
import { tempDir, writeTree } from '../support/tmp';
import { assertProperty } from '../support/property';

const log = createLogger({ level: 'silent' });
const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const isoOf = (t: number) => new Date(t).toISOString();

// ---------------------------------------------------------------------------------------------------
// Fixture events: fraud-scorer every 5 min over 72 h with a 30 h gap (2026-01-01T20:00Z .. 01-03T02:00Z),
// chat-bot every 15 min without gaps. Every 97th event is a critical "Prompt injection blocked".
// ---------------------------------------------------------------------------------------------------
interface Ev {
  t: number;
  system: string;
  critical: boolean;
  name: string;
  i: number;
}

function fixtureEvents(): Ev[] {
  const out: Omit<Ev, 'i' | 'critical' | 'name'>[] = [];
  for (let t = T0; t <= T0 + 72 * H; t += 5 * 60_000) {
    if (t > T0 + 20 * H && t < T0 + 50 * H) continue;
    out.push({ t, system: 'fraud-scorer' });
  }
  for (let t = T0; t <= T0 + 72 * H; t += 15 * 60_000) out.push({ t, system: 'chat-bot' });
  out.sort((a, b) => a.t - b.t || (a.system < b.system ? -1 : 1));
  return out.map((e, i) => ({
    ...e,
    i,
    critical: i % 97 === 50,
    name: i % 97 === 50 ? 'Prompt injection blocked' : 'inference',
  }));
}

const events = fixtureEvents();
const fraudEvents = events.filter((e) => e.system === 'fraud-scorer').length;
const criticalEvents = events.filter((e) => e.critical).length;
const gapFrom = isoOf(T0 + 20 * H);
const gapTo = isoOf(T0 + 50 * H);

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function cefDate(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
}

interface FormatCase {
  format: SiemFormat;
  file: string;
  config?: Partial<SiemSourceInput>;
  /** Rendered records, one string each (a string may span lines, e.g. a multi-line CSV field). */
  records: string[];
  header?: string;
  footer?: string;
  /** Malformed lines inserted among the records, with the reason each must be quarantined for. */
  malformed: [string, MalformedReason][];
  /** Malformed lines that can only go last (an unterminated CSV quote swallows what follows). */
  malformedLast?: [string, MalformedReason];
}

const cases: FormatCase[] = [
  {
    format: 'splunk-json',
    file: 'splunk/export.json',
    header: '{"preview":false,"init_offset":0,"messages":[]}',
    // Splunk exports newest first: order must not matter.
    records: [...events].reverse().map((e) =>
      JSON.stringify({
        preview: false,
        offset: e.i,
        result: {
          _time: isoOf(e.t).replace('Z', '+00:00'),
          host: e.system,
          severity: e.critical ? 'critical' : 'informational',
          signature: e.name,
          _raw: `req=${e.i}`,
        },
      }),
    ),
    footer: '{"preview":false,"lastrow":true}',
    malformed: [
      ['{"preview":false,"result":"oops"}', 'not-an-object'],
      ['{"unexpected":1}', 'missing-result'],
      ['{"preview":false,"result":{"_time":"2026-01-01T00:00:00Z"}}', 'missing-system'],
    ],
  },
  {
    format: 'splunk-csv',
    file: 'splunk/export.csv',
    header: '"_time","host","severity","signature","_raw"',
    records: events.map((e) => {
      const raw = e.i === 7 ? '"first line\nsecond, line with ""quotes"""' : `"req=${e.i}, ok"`;
      return `"${isoOf(e.t).replace('Z', '+0000')}",${e.system},${e.critical ? 'high' : 'info'},"${e.name}",${raw}`;
    }),
    malformed: [
      ['only,two', 'csv-columns'],
      ['"yesterday",fraud-scorer,info,"inference","x"', 'bad-timestamp'],
    ],
    malformedLast: ['"2026-01-01T00:00:00+0000",fraud-scorer,info,"inference","never closed', 'csv-unterminated'],
  },
  {
    format: 'elastic-ndjson',
    file: 'elastic/hits.ndjson',
    records: events.map((e) =>
      JSON.stringify({
        _index: 'ai-logs',
        _id: String(e.i),
        _source: {
          '@timestamp': isoOf(e.t),
          host: { name: e.system },
          log: { level: e.critical ? 'critical' : 'info' },
          rule: { name: e.name },
        },
      }),
    ),
    malformed: [
      ['{"_source":{"host":{"name":"fraud-scorer"}}}', 'missing-timestamp'],
      ['{"_source":{"@timestamp": "2026-01-0', 'invalid-json'],
      ['{"_source":{"@timestamp":"1999-12-31T23:00:00Z","host":{"name":"fraud-scorer"}}}', 'timestamp-out-of-range'],
    ],
  },
  {
    format: 'cef',
    file: 'cef/gateway.log',
    records: events.map((e) => {
      const sev = e.critical ? 9 : 3;
      const time = e.i % 3 === 0 ? `rt=${e.t}` : e.i % 3 === 1 ? `rt=${cefDate(e.t)}` : `end=${e.t}`;
      const prefix = e.i % 2 === 0 ? `<134>1 ${isoOf(e.t)} gw-1 ai - - - ` : '';
      return `${prefix}CEF:0|Acme|${e.system}|1.0|${e.critical ? 'PI-1' : 'REQ'}|${e.name} \\| v2|${sev}|${time} msg=a\\=b src=10.0.0.${e.i % 250}`;
    }),
    malformed: [
      ['CEF:0|Acme|only|three', 'invalid-cef'],
      ['<134>1 2026-01-01T00:00:00Z gw-1 plain syslog line without the header', 'invalid-cef'],
      ['CEF:0|Acme|fraud-scorer|1.0|REQ|inference|3|rt=not-a-time', 'bad-timestamp'],
    ],
  },
  {
    format: 'ocsf',
    file: 'ocsf/events.jsonl',
    records: events.map((e) =>
      JSON.stringify({
        time: e.t,
        class_uid: 6003,
        severity_id: e.critical ? 5 : 1,
        metadata: { product: { name: e.system, vendor_name: 'Acme' }, version: '1.1.0' },
        finding_info: { title: e.name },
      }),
    ),
    malformed: [
      ['{"time":1767225600000,"severity_id":1,"metadata":{"product":{"name":"fraud-scorer"}}}', 'missing-class-uid'],
      ['{"time":"yesterday","class_uid":6003,"metadata":{"product":{"name":"fraud-scorer"}}}', 'bad-timestamp'],
      ['[1,2,3]', 'not-an-object'],
    ],
  },
  {
    format: 'json',
    file: 'json/app.log',
    config: { fields: { json: { time: 'ts', system: 'app', severity: 'lvl', name: 'evt' } } },
    records: events.map((e) =>
      JSON.stringify({
        ts: isoOf(e.t),
        app: e.system,
        lvl: e.critical ? 'fatal' : 'info',
        evt: e.name,
        latency_ms: e.i % 300,
      }),
    ),
    malformed: [
      ['{"app":"fraud-scorer"}', 'missing-timestamp'],
      ['{"ts":"2026-01-01T00:00:00Z"}', 'missing-system'],
      ['"just a string"', 'not-an-object'],
    ],
  },
];

/** Places the malformed lines among the records; returns the text and the 1-based line of each malformed line. */
function render(c: FormatCase): { text: string; lines: number[] } {
  const recs = [...c.records];
  [10, 200, 400].slice(0, c.malformed.length).forEach((at, k) => recs.splice(at + k, 0, c.malformed[k]![0]));
  const all = [
    ...(c.header ? [c.header] : []),
    ...recs,
    ...(c.footer ? [c.footer] : []),
    ...(c.malformedLast ? [c.malformedLast[0]] : []),
  ];
  const text = all.join('\n') + '\n';
  const markers = [...c.malformed.map((m) => m[0]), ...(c.malformedLast ? [c.malformedLast[0]] : [])];
  const lines = markers.map((m) => text.slice(0, text.indexOf(m)).split('\n').length);
  return { text, lines };
}

// ---------------------------------------------------------------------------------------------------

function config(dir: string, extra: Partial<SiemSourceInput> = {}) {
  return siemSourceSchema.parse({ id: 'logs', type: 'siem', path: dir, ...extra });
}

async function collect(
  cfg: ReturnType<typeof config>,
  opts: { resumeAfter?: string; previousState?: JsonValue; location?: ExportLocation } = {},
): Promise<{ steps: CollectionStep[]; error: unknown; stats: Record<string, number>; state: JsonValue | undefined }> {
  const c = createSiemConnector(cfg, opts.location ? { location: opts.location } : {});
  const steps: CollectionStep[] = [];
  let error: unknown;
  try {
    for await (const s of c.collect({
      log,
      ...(opts.resumeAfter !== undefined ? { resumeAfter: opts.resumeAfter } : {}),
      ...(opts.previousState !== undefined ? { previousState: opts.previousState } : {}),
    })) {
      steps.push(s);
    }
  } catch (err) {
    error = err;
  }
  // A failed export file is reported as a problem of the run, not thrown: the run's other evidence stays.
  const problem = error === undefined ? c.problems?.()[0] : undefined;
  if (problem !== undefined) error = new SourceResponseError(problem);
  return { steps, error, stats: c.stats?.() ?? {}, state: c.state?.() };
}

async function bytesOf(step: CollectionStep): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of step.artifact.open()) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

async function jsonOf(step: CollectionStep): Promise<Record<string, unknown>> {
  return JSON.parse((await bytesOf(step)).toString('utf8')) as Record<string, unknown>;
}

function one(steps: CollectionStep[], kind: string, path?: string): CollectionStep {
  const found = steps.filter(
    (s) => s.artifact.meta.kind === kind && (path === undefined || s.artifact.meta.attributes['path'] === path),
  );
  expect(found, `${kind} ${path ?? ''}`).toHaveLength(1);
  return found[0]!;
}

function attrs(steps: CollectionStep[], kind: string, path?: string): Record<string, unknown> {
  return one(steps, kind, path).artifact.meta.attributes;
}

/** An in-memory location that hands out each file in chunks of `chunk` bytes, to stress chunk boundaries. */
class MemoryLocation implements ExportLocation {
  readonly description = 'memory';
  readonly endpoint = 'memory://';
  constructor(
    private readonly files: Record<string, Buffer>,
    private readonly chunk: number,
  ) {}
  async list(): Promise<ExportFile[]> {
    return Object.keys(this.files)
      .sort()
      .map((p) => ({ path: p, size: this.files[p]!.length, mtime: new Date(T0), endpoint: `memory://${p}` }));
  }
  open(file: ExportFile): Readable {
    const buf = this.files[file.path]!;
    const parts: Buffer[] = [];
    for (let i = 0; i < buf.length; i += this.chunk) parts.push(buf.subarray(i, i + this.chunk));
    return Readable.from(parts);
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('siem connector: formats', () => {
  it.each(cases)('$format: finds the known gap and quarantines the known malformed lines', async (c) => {
    const dir = await tempDir();
    const { text, lines } = render(c);
    await writeTree(dir, { [c.file]: text });
    const { steps, error, stats } = await collect(config(dir, c.config ?? {}));
    expect(error).toBeUndefined();
    const badCount = c.malformed.length + (c.malformedLast ? 1 : 0);

    const raw = attrs(steps, 'log-export', c.file);
    expect(raw).toMatchObject({
      format: c.format,
      compression: 'none',
      events: events.length,
      malformed: badCount,
      firstEvent: isoOf(T0),
      lastEvent: isoOf(T0 + 72 * H),
      observedAtFrom: 'last-event',
    });
    expect(one(steps, 'log-export').artifact.meta.observedAt).toBe(isoOf(T0 + 72 * H));
    expect((await bytesOf(one(steps, 'log-export'))).toString('utf8')).toBe(text);

    const q = one(steps, 'quarantine', c.file);
    expect(q.artifact.meta.attributes).toMatchObject({ malformed: badCount, failed: false, truncated: false });
    const qBody = await jsonOf(q);
    const entries = qBody['entries'] as { line: number; reason: string; detail: string; prefix?: string }[];
    const expectedReasons = [...c.malformed.map((m) => m[1]), ...(c.malformedLast ? [c.malformedLast[1]] : [])];
    expect(entries.map((e) => e.line)).toEqual(lines);
    expect(entries.map((e) => e.reason)).toEqual(expectedReasons);
    for (const e of entries) expect((e.prefix ?? '').length).toBeLessThanOrEqual(30);

    const cont = attrs(steps, 'log-continuity');
    expect(cont['maxGapHours']).toBe(30);
    expect(cont['maxGap']).toEqual({
      system: 'fraud-scorer',
      hours: 30,
      from: gapFrom,
      to: gapTo,
      kind: 'between-events',
    });
    expect(cont).toMatchObject({
      continuous: false,
      gapsOverThreshold: 1,
      productionSystems: ['chat-bot', 'fraud-scorer'],
      productionFrom: 'observed',
    });
    expect((cont['systems'] as Record<string, { maxGapHours: number }>)['chat-bot']!.maxGapHours).toBe(0.25);

    const counts = attrs(steps, 'event-counts');
    expect(counts).toMatchObject({
      totalEvents: events.length,
      systemCount: 2,
      firstDay: '2026-01-01',
      lastDay: '2026-01-04',
      daysWithEvents: 4,
    });
    expect((counts['systems'] as Record<string, { events: number }>)['fraud-scorer']!.events).toBe(fraudEvents);
    expect((counts['categories'] as Record<string, number>)['guardrail']).toBe(criticalEvents);

    expect(attrs(steps, 'retention')).toMatchObject({
      firstEvent: isoOf(T0),
      lastEvent: isoOf(T0 + 72 * H),
      retainedDays: 3,
      calendarDays: 4,
    });
    expect(attrs(steps, 'incident-list')).toMatchObject({
      incidentCount: criticalEvents,
      listed: criticalEvents,
      byRule: { 'high-severity': criticalEvents },
    });
    for (const kind of ['event-counts', 'log-continuity', 'retention', 'incident-list']) {
      expect(one(steps, kind).artifact.meta.observedAt).toBe(isoOf(T0 + 72 * H));
    }
    expect(stats).toMatchObject({ files: 1, events: events.length, malformed: badCount, failedFiles: 0 });
    expect(stats['lines']).toBe(text.split('\n').length - 1);
  });

  it('detects each format per file in a mixed folder', async () => {
    const dir = await tempDir();
    const files: Record<string, string> = {};
    for (const c of cases) files[c.file] = render(c).text;
    await writeTree(dir, files);
    const cfg = config(dir, { fields: { json: { time: 'ts', system: 'app' } } });
    const { steps, error } = await collect(cfg);
    expect(error).toBeUndefined();
    for (const c of cases) expect(attrs(steps, 'log-export', c.file)['format']).toBe(c.format);
    expect(attrs(steps, 'event-counts')['totalEvents']).toBe(events.length * cases.length);
    expect(attrs(steps, 'log-continuity')['maxGapHours']).toBe(30);
  });

  it('reads a realistic CEF file: syslog prefixes, escaped pipes and equals signs, rt/end formats', async () => {
    const dir = await tempDir();
    const fixture = await readFile(path.join(__dirname, '..', 'fixtures', 'siem', 'llm-gateway.cef'));
    await writeTree(dir, { 'gw.cef': fixture });
    const { steps, error } = await collect(
      config(dir, { maxMalformedRatio: 0.5, incidents: [{ id: 'prompt-injection', signatureIds: ['PI-001'] }] }),
    );
    expect(error).toBeUndefined();
    expect(attrs(steps, 'log-export')).toMatchObject({
      format: 'cef',
      events: 6,
      malformed: 2,
      firstEvent: '2026-02-01T07:10:00.250Z',
      lastEvent: '2026-02-01T08:30:00.000Z',
    });
    const q = await jsonOf(one(steps, 'quarantine'));
    expect((q['entries'] as { line: number; reason: string }[]).map((e) => [e.line, e.reason])).toEqual([
      [6, 'invalid-cef'],
      [7, 'bad-timestamp'],
    ]);
    const incidents = (await jsonOf(one(steps, 'incident-list')))['incidents'] as Record<string, unknown>[];
    expect(incidents).toEqual([
      expect.objectContaining({
        time: '2026-02-01T08:00:00.000Z',
        system: 'LLM Gateway',
        name: 'Prompt injection blocked | jailbreak',
        signatureId: 'PI-001',
        severity: 'critical',
        line: 1,
      }),
      expect.objectContaining({
        time: '2026-02-01T08:20:00.000Z',
        name: 'Content filter triggered',
        severity: 'high',
        line: 5,
      }),
    ]);
    expect(attrs(steps, 'event-counts')).toMatchObject({
      systemNames: ['LLM Gateway', 'Model Registry'],
      categories: { guardrail: 2 },
    });
  });
});

describe('siem connector: _search responses', () => {
  function searchResponse(): { text: string; badLines: number[] } {
    const hits: unknown[] = events.map((e) => ({
      _index: 'ai-logs-2026.01',
      _id: `id-${e.i}`,
      _score: null,
      _source: {
        '@timestamp': isoOf(e.t),
        service: { name: e.system },
        'log.level': e.critical ? 'critical' : 'info',
        message: `quote " backslash \\ brace } bracket ] ${e.i}`,
      },
      sort: [e.t],
    }));
    hits.splice(100, 0, 'not a hit');
    hits.splice(300, 0, 4242424);
    hits.splice(500, 0, { _index: 'ai-logs', _id: 'bad-no-time', _source: { service: { name: 'fraud-scorer' } } });
    const response = {
      took: 31,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: { total: { value: hits.length, relation: 'eq' }, max_score: null, hits },
    };
    const text = JSON.stringify(response, null, 2);
    const lineOf = (marker: string) => text.slice(0, text.indexOf(marker)).split('\n').length;
    return { text, badLines: [lineOf('"not a hit"'), lineOf('4242424'), lineOf('"_id": "bad-no-time"') - 2] };
  }

  it('streams a pretty-printed response hit by hit, never parsing the document whole', async () => {
    const dir = await tempDir();
    const { text, badLines } = searchResponse();
    await writeTree(dir, { 'search.json': text });
    const parse = vi.spyOn(JSON, 'parse');
    const { steps, error } = await collect(config(dir));
    const longest = Math.max(...parse.mock.calls.map((c) => String(c[0]).length));
    parse.mockRestore();
    expect(error).toBeUndefined();
    expect(text.length).toBeGreaterThan(200_000);
    expect(longest).toBeLessThan(64 * 1024); // sniffing a line at most; hits are parsed one at a time
    expect(attrs(steps, 'log-export')).toMatchObject({ format: 'elastic-search', events: events.length, malformed: 3 });
    const q = await jsonOf(one(steps, 'quarantine'));
    expect((q['entries'] as { line: number; reason: string }[]).map((e) => [e.line, e.reason])).toEqual([
      [badLines[0], 'not-an-object'],
      [badLines[1], 'not-an-object'],
      [badLines[2], 'missing-timestamp'],
    ]);
    expect(attrs(steps, 'log-continuity')['maxGap']).toEqual({
      system: 'fraud-scorer',
      hours: 30,
      from: gapFrom,
      to: gapTo,
      kind: 'between-events',
    });
  });

  it('gives the same result whatever the chunk boundaries (escapes and keys split across chunks)', async () => {
    // Keys written with escapes (\u0068its = hits) must still be recognised.
    const doc =
      '\uFEFF{"took":1,"h\\u0069ts":{"total":2,"hits":[{"_source":{"@timestamp":"2026-01-01T00:00:00Z","host":{"name":"a\\"b"}}},{"_source":{"@timestamp":"2026-01-01T06:00:00Z","host":{"name":"a\\"b"}}}]}}\n{"hits":{"hits":[{"_source":{"@timestamp":"2026-01-02T00:00:00Z","host":{"name":"a\\"b"}}}]}}';
    const reference = await collect(config('/unused', { format: 'elastic-search' }), {
      location: new MemoryLocation({ 'r.json': Buffer.from(doc) }, 1 << 20),
    });
    expect(attrs(reference.steps, 'log-export')).toMatchObject({ events: 3, malformed: 0 });
    expect(attrs(reference.steps, 'log-continuity')['maxGapHours']).toBe(18);
    await assertProperty(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (chunk) => {
        const r = await collect(config('/unused', { format: 'elastic-search' }), {
          location: new MemoryLocation({ 'r.json': Buffer.from(doc) }, chunk),
        });
        expect(r.steps.map((s) => s.artifact.meta.attributes)).toEqual(
          reference.steps.map((s) => s.artifact.meta.attributes),
        );
      }),
      { numRuns: 40, minRuns: 40 },
    );
  });

  it('fails a file whose JSON structure breaks, keeping what came before out of the summaries', async () => {
    const dir = await tempDir();
    const good = JSON.stringify({ hits: { hits: [{ _source: { '@timestamp': isoOf(T0), host: { name: 'x' } } }] } });
    await writeTree(dir, { 'a-good.json': good, 'b-broken.json': '{"hits":{"hits":[{"_source":{}}]]}' });
    const { steps, error } = await collect(config(dir));
    expect(error).toBeInstanceOf(SourceResponseError);
    expect((error as Error).message).toContain('b-broken.json: invalid JSON structure at line 1');
    expect(attrs(steps, 'quarantine', 'b-broken.json')).toMatchObject({ failed: true });
    expect(attrs(steps, 'event-counts')['totalEvents']).toBe(1);
  });
});

describe('siem connector: gzip, ratio, resume, state', () => {
  it('decompresses gzip transparently (by magic bytes, not by name), storing the compressed bytes as found', async () => {
    const dir = await tempDir();
    const c = cases.find((x) => x.format === 'elastic-ndjson')!;
    const { text, lines } = render(c);
    const half = text.indexOf('\n', text.length / 2) + 1;
    // Two gzip members back to back, as `cat a.gz b.gz` gives.
    const gz = Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half))]);
    await writeTree(dir, { 'export.log': gz });
    const { steps, error } = await collect(config(dir));
    expect(error).toBeUndefined();
    const raw = one(steps, 'log-export');
    expect(raw.artifact.meta.mediaType).toBe('application/gzip');
    expect(raw.artifact.meta.attributes).toMatchObject({
      compression: 'gzip',
      format: 'elastic-ndjson',
      events: events.length,
      malformed: 3,
      size: gz.length,
    });
    expect((await bytesOf(raw)).equals(gz)).toBe(true);
    const q = await jsonOf(one(steps, 'quarantine'));
    expect((q['entries'] as { line: number }[]).map((e) => e.line)).toEqual(lines);
    expect(attrs(steps, 'log-continuity')['maxGapHours']).toBe(30);
  });

  it('a corrupt gzip file fails alone', async () => {
    const dir = await tempDir();
    const gz = gzipSync(render(cases[2]!).text);
    await writeTree(dir, { 'a.ndjson.gz': gz.subarray(0, gz.length - 100), 'b.ndjson': render(cases[2]!).text });
    const { steps, error } = await collect(config(dir));
    expect(error).toBeInstanceOf(SourceResponseError);
    expect((error as Error).message).toMatch(/a\.ndjson\.gz: cannot read: .*unexpected end of file/);
    expect(attrs(steps, 'log-export', 'b.ndjson')['events']).toBe(events.length);
    expect(attrs(steps, 'event-counts')['totalEvents']).toBe(events.length);
  });

  it('fails a file over the malformed ratio, naming it and the ratio, while other files still give evidence', async () => {
    const dir = await tempDir();
    const good = events.slice(0, 200).map((e) => JSON.stringify({ ts: isoOf(e.t), app: e.system }));
    const bad = [...good.slice(0, 98), '{broken', 'also broken'];
    await writeTree(dir, {
      'a-good.jsonl': good.join('\n'),
      'b-bad.jsonl': bad.join('\n'),
      'c-edge.jsonl': [...good.slice(0, 99), '{1 in 100'].join('\n'),
    });
    const fields = { json: { time: 'ts', system: 'app' } };
    const { steps, error, stats } = await collect(config(dir, { fields }));
    // The run is partial (a problem per failed file, naming counts and reason codes), not failed.
    expect(error).toBeInstanceOf(SourceResponseError);
    expect((error as Error).message).toBe(
      'b-bad.jsonl: 2 of 100 lines not valid JSON (invalid-json); 2.00% malformed, limit 1.00%',
    );
    // 1 malformed in 100 is exactly the limit: not failed.
    expect(steps.map((s) => s.cursor)).toEqual([
      'export:a-good.jsonl',
      'quarantine:b-bad.jsonl',
      'export:c-edge.jsonl',
      'quarantine:c-edge.jsonl',
      'summary:event-counts',
      'summary:log-continuity',
      'summary:retention',
      'summary:incident-list',
    ]);
    expect(attrs(steps, 'quarantine', 'b-bad.jsonl')).toMatchObject({
      failed: true,
      malformedRatio: 0.02,
      failure: '2 of 100 lines not valid JSON (invalid-json); 2.00% malformed, limit 1.00%',
    });
    expect(attrs(steps, 'event-counts')).toMatchObject({ totalEvents: 200 + 99, files: 2, failedFiles: 1 });
    expect(stats).toMatchObject({ files: 3, failedFiles: 1, malformed: 3 });

    const lenient = await collect(config(dir, { fields, maxMalformedRatio: 0.05 }));
    expect(lenient.error).toBeUndefined();
    expect(attrs(lenient.steps, 'event-counts')['totalEvents']).toBe(200 + 98 + 99);
  });

  it('resumes after any cursor without repeating or skipping a step, and summaries still cover every file', async () => {
    const dir = await tempDir();
    await writeTree(dir, Object.fromEntries(cases.slice(0, 4).map((c) => [c.file, render(c).text])));
    const cfg = config(dir);
    const full = await collect(cfg);
    expect(full.error).toBeUndefined();
    const cursors = full.steps.map((s) => s.cursor);
    expect(cursors).toHaveLength(4 * 2 + 4);
    for (let k = 0; k < cursors.length; k++) {
      const rest = await collect(cfg, { resumeAfter: cursors[k]! });
      expect(rest.steps.map((s) => s.cursor)).toEqual(cursors.slice(k + 1));
      expect(rest.steps.map((s) => s.artifact.meta.attributes)).toEqual(
        full.steps.slice(k + 1).map((s) => s.artifact.meta.attributes),
      );
    }
  });

  it('carries file sizes to the next run and reports export files removed or rewritten since', async () => {
    const dir = await tempDir();
    const text = render(cases[2]!).text;
    await writeTree(dir, { 'a.ndjson': text, 'b.ndjson': text });
    const first = await collect(config(dir));
    expect(attrs(first.steps, 'retention')['filesRemovedSinceLastRun']).toBeUndefined();
    const { rm, appendFile } = await import('node:fs/promises');
    await rm(path.join(dir, 'b.ndjson'));
    await appendFile(path.join(dir, 'a.ndjson'), text.split('\n')[0] + '\n');
    const second = await collect(config(dir), { previousState: first.state! });
    expect(attrs(second.steps, 'retention')).toMatchObject({
      filesRemovedSinceLastRun: 1,
      filesChangedSinceLastRun: 1,
    });
    expect(second.stats).toMatchObject({ filesNew: 0, filesRemoved: 1, filesChanged: 1 });
  });

  it('a missing folder is a configuration error naming the source', async () => {
    const { error } = await collect(config('/nonexistent/evidence-hub-siem'));
    expect(error).toBeInstanceOf(SourceConfigError);
    expect((error as Error).message).toContain('source "logs": folder /nonexistent/evidence-hub-siem does not exist');
  });

  it('an unrecognised file fails alone; no events at all gives no summaries', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'notes.txt': 'hello\nworld\n', 'empty.log': '' });
    const { steps, error } = await collect(config(dir));
    expect((error as Error).message).toContain('notes.txt: format not recognised');
    expect(steps.map((s) => s.cursor)).toEqual(['export:empty.log', 'quarantine:notes.txt']);
    expect(one(steps, 'log-export').artifact.meta.attributes['observedAtFrom']).toBe('mtime');
  });
});

describe('siem connector: production periods, incidents, limits', () => {
  it('clips gaps to production periods and counts silence of configured production systems', async () => {
    const dir = await tempDir();
    const c = cases.find((x) => x.format === 'ocsf')!;
    await writeTree(dir, { 'e.jsonl': render(c).text });
    // fraud-scorer was in production only from 2026-01-02 (inside its gap): 26 h of the 30 h gap count.
    // Its recent window (the last day: 01-03T00:00Z .. 01-04T00:00Z) holds the gap's last 2 h.
    // chat-bot stopped being production after 2026-01-02 (a date alone includes the whole day).
    // vector-db is declared but never logged: the whole coverage is its gap.
    const cfg = config(dir, {
      production: {
        systems: [
          { system: 'fraud-scorer', from: '2026-01-02' },
          { system: 'chat-bot', to: '2026-01-02' },
          'vector-db',
        ],
        gapThresholdHours: 12,
        recentWindowDays: 1,
      },
    });
    const { steps } = await collect(cfg);
    const cont = attrs(steps, 'log-continuity');
    expect(cont).toMatchObject({
      productionFrom: 'config',
      productionSystems: ['chat-bot', 'fraud-scorer', 'vector-db'],
      systemsWithoutEvents: ['vector-db'],
    });
    expect(cont['maxGap']).toEqual({
      system: 'vector-db',
      hours: 72,
      from: isoOf(T0),
      to: isoOf(T0 + 72 * H),
      kind: 'no-events',
    });
    const systems = cont['systems'] as Record<string, Record<string, unknown>>;
    expect(systems['fraud-scorer']).toMatchObject({ inProduction: true, maxGapHours: 26, recentMaxGapHours: 2 });
    expect(systems['chat-bot']).toMatchObject({ inProduction: true, maxGapHours: 0.25 });
    expect(cont['gapsOverThreshold']).toBe(2);
    const body = await jsonOf(one(steps, 'log-continuity'));
    expect((body['systems'] as Record<string, { maxGap: unknown }>)['fraud-scorer']!.maxGap).toEqual({
      system: 'fraud-scorer',
      hours: 26,
      from: isoOf(T0 + 24 * H),
      to: gapTo,
      kind: 'between-events',
    });
  });

  it('counts a production system that stops logging before the others as a trailing gap', async () => {
    const dir = await tempDir();
    const lines = [
      ...Array.from({ length: 10 }, (_, i) => ({ ts: isoOf(T0 + i * H), app: 'a' })),
      ...Array.from({ length: 40 }, (_, i) => ({ ts: isoOf(T0 + i * H), app: 'b' })),
    ].map((o) => JSON.stringify(o));
    await writeTree(dir, { 'x.jsonl': lines.join('\n') });
    const fields = { json: { time: 'ts', system: 'app' } };
    const implicit = await collect(config(dir, { fields }));
    expect(attrs(implicit.steps, 'log-continuity')['maxGapHours']).toBe(1);
    const declared = await collect(config(dir, { fields, production: { systems: ['a', 'b'] } }));
    expect(attrs(declared.steps, 'log-continuity')['maxGap']).toEqual({
      system: 'a',
      hours: 30,
      from: isoOf(T0 + 9 * H),
      to: isoOf(T0 + 39 * H),
      kind: 'after-last-event',
    });
  });

  it('selects incidents by severity, names, regex, signature id, class and system; caps the list but counts all', async () => {
    const dir = await tempDir();
    const lines = [
      {
        time: T0,
        class_uid: 2004,
        severity_id: 4,
        metadata: { product: { name: 'fraud-scorer' }, event_code: 'D-1' },
        finding_info: { title: 'Model drift detected' },
      },
      {
        time: T0 + 1000,
        class_uid: 6003,
        severity_id: 2,
        metadata: { product: { name: 'chat-bot' } },
        finding_info: { title: 'PII leak suspected' },
      },
      {
        time: T0 + 2000,
        class_uid: 6003,
        severity_id: 1,
        metadata: { product: { name: 'chat-bot' }, event_code: 'G-7' },
        finding_info: { title: 'routine' },
      },
      {
        time: T0 + 3000,
        class_uid: 6003,
        severity_id: 6,
        metadata: { product: { name: 'chat-bot' } },
        finding_info: { title: 'Service down' },
      },
    ].map((o) => JSON.stringify(o));
    await writeTree(dir, { 'o.jsonl': lines.join('\n') });
    const cfg = config(dir, {
      incidents: [
        { id: 'drift', classUids: [2004], minSeverity: 'medium' },
        { id: 'pii', nameRegex: '\\bpii\\b', systems: ['chat-bot'] },
        { id: 'guardrail', signatureIds: ['G-7'] },
        { id: 'named', names: ['service DOWN'] },
        { id: 'severe', minSeverity: 'critical' },
      ],
      limits: { maxIncidents: 3 },
    });
    const { steps } = await collect(cfg);
    expect(attrs(steps, 'incident-list')).toMatchObject({
      incidentCount: 4,
      listed: 3,
      truncated: true,
      byRule: { drift: 1, pii: 1, guardrail: 1, named: 1, severe: 1 },
      bySeverity: { high: 1, low: 1, info: 1, critical: 1 },
      systems: { 'chat-bot': 3, 'fraud-scorer': 1 },
      firstIncident: isoOf(T0),
      lastIncident: isoOf(T0 + 3000),
    });
    const listed = (await jsonOf(one(steps, 'incident-list')))['incidents'] as { rules: string[]; name: string }[];
    expect(listed.map((i) => i.rules)).toEqual([['drift'], ['pii'], ['guardrail']]);
  });

  it('caps distinct systems, folding the rest into (other)', async () => {
    const dir = await tempDir();
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ ts: isoOf(T0 + i * 60_000), app: `sys-${i}` }));
    await writeTree(dir, { 'x.jsonl': lines.join('\n') });
    const { steps } = await collect(
      config(dir, { fields: { json: { time: 'ts', system: 'app' } }, limits: { maxSystems: 5 } }),
    );
    const counts = attrs(steps, 'event-counts');
    expect(counts).toMatchObject({ systemCount: 6, systemsCapped: true, totalEvents: 50 });
    expect((counts['systems'] as Record<string, { events: number }>)['(other)']!.events).toBe(45);
    expect(attrs(steps, 'log-continuity')['productionSystems']).not.toContain('(other)');
  });

  it('never copies secrets from malformed lines into the quarantine, and skips overlong lines without holding them', async () => {
    const dir = await tempDir();
    const secret = 'sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
    const good = events
      .slice(0, 300)
      .map((e) => JSON.stringify({ '@timestamp': isoOf(e.t), host: { name: e.system } }));
    const lines = [
      ...good.slice(0, 100),
      `{"auth": "Bearer ${secret}"`,
      `${secret} trailing`,
      `{"x":"${'y'.repeat(5000)}"}`,
      ...good.slice(100),
    ];
    await writeTree(dir, { 'e.ndjson': lines.join('\n') });
    const { steps } = await collect(config(dir, { limits: { maxRecordBytes: 4096 } }));
    const bytes = (await bytesOf(one(steps, 'quarantine'))).toString('utf8');
    expect(bytes).not.toContain(secret);
    expect(bytes).not.toContain('sk-live');
    const entries = (JSON.parse(bytes) as { entries: { line: number; reason: string }[] }).entries;
    expect(entries.map((e) => [e.line, e.reason])).toEqual([
      [101, 'invalid-json'],
      [102, 'invalid-json'],
      [103, 'record-too-long'],
    ]);
    expect(redactedPrefix('password=hunter2 and more', 16)).toBe('[redacted]');
    expect(redactedPrefix('{"msg": "hello", "x": 1}', 16)).toBe('{"msg": "hello",');
  });
});

describe('siem parsing: properties and details', () => {
  const lineFormats: SiemFormat[] = ['splunk-json', 'splunk-csv', 'elastic-ndjson', 'cef', 'ocsf', 'json'];

  const cefish = fc
    .tuple(
      fc.constantFrom('', '<134>1 2026-01-01T00:00:00Z h a - - - ', '<13>Jan  1 00:00:00 h '),
      fc.array(fc.string({ maxLength: 12 }), { maxLength: 9 }),
      fc.string({ maxLength: 40 }),
    )
    .map(([p, parts, ext]) => `${p}CEF:${parts.join('|')}${ext}`);
  const jsonish = fc
    .record(
      {
        '@timestamp': fc.oneof(
          fc.string(),
          fc.integer(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        host: fc.oneof(fc.string(), fc.record({ name: fc.string() })),
        result: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o) ?? 'null');
  const anyLine = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json({ maxDepth: 3 }),
    jsonish,
    cefish,
    fc.constant('"a,b'),
    fc.constant(''),
  );

  function isBlank(l: string): boolean {
    return l.length === 0 || (l.charCodeAt(0) <= 32 && l.trim().length === 0);
  }

  it('arbitrary lines never crash any parser: each is parsed, quarantined or skipped', async () => {
    const dir = await tempDir();
    let n = 0;
    await assertProperty(
      fc.asyncProperty(fc.constantFrom(...lineFormats), fc.array(anyLine, { maxLength: 25 }), async (format, lines) => {
        const text = lines.map((l) => l.replace(/\uFEFF/g, '')).join('\n');
        const file = `f${n++}.log`;
        await writeTree(dir, { [file]: text });
        const { steps, error, stats } = await collect(config(dir, { format, include: [file], maxMalformedRatio: 1 }));
        // A JSON file starting with `[` (or pretty-printed) is read as a document, record by record, not
        // line by line (its structure can break the file): its own property is further below.
        if (format !== 'splunk-csv' && format !== 'cef' && jsonLayout(Buffer.from(text), true) === 'document') return;
        expect(error).toBeUndefined();
        expect(one(steps, 'log-export').cursor).toBe(`export:${file}`);
        // What the parser saw: the file's lines as bytes decoded (lone surrogates became U+FFFD on writing).
        const seen = (await readFile(path.join(dir, file), 'utf8'))
          .split('\n')
          .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
        const nonBlank = seen.filter((l) => !isBlank(l)).length;
        const outcomes = stats['events']! + stats['malformed']! + stats['skipped']!;
        if (format === 'splunk-csv') expect(outcomes).toBeLessThanOrEqual(nonBlank);
        else if (format === 'elastic-ndjson') expect(outcomes).toBeGreaterThanOrEqual(nonBlank);
        else expect(outcomes).toBe(nonBlank);
        expect(stats['lines']).toBe(text.length === 0 ? 0 : seen.length - (text.endsWith('\n') ? 1 : 0));
      }),
      { numRuns: 150, minRuns: 150 },
    );
  });

  it('arbitrary bytes never crash the _search tokenizer', () => {
    const builder = new EventBuilder(resolveFields('elastic', undefined), undefined, false);
    assertProperty(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            fc.json().map((s) => new Uint8Array(Buffer.from(s))),
          ),
          { maxLength: 8 },
        ),
        (chunks) => {
          let count = 0;
          const sink: RecordSink = { event: () => count++, malformed: () => count++, skipped: () => count++ };
          const p = new SearchResponseParser(builder, sink, 4096);
          for (const c of chunks) p.push(Buffer.from(c));
          p.end();
          expect(count).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 300, minRuns: 300 },
    );
  });

  it('reads timestamps explicitly, never in the local zone', () => {
    const t = Date.UTC(2026, 0, 15, 10, 23, 45, 123);
    expect(parseTimestamp('2026-01-15T10:23:45.123Z')).toBe(t);
    expect(parseTimestamp('2026-01-15T11:23:45.123+01:00')).toBe(t);
    expect(parseTimestamp('2026-01-15T10:23:45.123+0000')).toBe(t);
    expect(parseTimestamp('2026-01-15 10:23:45.123')).toBe(t);
    expect(parseTimestamp('2026-01-15 10:23:45.123456 UTC')).toBe(t);
    expect(parseTimestamp('1768472625.123')).toBe(t);
    expect(parseTimestamp(1768472625123)).toBe(t);
    expect(parseTimestamp(1768472625123456)).toBe(t);
    expect(parseTimestamp('Jan 15 2026 10:23:45.123 UTC')).toBe(t);
    expect(parseTimestamp('Jan 15 2026 10:23:45.123')).toBe(t);
    expect(parseTimestamp('Thu, 15 Jan 2026 10:23:45 GMT')).toBe(t - 123);
    expect(parseTimestamp('Jan 15 10:23:45')).toBeNaN(); // BSD syslog: no year
    expect(parseTimestamp('2026-02-30T00:00:00Z')).toBeNaN();
    expect(parseTimestamp('yesterday')).toBeNaN();
  });

  it('validates the source config, with defaults', () => {
    const cfg = siemSourceSchema.parse({ id: 'siem-exports', type: 'siem', path: './exports' });
    expect(cfg).toMatchObject({
      format: 'auto',
      maxMalformedRatio: 0.01,
      exclude: ['**/.*', '**/.*/**'],
      production: { systems: [], gapThresholdHours: 24, recentWindowDays: 30 },
      incidents: [{ id: 'high-severity', minSeverity: 'high' }],
      limits: {
        maxRecordBytes: 1048576,
        maxSystems: 1000,
        maxIncidents: 1000,
        maxQuarantineEntries: 1000,
        quarantinePrefixChars: 16,
      },
    });
    const bad = siemSourceSchema.safeParse({
      id: 'x',
      type: 'siem',
      path: '.',
      format: 'syslog',
      incidents: [{ id: 'all' }, { id: 'r', nameRegex: '(' }],
      production: { systems: [{ system: 'a', from: 'someday' }] },
      extra: 1,
    });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(messages).toMatch(/format/);
    expect(messages).toMatch(/incidents\.0: give at least one condition/);
    expect(messages).toMatch(/incidents\.1\.nameRegex: bad regular expression/);
    expect(messages).toMatch(/production\.systems\.0\.from: not a date/);
    expect(messages).toMatch(/Unrecognized key.*extra|extra/);
  });

  it('ships default mappings that parse, use siem kinds, and test attributes the summaries have', async () => {
    const file = path.join(__dirname, '..', '..', 'mappings', 'default', '30-siem.yaml');
    const parsed = mappingFileSchema.parse(parseYaml(await readFile(file, 'utf8')));
    const dir = await tempDir();
    await writeTree(dir, { 'e.jsonl': render(cases.find((c) => c.format === 'ocsf')!).text });
    const { steps } = await collect(config(dir));
    const controls = new Set<string>();
    for (const rule of parsed.rules) {
      rule.controls.forEach((c) => controls.add(c));
      for (const sel of Array.isArray(rule.select) ? rule.select : [rule.select]) {
        expect(sel.source).toBe('siem');
        expect(siemKinds).toContain(sel.kind);
        const a = attrs(steps, sel.kind!);
        for (const key of Object.keys(sel.where ?? {})) {
          const value = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], a);
          expect(value, `${rule.id}: ${key}`).toBeDefined();
        }
      }
    }
    expect([...controls].sort()).toEqual(['A.6.2.6', 'A.6.2.8', 'A.8.4', 'A.9.4']);
  });
});

// ---------------------------------------------------------------------------------------------------
// Shapes of real shippers (small synthetic fixtures in test/fixtures/siem), bad files beside good ones,
// exact gaps.
// ---------------------------------------------------------------------------------------------------

const fixture = (name: string) => readFile(path.join(__dirname, '..', 'fixtures', 'siem', name));

describe('siem connector: shapes of common shippers', () => {
  const shapes: {
    file: string;
    format: string;
    layout: string;
    events: number;
    first: string;
    last: string;
    systems: string[];
    config?: Partial<SiemSourceInput>;
    mtime?: string;
  }[] = [
    {
      file: 'ocsf-array.json',
      format: 'ocsf',
      layout: 'document',
      events: 3,
      first: '2026-03-01T08:00:00.000Z',
      last: '2026-03-01T10:00:00.000Z',
      systems: ['Inference Gateway'],
    },
    {
      file: 'ocsf-pretty.json',
      format: 'ocsf',
      layout: 'document',
      events: 2,
      first: '2026-03-01T08:00:00.000Z',
      last: '2026-03-01T09:00:00.000Z',
      systems: ['Model Router'],
    },
    {
      file: 'cef-rfc5424-nopri.cef',
      format: 'cef',
      layout: 'lines',
      events: 3,
      first: '2018-12-12T15:57:41.000Z',
      last: '2018-12-12T17:02:41.000Z',
      systems: ['LLM Gateway'],
    },
    {
      // BSD syslog has no year: it comes from the file's mtime (a line is not written after its file).
      file: 'cef-rfc3164.cef',
      format: 'cef',
      layout: 'lines',
      events: 3,
      first: '2018-12-12T16:52:41.000Z',
      last: '2018-12-12T16:54:41.000Z',
      systems: ['LLM Gateway'],
      mtime: '2019-01-10T00:00:00Z',
    },
    {
      file: 'windows-events.json',
      format: 'json',
      layout: 'lines',
      events: 4,
      first: '2026-03-01T10:00:00.123Z',
      last: '2026-03-01T10:15:00.123Z',
      systems: ['win-ai-1'],
    },
    {
      file: 'zeek-conn.ndjson',
      format: 'json',
      layout: 'lines',
      events: 2,
      first: '2026-03-01T08:00:00.123Z',
      last: '2026-03-01T08:01:00.500Z',
      systems: ['zeek-1'],
      // Zeek names no sensor (its `service` is the protocol, which the default system list would take).
      config: { fields: { json: { system: '_system_name' } }, defaultSystem: 'zeek-1' },
    },
    {
      file: 'suricata-eve.json',
      format: 'json',
      layout: 'lines',
      events: 2,
      first: '2026-03-01T10:00:00.123Z',
      last: '2026-03-01T11:00:00.000Z',
      systems: ['sensor-1'],
    },
    {
      file: 'cloudtrail.json',
      format: 'json',
      layout: 'document',
      events: 3,
      first: '2026-03-01T10:00:00.000Z',
      last: '2026-03-01T11:00:00.000Z',
      systems: ['bedrock.amazonaws.com', 'sagemaker.amazonaws.com'],
    },
  ];

  it.each(shapes)('$file: read with default fields, every event timed', async (c) => {
    const dir = await tempDir();
    await writeTree(dir, { [c.file]: await fixture(c.file) });
    if (c.mtime) await utimes(path.join(dir, c.file), new Date(c.mtime), new Date(c.mtime));
    const { steps, error } = await collect(config(dir, c.config ?? {}));
    expect(error).toBeUndefined();
    expect(steps.filter((s) => s.artifact.meta.kind === 'quarantine')).toEqual([]);
    expect(attrs(steps, 'log-export', c.file)).toMatchObject({
      format: c.format,
      layout: c.layout,
      events: c.events,
      malformed: 0,
      firstEvent: c.first,
      lastEvent: c.last,
      systems: c.systems,
    });
  });

  it('forcing `format: ocsf` reads an OCSF array and pretty-printed OCSF too', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'a.json': await fixture('ocsf-array.json'), 'b.json': await fixture('ocsf-pretty.json') });
    const { steps, error } = await collect(config(dir, { format: 'ocsf' }));
    expect(error).toBeUndefined();
    expect(attrs(steps, 'log-export', 'a.json')).toMatchObject({ events: 3, malformed: 0 });
    expect(attrs(steps, 'log-export', 'b.json')).toMatchObject({ events: 2, malformed: 0 });
    expect(attrs(steps, 'incident-list')).toMatchObject({ incidentCount: 1 });
  });

  it('streams a large OCSF array record by record (the array is far larger than one record may be)', async () => {
    const record = (i: number) =>
      JSON.stringify({
        class_uid: 6003,
        time: T0 + i * 60_000,
        metadata: { product: { name: 'gw' } },
        pad: 'x'.repeat(200),
      });
    const body = `[\n${Array.from({ length: 2000 }, (_, i) => record(i)).join(',\n')}\n]\n`;
    expect(body.length).toBeGreaterThan(400 * 1024);
    const location = new MemoryLocation({ 'big.json': Buffer.from(body) }, 777);
    const cfg = config('/unused', { limits: { maxRecordBytes: 1024 } });
    const { steps, error } = await collect(cfg, { location });
    expect(error).toBeUndefined();
    expect(attrs(steps, 'log-export')).toMatchObject({
      format: 'ocsf',
      layout: 'document',
      events: 2000,
      malformed: 0,
    });
  });

  it('says in the quarantine which time fields were tried', async () => {
    const dir = await tempDir();
    const good = Array.from({ length: 200 }, (_, i) => JSON.stringify({ ts: T0 + i * 1000, host: 'h' }));
    await writeTree(dir, { 'a.jsonl': [...good, '{"host":"h","when":"2026-01-01"}'].join('\n') });
    const { steps } = await collect(config(dir));
    const entries = (await jsonOf(one(steps, 'quarantine')))['entries'] as { reason: string; detail: string }[];
    expect(entries).toEqual([
      expect.objectContaining({
        reason: 'missing-timestamp',
        detail: expect.stringContaining(
          'TimeCreated, TimeCreated.SystemTime, Event.System.TimeCreated.SystemTime, UtcTime, ts, eventTime',
        ) as string,
      }),
    ]);
  });
});

describe('siem connector: a bad file beside good ones', () => {
  it('seals the good files, quarantines the bad one, and names file, counts and reason code in the problem', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'checkpoint.log': await fixture('checkpoint-sample.cef'),
      'gw.cef': await fixture('cef-rfc5424-nopri.cef'),
    });
    const c = createSiemConnector(config(dir));
    const steps: CollectionStep[] = [];
    for await (const s of c.collect({ log })) steps.push(s);
    expect(steps.map((s) => s.cursor)).toEqual([
      'quarantine:checkpoint.log',
      'export:gw.cef',
      'summary:event-counts',
      'summary:log-continuity',
      'summary:retention',
      'summary:incident-list',
    ]);
    const problems = c.problems?.() ?? [];
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^checkpoint\.log: 1 of 3 lines without timestamp \(missing-timestamp\); 33\.33% malformed, limit 1\.00%; no timestamp in rt, /,
    );
    expect(attrs(steps, 'quarantine', 'checkpoint.log')).toMatchObject({
      failed: true,
      reasons: { 'missing-timestamp': 1 },
    });
    expect(attrs(steps, 'event-counts')).toMatchObject({ totalEvents: 3, files: 1, failedFiles: 1 });
  });

  it('fails the source only when nothing is usable, with the top reason codes in the message', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'checkpoint.log': await fixture('checkpoint-sample.cef'),
      'junk.jsonl': '{"ts":1}\n{broken\n{broken\n',
      'notes.txt': 'hello\n',
    });
    const c = createSiemConnector(config(dir));
    let error: unknown;
    try {
      for await (const _ of c.collect({ log })) void _;
    } catch (err) {
      error = err;
    }
    // Nothing usable is not retried: the same bytes would give the same answer.
    expect(error).toBeInstanceOf(SourceContentError);
    expect((error as SourceContentError).retryable).toBe(false);
    expect(nonRetryableErrorTypes).toContain((error as Error).name);
    expect((error as Error).message).toMatch(
      /^source "logs": nothing usable, 3 of 3 export file\(s\) failed \(invalid-json ×2, format-not-recognised ×1, missing-timestamp ×1\): checkpoint\.log: 1 of 3 lines/,
    );
    expect((error as Error).message).toContain('notes.txt: format not recognised');
  });

  it('a file with k malformed lines never changes the counts of the other files of the source', async () => {
    const dir = await tempDir();
    const goodA = Array.from({ length: 50 }, (_, i) => JSON.stringify({ ts: isoOf(T0 + i * 90_000), host: 'a' }));
    const goodC = Array.from({ length: 30 }, (_, i) => `CEF:0|V|P|1|S|N|3|rt=${T0 + i * 61_500}`);
    const badLine = fc.oneof(
      fc.constant('{"host":"b"}'),
      fc.constant('{"ts":"not a time","host":"b"}'),
      fc.constant('{truncated'),
      fc.string({ maxLength: 30 }).filter((s) => s.trim().length > 0 && !s.includes('\n')),
    );
    let n = 0;
    const fields = ['events', 'malformed', 'firstEvent', 'lastEvent', 'systems', 'lines'];
    const pick = (a: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, a[f]]));
    const alone = await tempDir();
    await writeTree(alone, { 'a.jsonl': goodA.join('\n'), 'c.cef': goodC.join('\n') });
    const base = await collect(config(alone));
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 1 }),
        fc.array(badLine, { minLength: 0, maxLength: 12 }),
        async (goodB, bad) => {
          const sub = `run${n++}`;
          const bLines = [
            ...Array.from({ length: goodB[0] ?? 0 }, (_, i) =>
              JSON.stringify({ ts: isoOf(T0 + i * 7_000), host: 'b' }),
            ),
            ...bad,
          ];
          await writeTree(path.join(dir, sub), {
            'a.jsonl': goodA.join('\n'),
            'b.jsonl': bLines.join('\n'),
            'c.cef': goodC.join('\n'),
          });
          const { steps } = await collect(config(path.join(dir, sub)));
          for (const f of ['a.jsonl', 'c.cef']) {
            expect(pick(attrs(steps, 'log-export', f))).toEqual(pick(attrs(base.steps, 'log-export', f)));
          }
          const bSealed = steps.some((s) => s.cursor === 'export:b.jsonl');
          const bEvents = bSealed ? (attrs(steps, 'log-export', 'b.jsonl')['events'] as number) : 0;
          expect(attrs(steps, 'event-counts')['totalEvents']).toBe(50 + 30 + bEvents);
        },
      ),
      { numRuns: 40, minRuns: 40 },
    );
  });
});

describe('siem connector: exact gaps', () => {
  async function continuityOf(files: Record<string, string>) {
    const dir = await tempDir();
    await writeTree(dir, files);
    const { steps, error } = await collect(config(dir));
    expect(error).toBeUndefined();
    return attrs(steps, 'log-continuity');
  }
  const line = (t: number, host: string) => JSON.stringify({ ts: isoOf(t), host });
  const t10 = T0 + 10 * H;

  it('reports a 45.5 s gap as 0.02 h, inside a minute and across a minute edge, in either order', async () => {
    for (const [a, b] of [
      [t10 + 5_000, t10 + 50_500], // inside one minute
      [t10 + 30_000, t10 + 75_500], // across the minute edge
      [t10 + 59_900, t10 + 105_400],
    ] as const) {
      for (const order of [
        [a, b],
        [b, a],
      ]) {
        const cont = await continuityOf({ 'a.jsonl': order.map((t) => line(t, 'h')).join('\n') });
        expect(cont['maxGapHours'], isoOf(a)).toBe(0.02);
        expect(cont['maxGap']).toEqual({
          system: 'h',
          hours: 0.02,
          from: isoOf(a),
          to: isoOf(b),
          kind: 'between-events',
        });
      }
    }
  });

  it('a gap inside a minute is exact for ordered events and never shorter than the real one otherwise', async () => {
    const ts = [0, 10_000, 55_500, 57_000].map((d) => t10 + d);
    const ordered = await continuityOf({ 'a.jsonl': ts.map((t) => line(t, 'h')).join('\n') });
    expect(ordered['maxGapHours']).toBe(0.02); // 45.5 s
    expect((ordered['maxGap'] as { kind: string }).kind).toBe('within-minute');
    // Interleaved files: only the minute's span is known, an upper bound (57 s -> 0.02 h, never less).
    const mixed = await continuityOf({
      'a.jsonl': [ts[0]!, ts[2]!].map((t) => line(t, 'h')).join('\n'),
      'b.jsonl': [ts[1]!, ts[3]!].map((t) => line(t, 'h')).join('\n'),
    });
    expect(mixed['maxGapHours']).toBeGreaterThanOrEqual(0.02);
    expect(mixed['maxGapHours']).toBeLessThanOrEqual(0.02);
    // Files that do not overlap inside the minute stay exact: 10 s then 45.5 s apart.
    const split = await continuityOf({
      'a.jsonl': [ts[0]!, ts[1]!].map((t) => line(t, 'h')).join('\n'),
      'b.jsonl': [ts[2]!, ts[3]!].map((t) => line(t, 'h')).join('\n'),
    });
    expect(split['maxGapHours']).toBe(0.02);
  });

  it('property: the reported largest gap is never shorter than the real one, and exact across minutes', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 * 60_000 }), { minLength: 2, maxLength: 12 }),
        async (offs) => {
          const times = offs.map((o) => t10 + o);
          const sorted = [...times].sort((x, y) => x - y);
          let real = 0;
          for (let i = 1; i < sorted.length; i++) real = Math.max(real, sorted[i]! - sorted[i - 1]!);
          const cont = await continuityOf({ 'a.jsonl': times.map((t) => line(t, 'h')).join('\n') });
          const reported = cont['maxGapHours'] as number;
          expect(reported).toBeGreaterThanOrEqual(Math.ceil((real / H) * 100 - 1e-9) / 100);
          // Any gap of a minute or more is measured exactly.
          if (real >= 60_000) expect(reported).toBe(Math.ceil((real / H) * 100 - 1e-9) / 100);
        },
      ),
      { numRuns: 40, minRuns: 40 },
    );
  });
});

describe('siem parsing: JSON documents', () => {
  it('an array of k JSON values gives k outcomes (objects read, others not-an-object), whatever the chunking', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ time: T0, class_uid: 1 })), { maxLength: 15 }),
        fc.integer({ min: 1, max: 64 }),
        async (values, chunk) => {
          const body = Buffer.from(JSON.stringify(values, null, values.length % 2 === 0 ? 2 : undefined));
          const location = new MemoryLocation({ 'x.json': body }, chunk);
          const { stats } = await collect(
            config('/unused', { format: 'json', defaultSystem: 's', maxMalformedRatio: 1 }),
            {
              location,
            },
          );
          expect(stats['events']! + stats['malformed']! + stats['skipped']!).toBe(values.length);
        },
      ),
      { numRuns: 100, minRuns: 100 },
    );
  });
});
