import type { RecordSink } from '../event';
import { isObject } from './line-parser';

interface Frame {
  obj: boolean;
  /** In an object: the next string is a key. */
  expectKey: boolean;
  /** The key whose value is being read (kept for the two outer objects only). */
  key: string | undefined;
  /** This array's elements are records: a wrapper array (`hits.hits`, `Records`) or a top-level array. */
  target: boolean;
}

const maxKeyBytes = 256;

export interface JsonDocumentOptions {
  /**
   * Key paths (at most two keys deep) of arrays whose elements are the records: `hits.hits` of a `_search`
   * response, `Records` of a CloudTrail file, `results` of a Splunk JSON export.
   */
  wrappers: readonly (readonly string[])[];
  /** A top-level object holding no wrapper array is a record itself (pretty-printed or concatenated JSON). */
  topLevelRecords: boolean;
  /** A document without a wrapper array is malformed (`no-hits-array`): a saved `_search` response. */
  requireWrapper: boolean;
}

/** Called with each record (an object) and the physical line it starts on. */
export type OnRecord = (obj: Record<string, unknown>, line: number) => void;

/**
 * Streams JSON documents that are not one object per line, any size, without parsing a document whole:
 * a top-level array of records (an OCSF or CloudTrail array), pretty-printed objects one after another,
 * or a wrapper holding the records (`{"hits":{"hits":[...]}}`, `{"Records":[...]}`). A small tokenizer
 * tracks nesting, strings and the two outer keys, and cuts out each record as bytes, which alone are
 * `JSON.parse`d. A top-level object is cut out as a record until a wrapper array opens inside it (its key
 * comes first), then its elements are. Memory is one record (at most `maxRecordBytes`) plus the nesting stack.
 */
export class JsonDocumentParser {
  private readonly stack: Frame[] = [];
  private lineNo = 1;
  private inString = false;
  private escape = false;
  private keyParts: Buffer[] | undefined;
  private keyLen = 0;
  private capturing = false;
  private captureParts: Buffer[] = [];
  private captureLen = 0;
  private captureDepth = 0;
  private captureLine = 0;
  private captureTooLong = false;
  /** The capture is a whole top-level object, given up if a wrapper array opens inside it. */
  private outerCapture = false;
  /** The wrapper found (`hits.hits`, `Records`), or `[]` for a top-level array; undefined before one. */
  wrapper: string | undefined;
  private stringElement = false;
  private scalarElement = false;
  private elementLine = 0;
  private foundTarget = false;
  private documents = 0;
  private broken = false;
  /** Set when the document's structure is invalid: nothing after that point can be read. */
  fatal: string | undefined;
  private bytes = 0;
  private lastByte = -1;

  constructor(
    private readonly onRecord: OnRecord,
    private readonly sink: RecordSink,
    private readonly maxRecordBytes: number,
    private readonly options: JsonDocumentOptions,
  ) {}

  /** Physical lines seen (for statistics). */
  get lines(): number {
    if (this.bytes === 0) return 0;
    return this.lastByte === 10 ? this.lineNo - 1 : this.lineNo;
  }

  push(buf: Buffer): void {
    const n = buf.length;
    if (n === 0) return;
    this.bytes += n;
    this.lastByte = buf[n - 1]!;
    let i = 0;
    if (this.broken) {
      for (let nl = buf.indexOf(10, i); nl !== -1; nl = buf.indexOf(10, nl + 1)) this.lineNo++;
      return;
    }
    let captureFrom = this.capturing ? i : -1;
    let keyFrom = this.keyParts ? i : -1;
    let nextQuote = -1;
    let nextBackslash = -1;
    const stack = this.stack;
    while (i < n) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          i++;
          continue;
        }
        if (nextQuote < i) {
          nextQuote = buf.indexOf(34, i);
          if (nextQuote === -1) nextQuote = n;
        }
        if (nextBackslash < i) {
          nextBackslash = buf.indexOf(92, i);
          if (nextBackslash === -1) nextBackslash = n;
        }
        if (nextBackslash < nextQuote) {
          this.escape = true;
          i = nextBackslash + 1;
          continue;
        }
        if (nextQuote === n) {
          i = n;
          break;
        }
        const q = nextQuote;
        this.inString = false;
        i = q + 1;
        const top = stack[stack.length - 1];
        if (top && top.obj && top.expectKey) {
          top.expectKey = false;
          if (this.keyParts) {
            this.keyParts.push(buf.subarray(keyFrom, q));
            this.keyLen += q - keyFrom;
            top.key = this.keyLen > maxKeyBytes ? '' : decodeKey(Buffer.concat(this.keyParts));
            this.keyParts = undefined;
            keyFrom = -1;
          }
        } else if (this.stringElement) {
          this.stringElement = false;
          this.sink.malformed(this.elementLine, 'not-an-object', 'record is not a JSON object');
        }
        continue;
      }
      const c = buf[i]!;
      switch (c) {
        case 10:
          this.lineNo++;
          break;
        case 32:
        case 9:
        case 13:
          break;
        case 34: {
          const top = stack[stack.length - 1];
          if (!top) return this.fail(buf, i, 'a string outside any object or array');
          this.inString = true;
          if (top.obj && top.expectKey) {
            if (stack.length <= 2 && (!this.capturing || this.outerCapture)) {
              this.keyParts = [];
              this.keyLen = 0;
              keyFrom = i + 1;
            }
          } else if (top.target && !this.capturing) {
            this.stringElement = true;
            this.elementLine = this.lineNo;
          }
          break;
        }
        case 123:
        case 91: {
          const top = stack[stack.length - 1];
          if (top && top.obj && top.expectKey) return this.fail(buf, i, 'a value where an object key was expected');
          if ((top && top.target && !this.capturing) || (!top && c === 123 && this.options.topLevelRecords)) {
            this.capturing = true;
            this.outerCapture = !top;
            this.captureParts = [];
            this.captureLen = 0;
            this.captureTooLong = false;
            this.captureDepth = stack.length + 1;
            this.captureLine = this.lineNo;
            captureFrom = i;
          }
          const target = c === 91 && (!this.capturing || this.outerCapture) && (stack.length === 0 || this.atWrapper());
          if (target) {
            this.foundTarget = true;
            this.wrapper ??= stack.length === 0 ? '[]' : stack.map((f) => f.key).join('.');
            if (this.outerCapture) {
              // The object holds the records: it is a wrapper, not a record.
              this.capturing = false;
              this.outerCapture = false;
              this.captureParts = [];
              captureFrom = -1;
            }
          }
          stack.push({ obj: c === 123, expectKey: c === 123, key: undefined, target });
          break;
        }
        case 125:
        case 93: {
          const top = stack.pop();
          if (!top || top.obj !== (c === 125)) return this.fail(buf, i, 'mismatched bracket');
          if (top.target && this.scalarElement) this.scalarDone();
          if (this.capturing && stack.length < this.captureDepth) {
            this.appendCapture(buf.subarray(captureFrom, i + 1));
            captureFrom = -1;
            this.finishCapture();
          }
          if (stack.length === 0) this.documents++;
          break;
        }
        case 44: {
          const top = stack[stack.length - 1];
          if (!top) return this.fail(buf, i, 'a comma outside any object or array');
          if (top.obj) top.expectKey = true;
          else if (top.target && this.scalarElement) this.scalarDone();
          break;
        }
        case 58: {
          const top = stack[stack.length - 1];
          if (!top || !top.obj) return this.fail(buf, i, 'a colon outside an object');
          break;
        }
        default: {
          const top = stack[stack.length - 1];
          // A byte order mark (EF BB BF) between documents, possibly split across chunks, is whitespace.
          if (!top && (c === 0xef || c === 0xbb || c === 0xbf)) break;
          if (!top) return this.fail(buf, i, 'text outside any object or array');
          if (top.obj && top.expectKey) return this.fail(buf, i, 'a value where an object key was expected');
          if (top.target && !this.capturing && !this.scalarElement) {
            this.scalarElement = true;
            this.elementLine = this.lineNo;
          }
        }
      }
      i++;
    }
    if (this.capturing && captureFrom !== -1) this.appendCapture(buf.subarray(captureFrom, n));
    if (this.keyParts && keyFrom !== -1) {
      this.keyParts.push(buf.subarray(keyFrom, n));
      this.keyLen += n - keyFrom;
      if (this.keyLen > maxKeyBytes) this.keyParts = [Buffer.alloc(0)];
    }
  }

  end(): void {
    if (this.broken) return;
    if (this.capturing || this.inString || this.stack.length > 0) {
      this.sink.malformed(
        this.capturing ? this.captureLine : this.lineNo,
        'truncated-json',
        'JSON document ends early',
      );
      this.capturing = false;
      this.captureParts = [];
      return;
    }
    if (this.options.requireWrapper && !this.foundTarget && this.documents > 0)
      this.sink.malformed(1, 'no-hits-array', 'no hits.hits array in the JSON document');
  }

  private appendCapture(slice: Buffer): void {
    if (this.captureTooLong) return;
    this.captureLen += slice.length;
    if (this.captureLen > this.maxRecordBytes) {
      this.captureTooLong = true;
      this.captureParts = [];
    } else this.captureParts.push(slice);
  }

  /** The open objects are exactly the keys of a wrapper path, ending where an array opens. */
  private atWrapper(): boolean {
    const stack = this.stack;
    return this.options.wrappers.some(
      (w) => w.length === stack.length && w.every((k, d) => stack[d]!.obj && stack[d]!.key === k),
    );
  }

  private finishCapture(): void {
    this.capturing = false;
    this.outerCapture = false;
    const line = this.captureLine;
    if (this.captureTooLong) {
      this.sink.malformed(line, 'record-too-long', `record longer than ${this.maxRecordBytes} bytes`);
      return;
    }
    const parts = this.captureParts;
    this.captureParts = [];
    const text = parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.sink.malformed(line, 'invalid-json', 'record is not valid JSON');
      return;
    }
    if (!isObject(value)) {
      this.sink.malformed(line, 'not-an-object', 'record is not a JSON object');
      return;
    }
    this.onRecord(value, line);
  }

  private scalarDone(): void {
    this.scalarElement = false;
    this.sink.malformed(this.elementLine, 'not-an-object', 'record is not a JSON object');
  }

  /** The rest of the document cannot be read reliably: one malformed record, and the file stops here. */
  private fail(buf: Buffer, at: number, detail: string): void {
    this.broken = true;
    const line = this.lineNo;
    for (let nl = buf.indexOf(10, at); nl !== -1; nl = buf.indexOf(10, nl + 1)) this.lineNo++;
    this.capturing = false;
    this.outerCapture = false;
    this.captureParts = [];
    this.fatal = `invalid JSON structure at line ${line} (${detail}); the rest of the file cannot be read`;
    this.sink.malformed(line, 'invalid-json-structure', `invalid JSON: ${detail}`);
  }
}

function decodeKey(bytes: Buffer): string {
  const raw = bytes.toString('utf8');
  if (raw.indexOf('\\') === -1) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return '';
  }
}
