import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StoreFullError } from '../core/errors';

/**
 * The few file operations everything durable in the store is built from. Each one either completes with
 * its data on disk, or leaves nothing visible under the final name: a crash or a full disk can lose an
 * in-flight write, never corrupt a committed one.
 */

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function tmpName(tmpDir: string): string {
  return path.join(tmpDir, `${process.pid}-${randomUUID()}.tmp`);
}

/** Writes `data` to a temp file in `tmpDir` and fsyncs it; returns the temp path. */
export async function writeTemp(tmpDir: string, data: Uint8Array | string): Promise<string> {
  const tmp = tmpName(tmpDir);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

/** Atomically replaces `target` with `data` (temp file, fsync, rename, fsync the folder). */
export async function writeFileAtomic(tmpDir: string, target: string, data: Uint8Array | string): Promise<void> {
  const tmp = await writeTemp(tmpDir, data);
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(path.dirname(target));
}

/**
 * Publishes a fsynced temp file under `target` only if nothing is there yet. link(2) fails with EEXIST
 * atomically, which makes it the store's compare-and-set: two writers can never both claim one name.
 * Returns false when `target` already existed. The temp file is removed either way.
 */
export async function publishExclusive(tmp: string, target: string): Promise<boolean> {
  await mkdir(path.dirname(target), { recursive: true });
  try {
    await link(tmp, target);
    await fsyncDir(path.dirname(target));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

export function asStoreError(err: unknown, where: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StoreFullError(
      `evidence store ${where}: no space left on device; free space or move the store, then re-run the sweep (committed bundles are intact)`,
    );
  }
  return err;
}

/** A file's bytes, or undefined when it does not exist (any other error is thrown). */
export async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
