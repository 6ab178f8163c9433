// `npm run bench`: runs each benchmark in its own process (so peak RSS belongs to it), then writes
// bench/results.json and bench/results.md. Figures are ratios or counts from one run on this machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const root = path.join(__dirname, '..');
const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

interface Figure {
  benchmark: string;
  metric: string;
  value: number | string;
  unit: string;
  target?: string;
  note?: string;
}

const figures: Figure[] = [];
const raw: Record<string, unknown> = {};

function tsx(script: string, args: string[], env: Record<string, string> = {}): Record<string, unknown> {
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', path.join(root, 'bench', script), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`${script} failed (${res.status}): ${res.stderr}`);
  const line = res.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (!line) throw new Error(`${script} printed no JSON: ${res.stdout}`);
  return JSON.parse(line) as Record<string, unknown>;
}

function timed(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  if (want('evaluation')) {
    const mixed = tsx('evaluate.ts', ['1000000', 'sorted', 'mixed']);
    const documents = tsx('evaluate.ts', ['1000000', 'sorted', 'documents']);
    raw['evaluation'] = { mixed, documents };
    figures.push({ benchmark: 'evaluation', metric: '38 controls over 1,000,000 artifacts (mixed sources)', value: round(mixed['seconds'] as number, 3), unit: 's', target: '< 1 s' });
    figures.push({ benchmark: 'evaluation', metric: 'same, worst case: all 1,000,000 are folder documents', value: round(documents['seconds'] as number, 3), unit: 's' });
    figures.push({ benchmark: 'evaluation', metric: 'peak RSS (index of 1,000,000 artifacts in memory)', value: round(mixed['peakRssMb'] as number, 0), unit: 'MB' });
  }

  if (want('storage')) {
    const mb = Number(process.env['BENCH_LARGE_MB'] ?? 2048);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eh-bench-'));
    try {
      const file = path.join(dir, 'large.bin');
      const fd = openSync(file, 'w');
      const chunk = randomBytes(8 * 1024 * 1024);
      for (let i = 0; i < mb / 8; i++) writeSync(fd, chunk);
      closeSync(fd);
      execFileSync('sync');
      const shaSeconds = timed('sha256sum', [file]);
      const cpSeconds = timed('cp', [file, path.join(dir, 'copy.bin')]);
      rmSync(path.join(dir, 'copy.bin'));
      const fsResult = tsx('storage.ts', ['fs', file]);
      raw['storage-fs'] = { ...fsResult, shaSeconds, cpSeconds };
      const baseline = shaSeconds + cpSeconds;
      figures.push({ benchmark: 'storage', metric: `${mb} MB artifact into filesystem store: time vs sha256sum + cp`, value: round((fsResult['seconds'] as number) / baseline, 2), unit: 'x', note: `${round(mb / (fsResult['seconds'] as number), 0)} MB/s` });
      figures.push({ benchmark: 'storage', metric: 'peak RSS, filesystem store', value: round(fsResult['peakRssMb'] as number, 0), unit: 'MB', target: '< 256 MB' });
      const minio = await startBenchMinio(dir);
      try {
        const s3 = tsx('storage.ts', ['s3', file, minio.endpoint, minio.bucket, minio.accessKeyId, minio.secretAccessKey]);
        raw['storage-s3'] = s3;
        figures.push({ benchmark: 'storage', metric: `${mb} MB artifact into S3 store (local MinIO): time vs sha256sum + cp`, value: round((s3['seconds'] as number) / baseline, 2), unit: 'x', note: `${round(mb / (s3['seconds'] as number), 0)} MB/s` });
        figures.push({ benchmark: 'storage', metric: 'peak RSS, S3 store', value: round(s3['peakRssMb'] as number, 0), unit: 'MB', target: '< 256 MB' });
      } finally {
        await minio.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  if (want('siem')) {
    const mb = Number(process.env['BENCH_SIEM_MB'] ?? 1024);
    const r = tsx('siem-ingest.ts', [String(mb)]);
    raw['siem'] = r;
    figures.push({ benchmark: 'siem', metric: `${mb} MB SIEM export ingest: peak RSS`, value: round(r['peakRssMb'] as number, 0), unit: 'MB', note: `${round(r['mbPerSecond'] as number, 0)} MB/s` });
  }

  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${round(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
  const results = { date: new Date().toISOString(), machine, figures, raw };
  writeFileSync(path.join(root, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const md = [
    `Benchmarks, ${results.date.slice(0, 10)}, on ${machine}.`,
    '',
    '| benchmark | metric | value | target | note |',
    '|---|---|---|---|---|',
    ...figures.map((f) => `| ${f.benchmark} | ${f.metric} | ${f.value} ${f.unit} | ${f.target ?? ''} | ${f.note ?? ''} |`),
    '',
  ].join('\n');
  writeFileSync(path.join(root, 'bench', 'results.md'), md);
  process.stdout.write(md);
}

async function startBenchMinio(dir: string) {
  // Reuses the test harness: the same MinIO binary and startup path the test suite uses.
  const { startMinio } = await import('../test/support/minio');
  const m = await startMinio(path.join(dir, 'minio'));
  const bucket = 'bench';
  await m.createBucket(bucket);
  return { endpoint: m.endpoint, bucket, accessKeyId: m.accessKeyId, secretAccessKey: m.secretAccessKey, stop: () => m.stop() };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
