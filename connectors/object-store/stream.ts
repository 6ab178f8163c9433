import { PassThrough, type Readable } from 'node:stream';

/**
 * A stream that opens its source lazily and counts the bytes that pass. Piping keeps backpressure, so a
 * huge object is never held in memory: the source is read only as fast as the store writes the blob.
 */
export function countedStream(open: () => Promise<Readable>, count: (bytes: number) => void): Readable {
  const out = new PassThrough();
  open()
    .then((body) => {
      body.on('data', (c: Buffer) => count(c.length));
      body.on('error', (e) => out.destroy(e));
      body.pipe(out);
    })
    .catch((err: unknown) => out.destroy(err as Error));
  return out;
}
