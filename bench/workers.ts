/**
 * Several workers benchmark (issue 18 item 4): one sweep of many folder sources (default 300, 5 small
 * documents each) into an S3 store (local MinIO), run by 1 and then by 3 `evidence-hub worker` processes
 * on one task queue (Temporal dev server). Each run uses a fresh bucket. Checks what the acceptance asks
 * (one chain, no fork, no duplicate blob, nothing lost: verify passes, every blob once under its hash,
 * every artifact sealed) and prints one JSON line with the sweep time and sources per second of each.
 *
 *   npx tsx bench/workers.ts [sources=300] [concurrency=24]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSweep } from '../cli/commands/sweep';
import { readManifest } from '../evidence/index';
import { verifyStore } from '../evidence/verify';
import { initSigningKey, loadHub } from '../worker/hub';
import { startDevServer } from '../worker/temporal-server';
import type { SweepResult } from '../workflows';
import { startMinio } from '../test/support/minio';
import { killHard, spawnWorker } from '../test/support/resilience';

const perSource = 5;

async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), data);
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 300);
  const concurrency = Number(process.argv[3] ?? 24);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-workers-bench-'));
  const [env, minio] = await Promise.all([startDevServer(), startMinio(path.join(dir, 'minio'))]);
  try {
    const files: Record<string, Buffer> = {};
    for (let s = 0; s < count; s++)
      for (let i = 0; i < perSource; i++)
        files[`s${s}/doc-${i}.md`] = i === 0 ? Buffer.from('# shared template\n') : randomBytes(1024);
    await writeTree(path.join(dir, 'documents'), files);
    const creds = { EH_BW_AK: minio.accessKeyId, EH_BW_SK: minio.secretAccessKey };
    Object.assign(process.env, creds);
    const runs: Record<string, { workers: number; seconds: number; sourcesPerSecond: number }> = {};
    for (const n of [1, 3]) {
      const bucket = `workers-${n}-${randomBytes(3).toString('hex')}`;
      await minio.createBucket(bucket);
      const host = path.join(dir, `host-${n}`);
      const yaml = [
        'version: 1',
        `store: { s3: { bucket: ${bucket}, prefix: ev, endpoint: "${minio.endpoint}", forcePathStyle: true, credentials: { accessKeyId: { env: EH_BW_AK }, secretAccessKey: { env: EH_BW_SK } } } }`,
        'signing: { key: { file: ./signing.pem } }',
        `temporal: { taskQueue: bench-${bucket}, concurrency: ${concurrency} }`,
        'integrity: { enabled: false }',
        'sources:',
        ...Array.from({ length: count }, (_, s) => `  - { id: s${s}, type: folder, path: "${dir}/documents/s${s}" }`),
        '',
      ].join('\n');
      await writeTree(host, { 'evidence-hub.yaml': yaml });
      const hub = await loadHub(path.join(host, 'evidence-hub.yaml'));
      await initSigningKey(hub.config, hub.store);
      // The workers share the host directory's key file: the same key, as copies on several hosts would be.
      const workers = Array.from({ length: n }, () =>
        spawnWorker(path.join(host, 'evidence-hub.yaml'), { TEMPORAL_ADDRESS: env.address, ...creds }),
      );
      try {
        await Promise.all(workers.map((w) => w.ready));
        const t0 = process.hrtime.bigint();
        const handle = await startSweep(env.client, hub.config, { trigger: 'manual' });
        const result = (await handle.result()) as SweepResult;
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (result.sources.some((s) => s.status !== 'ok' || s.artifactCount !== perSource))
          throw new Error(`not every source was collected whole with ${n} workers`);
        const report = await verifyStore(hub.store);
        if (!report.ok) throw new Error(`verify failed with ${n} workers: ${JSON.stringify(report.problems)}`);
        if ((await hub.store.sequences()).join() !== '1') throw new Error('more than one bundle for one sweep');
        const manifest = (await readManifest(hub.store, 1))!;
        if (manifest.artifacts.length !== count * perSource) throw new Error('artifacts lost');
        const blobs = await hub.store.listBlobs();
        const expected = new Set(Object.values(files).map((b) => createHash('sha256').update(b).digest('hex')));
        if (blobs.length !== expected.size || blobs.some((b) => !expected.has(b)))
          throw new Error(`blobs: ${blobs.length} stored, ${expected.size} distinct contents`);
        runs[String(n)] = { workers: n, seconds, sourcesPerSecond: count / seconds };
      } finally {
        for (const w of workers) await killHard(w);
      }
    }
    console.log(
      JSON.stringify({
        sources: count,
        perSource,
        concurrency,
        one: runs['1'],
        three: runs['3'],
        speedup: runs['1']!.seconds / runs['3']!.seconds,
      }),
    );
  } finally {
    await minio.stop();
    await env.teardown();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
