import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** One problem in a user-edited file, located well enough to fix it without reading our code. */
export interface FileProblem {
  file: string;
  line: number;
  col: number;
  /** Field path such as `schedules[2].cron`; empty for syntax errors. */
  path: string;
  message: string;
  hint?: string;
}

export function formatProblem(p: FileProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  const field = p.path ? ` ${p.path}:` : '';
  return `${where}:${field} ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`;
}

/** Raised for bad user input (config, mappings). Never retried: the file must be fixed first. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(readonly problems: FileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** Renders a zod/YAML path the way people write it: `sources[0].path`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** A parsed YAML document that can point back at the line and column of any field. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Largest YAML file we read; bigger files are rejected before parsing (memory safety). */
  static readonly maxBytes = 4 * 1024 * 1024;

  static async load(file: string): Promise<YamlSource> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const message = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})`;
      throw new InputError([{ file, line: 0, col: 0, path: '', message, hint: 'check the path' }]);
    }
    return YamlSource.parse(file, text);
  }

  static parse(file: string, text: string): YamlSource {
    if (Buffer.byteLength(text) > YamlSource.maxBytes) {
      throw new InputError([
        {
          file,
          line: 1,
          col: 1,
          path: '',
          message: `file is larger than ${YamlSource.maxBytes} bytes`,
          hint: 'split it into several files',
        },
      ]);
    }
    const lines = new LineCounter();
    // uniqueKeys: a duplicated key silently overriding another is a classic config foot-gun.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
    const src = new YamlSource(file, doc, lines);
    if (doc.errors.length > 0) {
      throw new InputError(
        doc.errors.map((e) => {
          const pos = src.position(e.pos[0]);
          return {
            file,
            ...pos,
            path: '',
            message: e.message.split('\n')[0] ?? e.message,
            hint: 'fix the YAML syntax',
          };
        }),
      );
    }
    return src;
  }

  /** Plain JS value; alias expansion is capped so a "billion laughs" file fails instead of eating memory. */
  toJS(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new InputError([
        {
          file: this.file,
          line: 1,
          col: 1,
          path: '',
          message: (err as Error).message,
          hint: 'reduce the use of YAML aliases',
        },
      ]);
    }
  }

  position(offset: number): { line: number; col: number } {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** Line/column of the deepest existing node on `path` (a missing key points at its parent). */
  locate(path: ReadonlyArray<PropertyKey>): { line: number; col: number } {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return this.position(node.range[0]);
      if (n === 0 && this.doc.contents && isNode(this.doc.contents) && this.doc.contents.range) {
        return this.position(this.doc.contents.range[0]);
      }
    }
    return { line: 1, col: 1 };
  }

  /** Like `locate`, but for a map key itself (to point at `sourcez:` rather than its value). */
  problem(path: ReadonlyArray<PropertyKey>, message: string, hint?: string): FileProblem {
    return { file: this.file, ...this.locate(path), path: formatPath(path), message, ...(hint ? { hint } : {}) };
  }

  /** Validates with zod; every issue comes back located in this file. */
  validate<S extends z.ZodType>(schema: S, hintFor?: (issue: z.core.$ZodIssue) => string | undefined): z.output<S> {
    const result = schema.safeParse(this.toJS());
    if (result.success) return result.data;
    throw new InputError(
      result.error.issues.map((issue) =>
        this.problem(issue.path, issue.message, hintFor?.(issue) ?? defaultHint(issue)),
      ),
    );
  }
}

function defaultHint(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `remove or rename ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return issue.input === undefined ? 'this field is required' : undefined;
    default:
      return undefined;
  }
}
