import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * The bytes of an export, decompressed when they start with the gzip magic bytes (1f 8b), whatever the
 * file is called. Concatenated gzip members (rotated logs joined with `cat`) are read as one stream.
 */
export async function* decompressed(stream: Readable, onGzip: () => void): AsyncGenerator<Buffer> {
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const r = await it.next();
    if (r.done) break;
    head = head.length === 0 ? toBuffer(r.value) : Buffer.concat([head, toBuffer(r.value)]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield toBuffer(r.value);
    }
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    onGzip();
    const gunzip = createGunzip();
    // Errors of either side destroy the other, so iterating the gunzip stream throws them.
    pipeline(Readable.from(rest()), gunzip, () => {});
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } else {
    yield* rest();
  }
}

function toBuffer(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}

/**
 * Splits bytes into lines without ever holding more than one line (at most `maxBytes`): a longer line
 * is reported by number and skipped up to its newline. `\r\n` and a leading BOM are handled.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private dropping = false;
  private lineNo = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (text: string, lineNo: number) => void,
    private readonly onTooLong: (lineNo: number) => void,
  ) {}

  get lines(): number {
    return this.lineNo;
  }

  push(buf: Buffer): void {
    const n = buf.length;
    let pos = 0;
    while (pos < n) {
      const nl = buf.indexOf(10, pos);
      if (nl === -1) {
        this.keep(buf.subarray(pos));
        return;
      }
      this.lineNo++;
      if (this.dropping) {
        this.dropping = false;
        this.onTooLong(this.lineNo);
      } else if (this.pendingLen > 0) {
        const seg = buf.subarray(pos, nl);
        const total = this.pendingLen + seg.length;
        if (total > this.maxBytes) this.onTooLong(this.lineNo);
        else {
          this.pending.push(seg);
          const whole = Buffer.concat(this.pending, total);
          this.emit(whole, 0, whole.length);
        }
        this.pending = [];
        this.pendingLen = 0;
      } else if (nl - pos > this.maxBytes) {
        this.onTooLong(this.lineNo);
      } else {
        this.emit(buf, pos, nl);
      }
      pos = nl + 1;
    }
  }

  end(): void {
    if (this.dropping) {
      this.lineNo++;
      this.onTooLong(this.lineNo);
    } else if (this.pendingLen > 0) {
      this.lineNo++;
      const whole = Buffer.concat(this.pending, this.pendingLen);
      this.emit(whole, 0, whole.length);
    }
    this.dropping = false;
    this.pending = [];
    this.pendingLen = 0;
  }

  private keep(seg: Buffer): void {
    if (this.dropping) return;
    if (this.pendingLen + seg.length > this.maxBytes) {
      this.dropping = true;
      this.pending = [];
      this.pendingLen = 0;
      return;
    }
    this.pending.push(seg);
    this.pendingLen += seg.length;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--;
    let text = buf.toString('utf8', start, end);
    if (this.lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.onLine(text, this.lineNo);
  }
}
