// Issue 21, scale goal 3: a full `verify` of the cycle's store and the `export` of its last year, as
// throughput against `sha256sum` over the same blob files (the floor any verifier pays: read and hash).
import { execFileSync } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportAuditPack } from '../evidence/export';
import type { FilesystemStore } from '../evidence/fs-store';
import { readManifest } from '../evidence/index';
import type { Signer } from '../evidence/signing';
import { verifyStore } from '../evidence/verify';
import type { MappingSet } from '../mappings/load';

export async function diskBytes(dir: string): Promise<{ total: number; blobs: number; manifests: number }> {
  const sizeOf = async (d: string): Promise<number> => {
    let sum = 0;
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      sum += e.isDirectory() ? await sizeOf(p) : (await stat(p)).size;
    }
    return sum;
  };
  return {
    total: await sizeOf(dir),
    blobs: await sizeOf(path.join(dir, 'blobs')),
    manifests: await sizeOf(path.join(dir, 'manifests')),
  };
}

/** Seconds `sha256sum` takes over these files (fed through xargs, as many per process as fit). */
async function sha256sumSeconds(listFile: string, files: string[]): Promise<number> {
  await writeFile(listFile, files.join('\0'));
  const t0 = performance.now();
  execFileSync('sh', ['-c', `xargs -0 sha256sum < "${listFile}" > /dev/null`]);
  return (performance.now() - t0) / 1000;
}

export interface ThroughputOptions {
  mappings: MappingSet;
  key: Signer;
  from: Date;
  to: Date;
}

export async function measureThroughput(
  store: FilesystemStore,
  storeDir: string,
  workDir: string,
  o: ThroughputOptions,
): Promise<Record<string, number | string>> {
  const allBlobs = (await store.listBlobs()).map((h) => store.blobPath(h));
  const blobBytes = (await diskBytes(storeDir)).blobs;
  execFileSync('sync');
  // sha256sum first, then verify: both read the blobs from the page cache (24 GiB; the store is smaller).
  const shaAll = await sha256sumSeconds(path.join(workDir, 'all.list'), allBlobs);
  const v0 = performance.now();
  const report = await verifyStore(store);
  const verifySeconds = (performance.now() - v0) / 1000;
  if (!report.ok)
    throw new Error(
      `full verify failed: ${report.problems
        .slice(0, 3)
        .map((p) => p.message)
        .join('; ')}`,
    );

  const out = path.join(workDir, 'last-year.tar.gz');
  const e0 = performance.now();
  const pack = await exportAuditPack(
    { store, mappings: o.mappings, notApplicable: [] },
    { from: o.from, to: o.to, out, key: o.key, now: o.to },
  );
  const exportSeconds = (performance.now() - e0) / 1000;
  if (pack.problems.length > 0) throw new Error(`export problems: ${pack.problems.slice(0, 3).join('; ')}`);
  const packBlobs = new Set<string>();
  for (const seq of pack.bundles) for (const a of (await readManifest(store, seq))!.artifacts) packBlobs.add(a.sha256);
  const packFiles = [...packBlobs].map((h) => store.blobPath(h));
  let packBlobBytes = 0;
  for (const f of packFiles) packBlobBytes += (await stat(f)).size;
  const shaPack = await sha256sumSeconds(path.join(workDir, 'pack.list'), packFiles);
  return {
    blobs: allBlobs.length,
    blobBytes,
    bundles: report.bundlesChecked,
    sha256sumAllSeconds: shaAll,
    verifySeconds,
    verifyRatio: shaAll / verifySeconds,
    exportBundles: pack.bundles.length,
    exportBlobs: packFiles.length,
    exportBlobBytes: packBlobBytes,
    exportArchiveBytes: (await stat(out)).size,
    exportSeconds,
    sha256sumPackSeconds: shaPack,
    exportRatio: shaPack / exportSeconds,
  };
}
