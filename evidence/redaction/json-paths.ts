// JSON paths: the supported JSONPath subset and a scanner that finds the values it selects.

const maxJsonDepth = 1000;

export type PathSegment = { deep: boolean; name?: string; index?: number }; // neither name nor index: wildcard

/** Parses the supported JSONPath subset: `$`, `.name`, `..name`, `.*`, `[n]`, `[*]`, `['name']`, `["name"]`. */
export function parseJsonPath(path: string): PathSegment[] {
  const fail = (at: number, what: string): never => {
    throw new Error(
      `JSON path ${JSON.stringify(path)}: ${what} at position ${at} (supported: $, .name, ..name, .*, [n], [*], ['name'])`,
    );
  };
  if (!path.startsWith('$')) fail(0, 'must start with "$"');
  const segs: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    let deep = false;
    if (path.startsWith('..', i)) {
      deep = true;
      i += 2;
    } else if (path[i] === '.') {
      i += 1;
    } else if (path[i] !== '[') {
      fail(i, `unexpected ${JSON.stringify(path[i])}`);
    }
    if (path[i] === '*') {
      segs.push({ deep });
      i++;
    } else if (path[i] === '[') {
      const rest = path.slice(i);
      const m = /^\[(?:(\*)|(\d+)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest);
      if (!m) fail(i, 'unsupported bracket expression (filters, slices and unions are not supported)');
      const [whole, star, index, sq, dq] = m!;
      if (star) segs.push({ deep });
      else if (index !== undefined) segs.push({ deep, index: Number(index) });
      else segs.push({ deep, name: (sq ?? dq ?? '').replace(/\\(.)/g, '$1') });
      i += whole.length;
    } else {
      const m = /^[^.[\]\s*]+/.exec(path.slice(i));
      if (!m) fail(i, 'expected a member name');
      segs.push({ deep, name: m![0] });
      i += m![0].length;
    }
  }
  if (segs.length === 0) fail(path.length, 'selects the whole document; name a member');
  if (segs.length > 1000) fail(path.length, 'too many segments');
  return segs;
}

export interface CompiledPath {
  source: string;
  segs: PathSegment[];
}

/** NFA states: pairs (path index, segment index) packed as path * 1024 + segment. */
type States = number[];

function stepStates(paths: CompiledPath[], states: States, key: string | number): { next: States; matched: number } {
  const next: States = [];
  let matched = -1;
  const add = (s: number) => {
    if (!next.includes(s)) next.push(s);
  };
  for (const st of states) {
    const p = Math.floor(st / 1024);
    const i = st % 1024;
    const seg = paths[p]!.segs[i]!;
    const ok = seg.name !== undefined ? key === seg.name : seg.index !== undefined ? key === seg.index : true;
    if (seg.deep) add(st);
    if (ok) {
      if (i + 1 === paths[p]!.segs.length) {
        if (matched < 0 || p < matched) matched = p;
      } else add(st + 1);
    }
  }
  return { next, matched };
}

interface JsonSplice {
  start: number;
  end: number;
  path: number;
  line: number;
}

export class JsonSyntaxError extends Error {}

/** Finds the values selected by `paths` in a JSON document (latin1 string), validating its syntax. */
export class JsonPathScanner {
  pos = 0;
  line = 1;
  readonly splices: JsonSplice[] = [];

  constructor(
    private readonly s: string,
    private readonly paths: CompiledPath[],
  ) {}

  run(): void {
    if (this.s.startsWith('\xef\xbb\xbf')) this.pos = 3;
    this.ws();
    const root: States = this.paths.map((_, p) => p * 1024);
    this.value(root, 0);
    this.ws();
    if (this.pos !== this.s.length) this.fail('unexpected data after the document');
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(`${what} at line ${this.line}`);
  }

  private ws(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d) this.pos++;
      else if (c === 0x0a) {
        this.pos++;
        this.line++;
      } else return;
    }
  }

  private value(states: States, depth: number): void {
    if (depth > maxJsonDepth) this.fail('nesting too deep');
    const c = this.s[this.pos];
    if (c === '{') this.object(states, depth);
    else if (c === '[') this.array(states, depth);
    else if (c === '"') this.string();
    else this.literal();
  }

  private child(states: States, key: string | number, depth: number): void {
    if (states.length === 0) return this.value(states, depth + 1);
    const { next, matched } = stepStates(this.paths, states, key);
    if (matched < 0) return this.value(next, depth + 1);
    const start = this.pos;
    const line = this.line;
    this.value([], depth + 1);
    if (this.s.slice(start, this.pos) !== 'null') this.splices.push({ start, end: this.pos, path: matched, line });
  }

  private object(states: States, depth: number): void {
    this.pos++;
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.s[this.pos] !== '"') this.fail('expected a member name');
      const ks = this.pos;
      this.string();
      const key = states.length ? decodeJsonString(this.s.slice(ks, this.pos)) : '';
      this.ws();
      if (this.s[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      this.ws();
      this.child(states, key, depth);
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return;
      if (c !== ',') this.fail('expected "," or "}"');
      this.ws();
    }
  }

  private array(states: States, depth: number): void {
    this.pos++;
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.child(states, index, depth);
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return;
      if (c !== ',') this.fail('expected "," or "]"');
      this.ws();
    }
  }

  private string(): void {
    const s = this.s;
    let i = this.pos + 1;
    for (;;) {
      const q = s.indexOf('"', i);
      if (q < 0) this.fail('unterminated string');
      let bs = 0;
      for (let j = q - 1; s.charCodeAt(j) === 0x5c; j--) bs++;
      if (bs % 2 === 0) {
        this.pos = q + 1;
        return;
      }
      i = q + 1;
    }
  }

  private static literalRe = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/y;

  private literal(): void {
    JsonPathScanner.literalRe.lastIndex = this.pos;
    const m = JsonPathScanner.literalRe.exec(this.s);
    if (!m) this.fail('unexpected character');
    this.pos += m![0].length;
  }
}

function decodeJsonString(rawLatin1: string): string {
  if (!/[\\\x80-\xff]/.test(rawLatin1)) return rawLatin1.slice(1, -1);
  return JSON.parse(Buffer.from(rawLatin1, 'latin1').toString('utf8')) as string;
}
