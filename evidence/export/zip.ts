import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { crc32, createDeflateRaw } from 'node:zlib';
import type { ArchiveEntry } from './tar';

/**
 * A small streaming zip writer (PKWARE APPNOTE 6.3: deflate, UTF-8 names, data descriptors, ZIP64 where a
 * size, an offset or the entry count needs it). Like the tar writer, it takes entries one after the other
 * and passes blob bytes through chunk by chunk, so an archive of any size is written in constant memory:
 * CRC-32 and the compressed size are only known after an entry, so they follow it in a data descriptor.
 */
export interface ZipOptions {
  /**
   * Entries at least this large (declared uncompressed size) get ZIP64 sizes in their local header and data
   * descriptor. The format's limit is 0xffffffff; the default leaves room for deflate's small expansion.
   * Tests lower it to exercise the ZIP64 structures without writing gigabytes.
   */
  zip64Threshold?: number;
}

interface CentralRecord {
  name: Buffer;
  directory: boolean;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  dosTime: number;
  dosDate: number;
  zip64: boolean;
}

const u32 = 0xffffffff;
const utf8Flag = 1 << 11;
const descriptorFlag = 1 << 3;
const versionZip64 = 45;
const versionDeflate = 20;

export async function* zipStream(
  entries: AsyncIterable<ArchiveEntry>,
  recordDigest: (path: string, sha256: string) => void,
  defaultMtime: Date,
  options: ZipOptions = {},
): AsyncGenerator<Buffer> {
  const threshold = options.zip64Threshold ?? u32 - 64 * 1024 * 1024;
  const central: CentralRecord[] = [];
  let offset = 0;
  const emit = (b: Buffer) => {
    offset += b.length;
    return b;
  };

  for await (const entry of entries) {
    const { dosTime, dosDate } = dosDateTime(entry.mtime ?? defaultMtime);
    if ('directory' in entry) {
      const name = Buffer.from(entry.path.replace(/\/*$/, '/'), 'utf8');
      const rec: CentralRecord = {
        name,
        directory: true,
        method: 0,
        crc: 0,
        compressedSize: 0,
        size: 0,
        offset,
        dosTime,
        dosDate,
        zip64: offset >= u32,
      };
      yield emit(localHeader(rec, 0));
      central.push(rec);
      continue;
    }
    const name = Buffer.from(entry.path, 'utf8');
    const declared = 'data' in entry ? Buffer.byteLength(entry.data) : entry.size;
    const rec: CentralRecord = {
      name,
      directory: false,
      method: 8,
      crc: 0,
      compressedSize: 0,
      size: 0,
      offset,
      dosTime,
      dosDate,
      zip64: declared >= threshold,
    };
    yield emit(localHeader(rec, descriptorFlag));

    const hash = createHash('sha256');
    let crc = 0;
    let size = 0;
    const source: Iterable<unknown> | AsyncIterable<unknown> =
      'data' in entry
        ? [typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data]
        : (entry.open() as Readable);
    for await (const compressed of deflated(source, (chunk) => {
      size += chunk.length;
      if (!('data' in entry) && size > entry.size)
        throw new Error(
          `${entry.path}: more than the ${entry.size} bytes announced (the file changed while it was archived)`,
        );
      hash.update(chunk);
      crc = crc32(chunk, crc);
    })) {
      rec.compressedSize += compressed.length;
      yield emit(compressed);
    }
    if (!('data' in entry) && size !== entry.size)
      throw new Error(
        `${entry.path}: ${size} bytes read, ${entry.size} announced (the file changed while it was archived)`,
      );
    rec.crc = crc;
    rec.size = size;
    if (!rec.zip64 && (rec.compressedSize >= u32 || size >= u32)) {
      throw new Error(
        `${entry.path}: compressed beyond what a zip entry without ZIP64 sizes can state; write a .tar.gz`,
      );
    }
    yield emit(dataDescriptor(rec));
    recordDigest(entry.path, hash.digest('hex'));
    central.push(rec);
  }

  const centralStart = offset;
  for (const rec of central) yield emit(centralHeader(rec));
  const centralSize = offset - centralStart;
  const needsZip64End = central.length >= 0xffff || centralStart >= u32 || centralSize >= u32;
  if (needsZip64End) {
    const zip64EndOffset = offset;
    yield emit(zip64EndRecord(central.length, centralSize, centralStart));
    yield emit(zip64Locator(zip64EndOffset));
  }
  yield emit(
    endRecord(
      needsZip64End ? 0xffff : central.length,
      needsZip64End ? u32 : centralSize,
      needsZip64End ? u32 : centralStart,
    ),
  );
}

/** Deflates `source` chunk by chunk, handing each uncompressed chunk to `seen` first. */
async function* deflated(
  source: Iterable<unknown> | AsyncIterable<unknown>,
  seen: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  const deflate = createDeflateRaw({ level: 6 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve, reject) => {
      deflate.write(chunk, (err) => (err ? reject(err) : resolve()));
    });
  for await (const c of source) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    seen(chunk);
    // Once deflate has taken the chunk, what it produced is in `out`: memory stays bounded by a chunk.
    await write(chunk);
    while (out.length > 0) yield out.shift()!;
  }
  await new Promise<void>((resolve, reject) => {
    deflate.once('end', resolve);
    deflate.once('error', reject);
    deflate.end();
  });
  while (out.length > 0) yield out.shift()!;
}

function localHeader(rec: CentralRecord, flags: number): Buffer {
  // With ZIP64, the sizes move to the extra field (zero for now: the data descriptor carries the real ones).
  const extra = rec.zip64 ? zip64Extra([0, 0]) : Buffer.alloc(0);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(rec.zip64 ? versionZip64 : versionDeflate, 4);
  h.writeUInt16LE(utf8Flag | flags, 6);
  h.writeUInt16LE(rec.method, 8);
  h.writeUInt16LE(rec.dosTime, 10);
  h.writeUInt16LE(rec.dosDate, 12);
  h.writeUInt32LE(0, 14); // crc-32: in the data descriptor
  h.writeUInt32LE(rec.zip64 ? u32 : 0, 18);
  h.writeUInt32LE(rec.zip64 ? u32 : 0, 22);
  h.writeUInt16LE(rec.name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, rec.name, extra]);
}

function dataDescriptor(rec: CentralRecord): Buffer {
  const d = Buffer.alloc(rec.zip64 ? 24 : 16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(rec.crc, 4);
  if (rec.zip64) {
    d.writeBigUInt64LE(BigInt(rec.compressedSize), 8);
    d.writeBigUInt64LE(BigInt(rec.size), 16);
  } else {
    d.writeUInt32LE(rec.compressedSize, 8);
    d.writeUInt32LE(rec.size, 12);
  }
  return d;
}

function centralHeader(rec: CentralRecord): Buffer {
  // The ZIP64 extra field holds, in this order, only the values that do not fit their 32-bit field.
  const big: number[] = [];
  const sizeField = rec.size >= u32 || rec.zip64 ? (big.push(rec.size), u32) : rec.size;
  const compressedField =
    rec.compressedSize >= u32 || rec.zip64 ? (big.push(rec.compressedSize), u32) : rec.compressedSize;
  const offsetField = rec.offset >= u32 ? (big.push(rec.offset), u32) : rec.offset;
  const extra = big.length > 0 ? zip64Extra(big) : Buffer.alloc(0);
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE((3 << 8) | (big.length > 0 ? versionZip64 : versionDeflate), 4); // made by: Unix
  h.writeUInt16LE(big.length > 0 ? versionZip64 : versionDeflate, 6);
  h.writeUInt16LE(utf8Flag | (rec.directory ? 0 : descriptorFlag), 8);
  h.writeUInt16LE(rec.method, 10);
  h.writeUInt16LE(rec.dosTime, 12);
  h.writeUInt16LE(rec.dosDate, 14);
  h.writeUInt32LE(rec.crc, 16);
  h.writeUInt32LE(compressedField, 20);
  h.writeUInt32LE(sizeField, 24);
  h.writeUInt16LE(rec.name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt16LE(0, 32); // comment length
  h.writeUInt16LE(0, 34); // disk number
  h.writeUInt16LE(0, 36); // internal attributes
  h.writeUInt32LE((rec.directory ? 0o40755 : 0o100644) * 0x10000 + (rec.directory ? 0x10 : 0), 38); // Unix mode, MS-DOS directory bit
  h.writeUInt32LE(offsetField, 42);
  return Buffer.concat([h, rec.name, extra]);
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

function zip64EndRecord(count: number, centralSize: number, centralStart: number): Buffer {
  const b = Buffer.alloc(56);
  b.writeUInt32LE(0x06064b50, 0);
  b.writeBigUInt64LE(44n, 4); // size of the rest of this record
  b.writeUInt16LE((3 << 8) | versionZip64, 12);
  b.writeUInt16LE(versionZip64, 14);
  b.writeUInt32LE(0, 16);
  b.writeUInt32LE(0, 20);
  b.writeBigUInt64LE(BigInt(count), 24);
  b.writeBigUInt64LE(BigInt(count), 32);
  b.writeBigUInt64LE(BigInt(centralSize), 40);
  b.writeBigUInt64LE(BigInt(centralStart), 48);
  return b;
}

function zip64Locator(zip64EndOffset: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x07064b50, 0);
  b.writeUInt32LE(0, 4);
  b.writeBigUInt64LE(BigInt(zip64EndOffset), 8);
  b.writeUInt32LE(1, 16);
  return b;
}

function endRecord(count: number, centralSize: number, centralStart: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(0x06054b50, 0);
  b.writeUInt16LE(0, 4);
  b.writeUInt16LE(0, 6);
  b.writeUInt16LE(count, 8);
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(centralSize, 12);
  b.writeUInt32LE(centralStart, 16);
  b.writeUInt16LE(0, 20);
  return b;
}

/** MS-DOS date and time (two-second resolution, 1980 to 2107), in UTC so archives do not depend on the machine's zone. */
function dosDateTime(d: Date): { dosTime: number; dosDate: number } {
  const year = Math.min(2107, Math.max(1980, d.getUTCFullYear()));
  const clamped = year !== d.getUTCFullYear();
  return {
    dosTime: clamped ? 0 : (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    dosDate: ((year - 1980) << 9) | ((clamped ? 1 : d.getUTCMonth() + 1) << 5) | (clamped ? 1 : d.getUTCDate()),
  };
}
