import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FilesystemStore } from './fs-store';
import type { EvidenceStore } from './store';

/**
 * Fast paths for reading many blobs of a filesystem store (full `verify`, `export`). A store of small blobs
 * (records of a kilobyte or two) is bound by per-file round trips, not by hashing: each async stat, open,
 * read and close is a hop through libuv's thread pool, and the same calls made synchronously were about 3x
 * faster (22,800 blobs of 1.3 KB on average, page cache warm: 0.75 s against 2.3 s with 16 reads in flight).
 * Blobs up to `wholeReadLimit` are therefore read whole with open, fstat, read and close; larger ones are
 * left to the caller's stream, so memory stays bounded by the limit. The synchronous calls run in slices of
 * at most `sliceMs`, after which the event loop turns (a worker's heartbeats, the console's requests).
 * Other stores (S3, GCS, Azure) get no fast path: their callers keep the async store interface.
 */
export const wholeReadLimit = 1 << 20;
const sliceMs = 10;

export type WholeBlob = { kind: 'missing' } | { kind: 'whole'; bytes: Buffer } | { kind: 'large'; size: number };

export interface FastBlobReads {
  /** As `EvidenceStore.blobSize`. */
  size(sha256: string): Promise<number | undefined>;
  /** The blob's bytes when it is at most `wholeReadLimit` long, else its size (to be streamed). */
  read(sha256: string): Promise<WholeBlob>;
}

/** The fast path for `store`, or undefined when it is not a filesystem store. */
export function fastBlobReads(store: EvidenceStore): FastBlobReads | undefined {
  if (!(store instanceof FilesystemStore)) return undefined;
  let sliceStart = performance.now();
  const turn = async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    await nextTurn();
    sliceStart = performance.now();
  };
  return {
    async size(sha256) {
      await turn();
      try {
        return statSync(store.blobPath(sha256)).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async read(sha256) {
      await turn();
      return readWhole(store.blobPath(sha256));
    },
  };
}

function readWhole(file: string): WholeBlob {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > wholeReadLimit) return { kind: 'large', size };
    // One byte more than fstat said: a file that grew in between shows as longer, never as cut to size.
    const bytes = Buffer.allocUnsafe(size + 1);
    let length = 0;
    while (length < bytes.length) {
      const n = readSync(fd, bytes, length, bytes.length - length, length);
      if (n === 0) break;
      length += n;
    }
    return { kind: 'whole', bytes: bytes.subarray(0, length) };
  } finally {
    closeSync(fd);
  }
}
