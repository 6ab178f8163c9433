import { isPlaceholder, isSecretName, marker } from './rule';

// CSV columns whose header names a secret: every value in them is redacted.

const csvFieldBuffer = 256;

export class CsvColumns {
  private secretCols = new Set<number>();
  private delim = ',';
  private inQuotes = false;
  private quotePending = false;
  private field = 0;
  private atFieldStart = true;
  private buf = '';
  private markerDone = false;
  private out = '';
  private line = 1;
  columns: string[] = [];

  constructor(
    private readonly tsv: boolean,
    private readonly hit: (line: number) => void,
  ) {}

  header(line: string): void {
    const text = line.startsWith('\xef\xbb\xbf') ? line.slice(3) : line;
    this.delim = this.tsv
      ? '\t'
      : text.includes(',')
        ? ','
        : text.includes(';')
          ? ';'
          : text.includes('\t')
            ? '\t'
            : ',';
    const names: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (q) {
        if (c === '"' && text[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === this.delim) {
        names.push(cur);
        cur = '';
      } else cur += c;
    }
    names.push(cur);
    names.forEach((n, i) => {
      if (isSecretName(n.trim())) {
        this.secretCols.add(i);
        this.columns.push(n.trim());
      }
    });
  }

  get active(): boolean {
    return this.secretCols.size > 0;
  }

  /** Processes a piece of a record line (never containing the line break). */
  feed(piece: string, line: number): string {
    if (!this.active) return piece;
    this.line = line;
    this.out = '';
    const d = this.delim;
    for (let i = 0; i < piece.length; i++) {
      const c = piece[i]!;
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === '"') {
            this.content('""');
            continue;
          }
          this.closeQuote();
        } else if (c === '"') {
          this.quotePending = true;
          continue;
        } else {
          this.content(c);
          continue;
        }
      }
      if (this.atFieldStart) {
        this.atFieldStart = false;
        if (c === '"') {
          this.inQuotes = true;
          this.out += c;
          continue;
        }
      }
      if (c === d) {
        this.flushField();
        this.out += c;
        this.field++;
        this.atFieldStart = true;
        this.markerDone = false;
        continue;
      }
      this.content(c);
    }
    return this.out;
  }

  /** Called at each line break: ends the record unless a quoted field continues on the next line. */
  endOfLine(line: number): string {
    if (!this.active) return '';
    this.line = line;
    this.out = '';
    if (this.quotePending) {
      this.quotePending = false;
      this.closeQuote();
    }
    this.flushField();
    if (!this.inQuotes) {
      this.field = 0;
      this.atFieldStart = true;
      this.markerDone = false;
    }
    return this.out;
  }

  private closeQuote(): void {
    this.inQuotes = false;
    this.flushField();
    this.out += '"';
  }

  private content(c: string): void {
    if (!this.secretCols.has(this.field)) {
      this.out += c;
      return;
    }
    if (this.markerDone) return;
    this.buf += c;
    if (this.buf.length > csvFieldBuffer) this.emitMarker();
  }

  private flushField(): void {
    if (this.buf === '') return;
    if (!this.markerDone && isPlaceholder(this.buf)) {
      this.out += this.buf;
      this.buf = '';
      return;
    }
    this.emitMarker();
  }

  private emitMarker(): void {
    if (!this.markerDone) {
      this.out += marker('csv-secret-column');
      this.hit(this.line);
      this.markerDone = true;
    }
    this.buf = '';
  }
}
