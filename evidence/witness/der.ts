/**
 * The few DER pieces an RFC 3161 request and response need. A time-stamp query is six fields and the
 * reply is read only to check status, nonce and message imprint (the signature is checked by OpenSSL or
 * the auditor), so a small encoder/reader is easier to review than an ASN.1 library dependency.
 */

export const tags = {
  boolean: 0x01,
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  set: 0x31,
  generalizedTime: 0x18,
} as const;

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}

export function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(value.length), value]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(tags.sequence, Buffer.concat(items));
export const octetString = (bytes: Buffer): Buffer => tlv(tags.octetString, bytes);
export const derNull = (): Buffer => tlv(tags.null, Buffer.alloc(0));
export const boolean = (v: boolean): Buffer => tlv(tags.boolean, Buffer.from([v ? 0xff : 0]));

/** A non-negative INTEGER from its big-endian magnitude (a leading 0 keeps it positive). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  return tlv(tags.integer, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** A small non-negative INTEGER such as a version number. */
export function smallInteger(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 127) throw new RangeError(`smallInteger: ${n}`);
  return tlv(tags.integer, Buffer.from([n]));
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(tags.oid, Buffer.from(bytes));
}

/** One decoded element: its tag, its content bytes, and (for constructed ones) its children on demand. */
export interface Element {
  tag: number;
  value: Buffer;
  /** The whole encoding (tag, length and value). */
  raw: Buffer;
}

export class DerError extends Error {}

export function readElement(buf: Buffer, offset = 0): Element & { end: number } {
  if (offset + 2 > buf.length) throw new DerError('truncated DER');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in RFC 3161');
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4) throw new DerError('unsupported DER length');
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + buf[start + i]!;
    start += count;
  }
  const end = start + len;
  if (end > buf.length) throw new DerError('DER length runs past the data');
  return { tag, value: buf.subarray(start, end), raw: buf.subarray(offset, end), end };
}

/** The only element of `buf`; trailing bytes are an error (DER is exact). */
export function decode(buf: Buffer): Element {
  const el = readElement(buf);
  if (el.end !== buf.length) throw new DerError('trailing bytes after DER element');
  return el;
}

export function children(el: Element): Element[] {
  const out: Element[] = [];
  for (let offset = 0; offset < el.value.length;) {
    const child = readElement(el.value, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

export function expectTag(el: Element | undefined, tag: number, what: string): Element {
  if (!el || el.tag !== tag)
    throw new DerError(
      `${what}: expected tag 0x${tag.toString(16)}, got ${el ? `0x${el.tag.toString(16)}` : 'nothing'}`,
    );
  return el;
}

export function decodeOid(el: Element): string {
  const v = el.value;
  const parts = [Math.floor(v[0]! / 40), v[0]! % 40];
  let n = 0;
  for (const b of v.subarray(1)) {
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

/** An INTEGER's magnitude without the sign-padding zero (nonces and serials compare as bytes). */
export function integerMagnitude(el: Element): Buffer {
  let i = 0;
  while (i < el.value.length - 1 && el.value[i] === 0) i++;
  return el.value.subarray(i);
}
