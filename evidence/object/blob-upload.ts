import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { BlobRef } from '../store';
import type { ObjectStorage } from './storage';

/** Where content-addressed blobs live below the store's prefix. */
export function blobRel(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/** The storage a blob goes to, and how the store turns its relative names into keys (its prefix). */
export interface BlobTarget {
  storage: ObjectStorage;
  key(rel: string): string;
}

/**
 * Writes an artifact under its content address, locked. Up to `singlePutMaxBytes` it is hashed in memory
 * and written once (a conditional put: an existing blob is left alone); a larger one streams to a temporary
 * key while it is hashed, since its name is known only at the end, and is then copied under its address.
 */
export async function uploadBlob(target: BlobTarget, content: Readable, singlePutMaxBytes: number): Promise<BlobRef> {
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let size = 0;
  const iterator = content[Symbol.asyncIterator]();
  // Read up to the single-put limit; a small artifact is written once under its final name.
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      const sha256 = hash.digest('hex');
      const created = await target.storage.put(target.key(blobRel(sha256)), Buffer.concat(head), {
        ifAbsent: true,
        locked: true,
      });
      return { sha256, size, created };
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
    hash.update(chunk);
    size += chunk.length;
    head.push(chunk);
    if (size > singlePutMaxBytes) break;
  }
  // Large: stream the rest to a temporary key while hashing (the name is known only at the end), then copy
  // it under its content address. The adapter's upload holds at most a part or two in memory.
  const tmpRel = `tmp/${randomUUID()}`;
  const body = new PassThrough();
  const uploaded = target.storage.upload(target.key(tmpRel), body);
  const feed = (async () => {
    for (const c of head) if (!body.write(c)) await new Promise((r) => body.once('drain', r));
    head.length = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
      hash.update(chunk);
      size += chunk.length;
      if (!body.write(chunk)) await new Promise((r) => body.once('drain', r));
    }
    body.end();
  })();
  try {
    await Promise.all([feed, uploaded]);
  } catch (err) {
    body.destroy();
    await target.storage.delete([target.key(tmpRel)]).catch(() => undefined);
    throw err;
  }
  const sha256 = hash.digest('hex');
  let created = false;
  if ((await target.storage.head(target.key(blobRel(sha256)))) === undefined) {
    await target.storage.copy(target.key(tmpRel), target.key(blobRel(sha256)), { locked: true });
    created = true;
  }
  await target.storage.delete([target.key(tmpRel)]);
  return { sha256, size, created };
}
