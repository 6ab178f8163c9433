// Benchmark (issue 21 goal 1, issue 20 performance): what a user waits for. `evidence-hub status` on a real
// store of N artifacts (default 1,000,000; BENCH_STATUS_ARTIFACTS or the first argument for a smaller smoke
// run), built by bench/status-store.ts through the real commit and checkpoint path and cached under
// os.tmpdir() by size, so a re-run skips the build. `status` runs as a user runs it: a cold
// `node bin/evidence-hub.js status` child (the compiled CLI in dist/, rebuilt first), timed end to end, with
// its peak RSS from /usr/bin/time -v. Also the console's /controls page on the same store, served exactly as
// `evidence-hub serve` wires it: the first request after start (no warm-up: it waits for the whole
// evaluation), then warm requests, then the first request after a new bundle is sealed (answered at once from
// the previous evaluation, with the "being evaluated" notice) and how long until a request gets the new
// bundle's evaluation (loopback round trips: server time plus a local socket, nothing else). The console part
// runs on a copy of the cached store, so sealing that bundle never changes the cached store.
// Usage: npx tsx bench/status-1m.ts [count] [dir]  → prints one JSON line.
import { execFileSync, spawnSync } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { consoleOptions } from '../cli/commands/serve';
import { ConsoleAuth } from '../console/auth';
import { startConsole } from '../console/server';
import { initSigningKey, loadHub } from '../worker/hub';
import { writeBundle } from '../test/support/store-fixture';
import { buildStatusStore, storeVersion } from './status-store';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'bin', 'evidence-hub.js');

export interface StatusFigures {
  artifacts: number;
  bundles: number;
  storeBuildSeconds: number | undefined;
  verifySampleOk: boolean;
  indexRebuildSeconds: number;
  indexRebuildPeakRssMb: number;
  indexFileMb: number;
  /** Each cold `status` run: wall seconds (spawn to exit) and peak RSS. */
  statusRuns: { seconds: number; cpuSeconds: number; peakRssMb: number }[];
  /** Why `status` failed (e.g. out of memory), when it did: the figures record the failure, not a time. */
  statusFailure?: string | undefined;
  /** The same CLI loading its modules only (`--help`): the floor under any command. */
  helpSeconds: number;
  helpCpuSeconds: number;
  statusMedianSeconds: number;
  statusPeakRssMb: number;
  statuses: Record<string, number>;
  /** /controls: the first request after start (evaluates the store), then the median of the next five. */
  consoleFirstMs: number;
  consoleWarmMs: number;
  consoleWarmRunsMs: number[];
  /** The overview (/), warm: median of five after the /controls pages (its facts come with the evaluation). */
  consoleOverviewWarmMs: number;
  /**
   * /controls: the first request after a new bundle is sealed, answered from the previous evaluation;
   * `consoleAfterSealNotice` says whether that page carried the "bundle #M is being evaluated" notice.
   */
  consoleAfterSealMs: number;
  consoleAfterSealNotice: boolean;
  /** From that request until a /controls request (polled every 250 ms) is answered from the new bundle's evaluation. */
  consoleRevalidatedMs: number;
  /** Why the console part did not complete (the status figures above stand on their own). */
  consoleFailure?: string | undefined;
  loadAverage: number[];
}

/** A child run under /usr/bin/time -v: wall seconds, peak RSS in MB, stdout. */
function timedChild(args: string[], env: Record<string, string> = {}, mayFail = false) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn', BENCH_UNUSED_TOKEN: 'unused', ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // A failed `status` (out of memory on a big store) is a result to record; the other parts of the bench
  // must still run and be written.
  const failure =
    res.status === 0
      ? undefined
      : `exit ${res.status ?? res.signal}: ${
          res.stderr
            .split('\n')
            // /usr/bin/time -v's own lines: its report (tab-indented) and the exit status line.
            .filter((l) => l.trim() && !l.startsWith('\t') && !l.startsWith('Command exited'))
            .slice(-3)
            .join(' ')
            .slice(0, 300) || 'no message'
        }`;
  if (failure && !mayFail) throw new Error(`evidence-hub ${args.join(' ')} failed (${failure}): ${res.stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr);
  if (!rss) throw new Error(`no peak RSS from /usr/bin/time: ${res.stderr}`);
  // CPU time too: on a machine shared with other work, wall time measures the queue as much as the code.
  const cpu = (name: string) =>
    Number(new RegExp(`${name} time \\(seconds\\): ([\\d.]+)`).exec(res.stderr)?.[1] ?? NaN);
  return {
    seconds,
    cpuSeconds: cpu('User') + cpu('System'),
    peakRssMb: Number(rss[1]) / 1024,
    stdout: res.stdout,
    stderr: res.stderr,
    failure,
  };
}

function get(port: number, p: string): Promise<{ status: number; ms: number; body: string }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: p }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ms: Number(process.hrtime.bigint() - t0) / 1e6,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    })
      .on('error', reject)
      .end();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchStatus(count = 1_000_000, dir?: string): Promise<StatusFigures> {
  // The CLI runs from dist/: build it, so the figures are of the code in this checkout.
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  const now = Date.parse('2026-11-23T00:00:00Z');
  // Keyed by size and by the builder's version: a changed builder never reuses an old store.
  const storeDir = dir ?? path.join(os.tmpdir(), 'evidence-hub-bench', `status-${storeVersion}-${count}`);
  const built = await buildStatusStore(storeDir, count, now);
  const asOf = new Date(now).toISOString();
  // The store is real: a sample of it (the last 30 days of bundles) verifies with the real verifier.
  const verify = spawnSync(
    process.execPath,
    [
      cli,
      'verify',
      path.join(storeDir, 'store'),
      '--trust',
      path.join(storeDir, 'public-key.pem'),
      '--from',
      new Date(now - 30 * 86_400_000).toISOString().slice(0, 10),
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  // The rebuild holds every manifest's artifacts at once (a one-off after a lost cache): give it the heap.
  const rebuild = timedChild(['index', 'rebuild', '--config', built.config], {
    NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --max-old-space-size=8192`.trim(),
  });
  const runs = [0, 1, 2].map(() =>
    timedChild(['status', '--config', built.config, '--as-of', asOf, '--json'], {}, true),
  );
  const statusFailure = runs.find((r) => r.failure)?.failure;
  const help = timedChild(['--help']);
  const statuses: Record<string, number> = {};
  const ran = runs.filter((r) => !r.failure).at(-1);
  const last = ran ? (JSON.parse(ran.stdout) as { controls: { status: string }[] }) : { controls: [] };
  for (const c of last.controls) statuses[c.status] = (statuses[c.status] ?? 0) + 1;
  const { size } = await import('node:fs/promises').then((fs) =>
    fs.stat(path.join(storeDir, 'store', 'index', 'evidence-index.v1.ndjson')),
  );

  // The console on a copy of the store: a bundle is sealed into it below.
  const copyDir = `${storeDir}-console-copy`;
  await rm(copyDir, { recursive: true, force: true });
  await cp(storeDir, copyDir, { recursive: true });
  const log = pino({ level: 'warn' });
  const hub = await loadHub(path.join(copyDir, 'evidence-hub.yaml'));
  const auth = await ConsoleAuth.fromConfig(hub.config.console, hub.config.baseDir);
  const server = await startConsole(consoleOptions(hub, auth, log, true), '127.0.0.1', 0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const pages: number[] = [];
  const overviewPages: number[] = [];
  const notice = 'id="reevaluating"';
  let afterSeal = { ms: NaN, notice: false };
  let revalidatedMs = NaN;
  let consoleFailure: string | undefined;
  /** Where the console part was when it failed: the figures keep what was measured before it. */
  let stage = 'the first page and the warm pages';
  try {
    for (let i = 0; i < 6; i++) {
      const r = await get(port, '/controls');
      if (r.status !== 200) throw new Error(`/controls answered ${r.status}`);
      pages.push(r.ms);
    }
    stage = 'the overview';
    for (let i = 0; i < 5; i++) {
      const r = await get(port, '/');
      if (r.status !== 200) throw new Error(`/ answered ${r.status}`);
      overviewPages.push(r.ms);
    }
    stage = 'sealing a new bundle';
    await writeBundle(
      hub.store,
      (await initSigningKey(hub.config, hub.store)).key,
      hub.mappings,
      'bench-console-new-bundle',
      { 'raci.csv': 'system,owner\nbench,ops\n' },
      new Date(),
    );
    stage = 'the first request after the new bundle';
    const t0 = process.hrtime.bigint();
    const first = await get(port, '/controls');
    if (first.status !== 200) throw new Error(`/controls answered ${first.status}`);
    afterSeal = { ms: first.ms, notice: first.body.includes(notice) };
    stage = 'the requests polling for the new evaluation';
    for (;;) {
      const r = await get(port, '/controls');
      if (r.status !== 200) throw new Error(`/controls answered ${r.status}`);
      if (!r.body.includes(notice)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    revalidatedMs = Number(process.hrtime.bigint() - t0) / 1e6;
  } catch (err) {
    // Recorded, not thrown: a console that fails at this size is a figure, and must not lose status's.
    consoleFailure = `${err instanceof Error ? err.message : String(err)} in ${stage}`;
  } finally {
    server.close();
    await rm(copyDir, { recursive: true, force: true });
  }
  return {
    artifacts: built.artifacts,
    bundles: built.bundles,
    storeBuildSeconds: built.reused ? undefined : built.buildSeconds,
    verifySampleOk: verify.status === 0,
    indexRebuildSeconds: rebuild.seconds,
    indexRebuildPeakRssMb: rebuild.peakRssMb,
    indexFileMb: size / 1048576,
    ...(statusFailure ? { statusFailure } : {}),
    statusRuns: runs.map((r) => ({ seconds: r.seconds, cpuSeconds: r.cpuSeconds, peakRssMb: r.peakRssMb })),
    helpSeconds: help.seconds,
    helpCpuSeconds: help.cpuSeconds,
    statusMedianSeconds: median(runs.map((r) => r.seconds)),
    statusPeakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    statuses,
    ...(consoleFailure ? { consoleFailure } : {}),
    consoleFirstMs: pages[0] ?? NaN,
    consoleWarmMs: median(pages.slice(1)),
    consoleWarmRunsMs: pages.slice(1),
    consoleOverviewWarmMs: overviewPages.length === 5 ? median(overviewPages) : NaN,
    consoleAfterSealMs: afterSeal.ms,
    consoleAfterSealNotice: afterSeal.notice,
    consoleRevalidatedMs: revalidatedMs,
    loadAverage: os.loadavg(),
  };
}

if (require.main === module) {
  benchStatus(Number(process.argv[2] ?? process.env['BENCH_STATUS_ARTIFACTS'] ?? 1_000_000), process.argv[3])
    .then((f) => console.log(JSON.stringify(f)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
