// Benchmark: a certification cycle (issue 21, scale goals 2 and 3). Day 0 collects the whole organisation
// (bench/cycle-org.ts, ~20,000 artifacts); days 1..N each seal a daily sweep of the 1% that changed, plus a
// weekly deep sweep (every 7th day) that records every artifact again. No HTTP layer: every changed
// artifact goes through the real store's write path (putBlob, staging, sealBundle with a real key and the
// default mappings). A deep sweep's unchanged artifacts reuse their records (the blob is stored already; a
// connector's putBlob would only find it there), which is what keeps 156 deep sweeps affordable here.
// At checkpoint days it times: the daily seal, the deep seal of the nearest deep day before, an
// incremental `verify` (integrity monitor, from the last verified checkpoint; it runs every day as the
// monitor would), a cold `status` process (bench/cycle-status.ts) and the store's size. Then a full
// verify and the export of the last year, against `sha256sum` over the same blobs (bench/throughput.ts).
// Usage: tsx bench/cycle.ts [--days 1095] [--size 20000] → one JSON line.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { mappingVocabulary } from '../connectors';
import type { SourceOutcome } from '../core/sweep-outcome';
import { sealBundle } from '../evidence/bundle';
import { FilesystemStore } from '../evidence/fs-store';
import { loadIndex } from '../evidence/index';
import { verifyIntegrity } from '../evidence/integrity';
import type { ArtifactRecord } from '../evidence/manifest';
import { createKeyFile } from '../evidence/signing';
import { expandMappingPaths, loadMappings } from '../mappings/load';
import { Org, type OrgArtifact } from './cycle-org';
import { diskBytes, measureThroughput } from './throughput';

const DAY = 86_400_000;
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const days = arg('--days', 1095);
const size = arg('--size', 20_000);
const changePerDay = Math.round(size / 100);
const start = Date.parse('2027-01-01T02:00:00Z');
/**
 * Days whose figures are kept: 1, 365, 730, 1,095 (scaled down when fewer days run). Never a deep-sweep
 * day: every checkpoint then times the same work, one daily bundle (a day that is a multiple of 7 moves
 * one day back).
 */
const checkpoints = [
  ...new Set(
    [1, Math.round(days / 3), Math.round((2 * days) / 3), days]
      .map((d) => (d % 7 === 0 ? d - 1 : d))
      .filter((d) => d >= 1),
  ),
];

/** One simulated day's figures, as bench/cycle-figures.ts judges them. */
export interface DayFigures {
  day: number;
  sealDailySeconds: number;
  dailyArtifacts: number;
  sealDeepSeconds: number;
  deepDay: number;
  verifySeconds: number;
  verifyBundles: number;
  verifyBlobs: number;
  /** From process start (Node boot and module loading through tsx included) to the results. */
  statusSeconds: number;
  /** From opening the store to the results: the part that grows with the store. */
  statusWorkSeconds: number;
  statusPeakRssMb: number;
  indexArtifacts: number;
  storeBytes: number;
  blobBytes: number;
  manifestBytes: number;
  changedBytes: number;
  bundles: number;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-cycle-'));
  try {
    const storeDir = path.join(dir, 'store');
    const store = await FilesystemStore.open(storeDir);
    const key = await createKeyFile(path.join(dir, 'signing.pem'));
    await store.registerKey(key, new Date(start - DAY));
    const vocabulary = mappingVocabulary();
    const mappings = await loadMappings(expandMappingPaths(['default'], '/', vocabulary), vocabulary);
    const org = new Org(size, new Date(start));
    let changedBytes = 0;
    let sequence = 0;

    /** One sweep: writes the given artifacts' blobs (changed ones) or reuses records, then seals. */
    async function sweep(at: Date, write: OrgArtifact[], reuse: OrgArtifact[], name: string): Promise<number> {
      const bundleId = `${name}-${at.toISOString().slice(0, 10)}`;
      const bySource = new Map<string, ArtifactRecord[]>();
      for (const a of write) {
        const content = org.content(a);
        const ref = await store.putBlob(Readable.from([content]));
        if (ref.created) changedBytes += ref.size;
        a.record = {
          id: `${a.source}:${a.externalId}`,
          source: a.source,
          sourceType: a.sourceType,
          kind: a.kind,
          externalId: a.externalId,
          observedAt: a.observedAt,
          collectedAt: at.toISOString(),
          sha256: ref.sha256,
          size: ref.size,
          mediaType: 'application/json',
          attributes: org.attributes(a),
          provenance: { endpoint: `https://${a.source}.example/api`, collector: `${a.sourceType}@bench` },
        };
      }
      for (const a of [...write, ...reuse]) {
        const rec = { ...a.record!, collectedAt: at.toISOString() };
        const list = bySource.get(a.source) ?? [];
        list.push(rec);
        bySource.set(a.source, list);
      }
      const outcomes: SourceOutcome[] = [];
      for (const [source, records] of [...bySource].sort(([x], [y]) => x.localeCompare(y))) {
        const staging = await store.openStaging(bundleId, source, 0);
        for (const r of records) await staging.append(r);
        await staging.checkpoint();
        await staging.close();
        outcomes.push({ source, sourceType: records[0]!.sourceType, status: 'ok', artifactCount: records.length });
      }
      const t0 = performance.now();
      await sealBundle(
        store,
        key,
        mappings,
        {
          bundleId,
          startedAt: at.toISOString(),
          trigger: { type: 'schedule', workflowId: bundleId, runId: bundleId, scheduleId: name },
          outcomes,
        },
        () => new Date(at.getTime() + 60_000),
      );
      sequence++;
      return (performance.now() - t0) / 1000;
    }

    // Day 0: the first collection of everything.
    const t0 = performance.now();
    const initialSealSeconds = await sweep(new Date(start), org.artifacts, [], 'initial');
    const initialSweepSeconds = (performance.now() - t0) / 1000;
    await verifyIntegrity(store, { full: false, now: new Date(start + 3_600_000) });

    const perDay: DayFigures[] = [];
    let lastDeep = { day: 0, seconds: initialSealSeconds };
    const simStart = performance.now();
    for (let day = 1; day <= days; day++) {
      const at = new Date(start + day * DAY);
      const changed = org.change(changePerDay, at);
      const sealDailySeconds = await sweep(at, changed, [], 'daily');
      if (day % 7 === 0) {
        const seconds = await sweep(new Date(at.getTime() + 3_600_000), [], org.artifacts, 'deep');
        lastDeep = { day, seconds };
      }
      // The integrity monitor, every day after the sweeps: verifies what was sealed since its last run.
      const v0 = performance.now();
      const run = await verifyIntegrity(store, { full: false, now: new Date(at.getTime() + 4 * 3_600_000) });
      const verifySeconds = (performance.now() - v0) / 1000;
      if (!run.ok) throw new Error(`day ${day}: integrity verification failed: ${run.examples.join('; ')}`);
      if (!checkpoints.includes(day)) continue;
      // The alert monitor keeps the index cache current after each sweep (activities/index.ts runAlerts);
      // here it is brought up to date once before the cold `status` process is timed.
      const index = await loadIndex(store);
      const status = coldStatus(storeDir, new Date(at.getTime() + 5 * 3_600_000));
      const sizes = await diskBytes(storeDir);
      perDay.push({
        day,
        sealDailySeconds,
        dailyArtifacts: changed.length,
        sealDeepSeconds: lastDeep.seconds,
        deepDay: lastDeep.day,
        verifySeconds,
        verifyBundles: run.bundlesChecked,
        verifyBlobs: run.blobsChecked,
        statusSeconds: status.seconds,
        statusWorkSeconds: status.workSeconds,
        statusPeakRssMb: status.peakRssMb,
        indexArtifacts: index.artifacts.length,
        storeBytes: sizes.total,
        blobBytes: sizes.blobs,
        manifestBytes: sizes.manifests,
        changedBytes,
        bundles: sequence,
      });
      process.stderr.write(`day ${day}: ${JSON.stringify(perDay.at(-1))}\n`);
    }
    const simulationSeconds = (performance.now() - simStart) / 1000;
    const lastYearFrom = new Date(start + Math.max(0, days - 365) * DAY);
    const throughput = await measureThroughput(store, storeDir, dir, {
      mappings,
      key,
      from: lastYearFrom,
      to: new Date(start + (days + 1) * DAY),
    });
    console.log(
      JSON.stringify({
        days,
        size,
        changePerDay,
        deepEvery: 7,
        initialSweepSeconds,
        initialSealSeconds,
        simulationSeconds,
        perDay,
        throughput,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `status` as a user runs it: a new process over the store, timed from process start to the result. */
function coldStatus(storeDir: string, asOf: Date): { seconds: number; workSeconds: number; peakRssMb: number } {
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'cycle-status.ts'), storeDir, asOf.toISOString()],
    { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  if (res.status !== 0) throw new Error(`cycle-status.ts failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').at(-1)!) as {
    seconds: number;
    workSeconds: number;
    peakRssMb: number;
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
