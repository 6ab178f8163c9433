/**
 * SIEM ingest benchmark: generates an export of the given size, ingests it with the siem connector (the
 * raw export is also streamed through sha256, as the evidence store would), and prints
 * {bytes, seconds, mbPerSecond, peakRssMb, ...} as JSON. Peak RSS staying flat as the size grows shows
 * that memory is bounded.
 *
 *   npx tsx bench/siem-ingest.ts [sizeMB=1024] [format=elastic-ndjson]
 *
 * Formats: elastic-ndjson, splunk-json, cef, ocsf, elastic-search (one pretty-printed _search response).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import pino from 'pino';
import { siemSourceSchema } from '../connectors/siem/config';
import { createSiemConnector } from '../connectors/siem/siem-connector';

const systems = ['fraud-scorer', 'chat-assistant', 'doc-classifier', 'recsys', 'llm-gateway'];
const start = Date.UTC(2026, 0, 1);

type Format = 'elastic-ndjson' | 'splunk-json' | 'cef' | 'ocsf' | 'elastic-search';

function line(format: Format, i: number): string {
  const system = systems[i % systems.length]!;
  // ~20 events per second spread over systems; one malformed line per 10,000.
  const t = start + Math.floor(i / 20) * 1000 + (i % 20) * 50;
  if (i % 10_000 === 9_999) return format === 'elastic-search' ? '"not a hit"' : '{"truncated": ';
  const sev = i % 997 === 0 ? 'critical' : 'info';
  const msg = `request ${i} served in ${(i % 300) + 5} ms with model v${i % 7}`;
  switch (format) {
    case 'elastic-ndjson':
      return JSON.stringify({
        _index: 'ai-logs',
        _id: String(i),
        _source: {
          '@timestamp': new Date(t).toISOString(),
          service: { name: system },
          log: { level: sev },
          message: msg,
        },
      });
    case 'elastic-search':
      return JSON.stringify(
        {
          _index: 'ai-logs',
          _id: String(i),
          _source: {
            '@timestamp': new Date(t).toISOString(),
            service: { name: system },
            log: { level: sev },
            message: msg,
          },
        },
        null,
        2,
      );
    case 'splunk-json':
      return JSON.stringify({
        preview: false,
        offset: i,
        result: { _time: new Date(t).toISOString(), host: system, source: '/var/log/ai.log', severity: sev, _raw: msg },
      });
    case 'cef':
      return `<134>1 ${new Date(t).toISOString()} ${system} ai - - - CEF:0|Acme|${system}|1.0|${i % 50}|Inference ${i % 50}|${sev === 'critical' ? 9 : 3}|rt=${t} msg=${msg}`;
    case 'ocsf':
      return JSON.stringify({
        time: t,
        class_uid: 6003,
        severity_id: sev === 'critical' ? 5 : 1,
        metadata: { product: { name: system, vendor_name: 'Acme' }, version: '1.1.0' },
        message: msg,
      });
  }
}

async function generate(file: string, bytes: number, format: Format): Promise<void> {
  const out = createWriteStream(file);
  let written = 0;
  let i = 0;
  let buf: string[] = [];
  let bufLen = 0;
  const flush = async () => {
    if (!out.write(buf.join(''))) await once(out, 'drain');
    buf = [];
    bufLen = 0;
  };
  const search = format === 'elastic-search';
  if (search)
    buf.push(
      '{\n  "took": 12,\n  "timed_out": false,\n  "hits": {\n    "total": { "value": 0, "relation": "gte" },\n    "hits": [\n',
    );
  while (written < bytes) {
    const l = (search && i > 0 ? ',\n' : '') + line(format, i) + (search ? '' : '\n');
    buf.push(l);
    bufLen += l.length;
    written += l.length;
    i++;
    if (bufLen > 1 << 20) await flush();
  }
  if (search) buf.push('\n    ]\n  }\n}\n');
  await flush();
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const sizeMb = Number(process.argv[2] ?? 1024);
  const format = (process.argv[3] ?? 'elastic-ndjson') as Format;
  if (!Number.isFinite(sizeMb) || sizeMb <= 0) throw new Error('usage: npx tsx bench/siem-ingest.ts [sizeMB] [format]');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-siem-bench-'));
  try {
    const file = path.join(dir, `export.${format === 'cef' ? 'cef' : 'json'}`);
    await generate(file, sizeMb * 1024 * 1024, format);
    const bytes = (await stat(file)).size;
    const rssBefore = process.resourceUsage().maxRSS;

    const connector = createSiemConnector(siemSourceSchema.parse({ id: 'bench', type: 'siem', path: dir }));
    const t0 = process.hrtime.bigint();
    const kinds: Record<string, number> = {};
    let error: string | undefined;
    try {
      for await (const step of connector.collect({ log: pino({ level: 'silent' }) })) {
        kinds[step.artifact.meta.kind] = (kinds[step.artifact.meta.kind] ?? 0) + 1;
        const hash = createHash('sha256');
        for await (const chunk of step.artifact.open()) hash.update(chunk as Buffer);
        hash.digest();
      }
    } catch (err) {
      error = (err as Error).message;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    console.log(
      JSON.stringify({
        bytes,
        seconds: Math.round(seconds * 100) / 100,
        mbPerSecond: Math.round((bytes / 1024 / 1024 / seconds) * 10) / 10,
        peakRssMb: Math.round(peakRssMb),
        peakRssMbBeforeIngest: Math.round(rssBefore / 1024),
        format,
        stats: connector.stats?.(),
        artifacts: kinds,
        ...(error ? { error } : {}),
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
