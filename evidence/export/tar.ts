import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * A small streaming tar writer (POSIX ustar, with pax extended headers for names longer than ustar allows,
 * non-ASCII names and sizes of 8 GiB and more). Entries are produced one after the other and blob bytes are
 * passed through chunk by chunk, so an archive of any size is written in constant memory.
 */
export type ArchiveEntry =
  | { path: string; directory: true; mtime?: Date }
  | { path: string; data: Buffer | string; mtime?: Date }
  | {
      path: string;
      /** Exact byte count: a tar header states it before the content. */
      size: number;
      open: () => Readable;
      mtime?: Date;
    };

const block = 512;
const maxOctalSize = 0o77777777777; // 11 octal digits: just under 8 GiB

/**
 * Encodes `entries` as a tar stream. The sha256 of every entry's content is passed to `recordDigest` as soon
 * as the entry is written, so a generator that yields a checksum file last can list them.
 */
export async function* tarStream(
  entries: AsyncIterable<ArchiveEntry>,
  recordDigest: (path: string, sha256: string) => void,
  defaultMtime: Date,
): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    const mtime = entry.mtime ?? defaultMtime;
    if ('directory' in entry) {
      yield* headers(entry.path.replace(/\/*$/, '/'), 0, mtime, '5');
      continue;
    }
    if ('data' in entry) {
      const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
      yield* headers(entry.path, data.length, mtime);
      if (data.length > 0) yield data;
      yield padding(data.length);
      recordDigest(entry.path, createHash('sha256').update(data).digest('hex'));
      continue;
    }
    yield* headers(entry.path, entry.size, mtime);
    const hash = createHash('sha256');
    let written = 0;
    for await (const chunk of entry.open()) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      written += buf.length;
      if (written > entry.size)
        throw new Error(
          `${entry.path}: more than the ${entry.size} bytes announced (the file changed while it was archived)`,
        );
      hash.update(buf);
      yield buf;
    }
    if (written !== entry.size)
      throw new Error(
        `${entry.path}: ${written} bytes read, ${entry.size} announced (the file changed while it was archived)`,
      );
    yield padding(entry.size);
    recordDigest(entry.path, hash.digest('hex'));
  }
  yield Buffer.alloc(2 * block); // end-of-archive marker
}

function padding(size: number): Buffer {
  return Buffer.alloc((block - (size % block)) % block);
}

function* headers(name: string, size: number, mtime: Date, type: '0' | '5' = '0'): Generator<Buffer> {
  const split = splitName(name);
  const big = size > maxOctalSize;
  if (!split || big) {
    const records = paxRecords({ path: name, ...(big ? { size: String(size) } : {}) });
    yield header(`PaxHeaders/${asciiTail(name, 80)}`, '', records.length, mtime, 'x');
    yield records;
    yield padding(records.length);
  }
  const { base, prefix } = split ?? { base: asciiTail(name, 100), prefix: '' };
  yield header(base, prefix, big ? 0 : size, mtime, type);
}

/** ustar keeps a name of up to 100 bytes, plus a directory prefix of up to 155; ASCII only here. */
function splitName(name: string): { base: string; prefix: string } | undefined {
  if (!/^[\x20-\x7e]+$/.test(name)) return undefined;
  if (name.length <= 100) return { base: name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (prefix.length <= 155 && base.length > 0 && base.length <= 100) return { base, prefix };
  }
  return undefined;
}

function asciiTail(name: string, max: number): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= max ? ascii : ascii.slice(-max);
}

/** pax records: "<length> <key>=<value>\n", where length counts the whole record including itself. */
function paxRecords(fields: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const body = ` ${key}=${value}\n`;
    const bodyLength = Buffer.byteLength(body);
    let length = bodyLength;
    while (bodyLength + String(length).length !== length) length = bodyLength + String(length).length;
    parts.push(Buffer.from(`${length}${body}`, 'utf8'));
  }
  return Buffer.concat(parts);
}

function header(name: string, prefix: string, size: number, mtime: Date, type: '0' | '5' | 'x'): Buffer {
  const h = Buffer.alloc(block);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, type === '5' ? 0o755 : 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, Math.max(0, Math.floor(mtime.getTime() / 1000)));
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\u000000', 257, 8, 'ascii');
  octal(h, 329, 8, 0);
  octal(h, 337, 8, 0);
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'ascii');
  return h;
}

function octal(h: Buffer, offset: number, width: number, value: number): void {
  h.write(value.toString(8).padStart(width - 1, '0') + '\u0000', offset, width, 'ascii');
}
