import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { tarStream, type ArchiveEntry } from './tar';

export type ArchiveFormat = 'tar.gz' | 'zip';

/** An export that cannot be made as asked (bad window, unsupported format, a chain that is out of order). */
export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/** The format follows the file name: `.tar.gz`/`.tgz` or `.zip`. */
export function archiveFormat(out: string): ArchiveFormat {
  if (/\.(tar\.gz|tgz)$/i.test(out)) return 'tar.gz';
  if (/\.zip$/i.test(out)) return 'zip';
  throw new ExportError(`${out}: the archive name must end in .tar.gz, .tgz or .zip`);
}

/**
 * zip needs a deflate-per-entry writer with a central directory; no such package is installed (yazl would
 * do), so only tar.gz is written for now. Checked before any work starts.
 */
export function assertFormatSupported(format: ArchiveFormat): void {
  if (format === 'zip') {
    throw new ExportError('zip archives are not supported yet (they need a zip writer package such as "yazl", which is not installed); write a .tar.gz instead');
  }
}

/** The folder everything in the archive sits under: the archive's name without its extension. */
export function archiveRoot(out: string): string {
  const base = path.basename(out).replace(/\.(tar\.gz|tgz|zip)$/i, '');
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return safe.length > 0 ? safe : 'audit-pack';
}

/**
 * Streams `entries` into `out` (each under `root/`), through a temp file renamed into place at the end, so
 * a failed export never leaves a truncated archive under the requested name. The sha256 of each entry's
 * content goes into `digests` (keyed by its path below the root) as soon as the entry is written.
 */
export async function writeArchive(out: string, format: ArchiveFormat, root: string, entries: AsyncIterable<ArchiveEntry>, digests: Map<string, string>, mtime: Date): Promise<void> {
  assertFormatSupported(format);
  const abs = path.resolve(out);
  await mkdir(path.dirname(abs), { recursive: true });
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const rooted = async function* (): AsyncGenerator<ArchiveEntry> {
    for await (const e of entries) yield { ...e, path: `${root}/${e.path}` };
  };
  const record = (p: string, sha256: string) => digests.set(p.slice(root.length + 1), sha256);
  try {
    await pipeline(Readable.from(tarStream(rooted(), record, mtime), { objectMode: false }), createGzip({ level: 6 }), createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    await rename(tmp, abs);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
