import { readFile } from 'node:fs/promises';
import { parseCsv, CsvSyntaxError } from '../core/csv';
import { InputError, YamlSource, type FileProblem } from '../core/yaml-source';
import type { RegisteredSystem } from '../mappings/ai-systems';

/**
 * The AI system register file (`aiSystems.register` in the config): one row (CSV) or entry (YAML) per
 * system, with its id, status, retirement day and the day it was added. Every problem of the file is
 * collected with its line and field before failing, so one run shows everything to fix.
 */

export interface RegisterColumns {
  idColumn: string;
  statusColumn: string;
  retiredColumn: string;
  addedColumn: string;
}

/** One row as read, with where it is, before its values are checked. */
interface RawEntry {
  values: Record<string, unknown>;
  /** "file:line" and a locator for a field's line (YAML knows each field's line; CSV the row's). */
  where: (field?: string) => { line: number; col: number; path: string };
}

const maxBytes = 4 * 1024 * 1024;

export async function readSystemRegister(file: string, columns: RegisterColumns): Promise<RegisteredSystem[]> {
  const entries = /\.ya?ml$/i.test(file) ? await yamlEntries(file) : await csvEntries(file, columns);
  const problems: FileProblem[] = [];
  const seen = new Map<string, number>();
  const systems: RegisteredSystem[] = [];
  const problem = (e: RawEntry, field: string | undefined, message: string, hint?: string) =>
    problems.push({ file, ...e.where(field), message, ...(hint !== undefined ? { hint } : {}) });
  for (const e of entries) {
    const id = text(e.values[columns.idColumn]);
    if (id === undefined) {
      problem(e, columns.idColumn, `no AI system id in column "${columns.idColumn}"`, 'every row names its system');
      continue;
    }
    const line = e.where().line;
    if (seen.has(id)) {
      problem(e, columns.idColumn, `duplicate AI system "${id}" (also line ${seen.get(id)})`, 'list each system once');
      continue;
    }
    seen.set(id, line);
    const retired = text(e.values[columns.statusColumn])?.toLowerCase() === 'retired';
    const retiredOn = day(e, columns.retiredColumn, problem);
    const addedOn = day(e, columns.addedColumn, problem);
    if (retired && retiredOn === null)
      problem(
        e,
        columns.statusColumn,
        `AI system "${id}" is retired but column "${columns.retiredColumn}" gives no retirement day`,
        `add the day it was retired (YYYY-MM-DD) in "${columns.retiredColumn}"`,
      );
    if (retiredOn !== null && retiredOn !== undefined && !retired)
      problem(
        e,
        columns.retiredColumn,
        `AI system "${id}" has a retirement day but its "${columns.statusColumn}" is not "retired"`,
        `set "${columns.statusColumn}" to retired, or clear "${columns.retiredColumn}"`,
      );
    systems.push({
      id,
      ...(addedOn ? { addedOn } : {}),
      ...(retired && retiredOn ? { retiredOn } : {}),
      origin: `${file}:${line}`,
    });
  }
  if (problems.length > 0) throw new InputError(problems);
  return systems;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** A YYYY-MM-DD day as epoch ms at UTC midnight; null when empty, undefined after reporting a bad value. */
function day(
  e: RawEntry,
  column: string,
  problem: (e: RawEntry, field: string, message: string, hint?: string) => void,
): number | null | undefined {
  const v = text(e.values[column]);
  if (v === undefined) return null;
  const ms = Date.parse(`${v}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(ms) || !new Date(ms).toISOString().startsWith(v)) {
    problem(e, column, `"${v}" in column "${column}" is not a date`, 'write it as YYYY-MM-DD');
    return undefined;
  }
  return ms;
}

async function readText(file: string): Promise<string> {
  try {
    const t = await readFile(file, 'utf8');
    if (Buffer.byteLength(t) > maxBytes)
      throw new InputError([at(file, 1, `register is larger than ${maxBytes} bytes`)]);
    return t;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError([
      {
        ...at(file, 0, code === 'ENOENT' ? 'AI system register not found' : `cannot read (${code ?? String(err)})`),
        hint: 'check aiSystems.register.file in the config (relative to the config file)',
      },
    ]);
  }
}

const at = (file: string, line: number, message: string): FileProblem => ({ file, line, col: 1, path: '', message });

async function csvEntries(file: string, columns: RegisterColumns): Promise<RawEntry[]> {
  let rows;
  try {
    rows = parseCsv(await readText(file));
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new InputError([at(file, err.line, err.message)]);
    throw err;
  }
  const [header, ...body] = rows;
  if (!header) throw new InputError([{ ...at(file, 1, 'empty register'), hint: 'start with a header row' }]);
  const names = header.cells.map((c) => c.trim());
  if (!names.includes(columns.idColumn))
    throw new InputError([
      {
        ...at(file, header.line, `no column "${columns.idColumn}" in the header (${names.join(', ')})`),
        path: columns.idColumn,
        hint: 'name the id column in aiSystems.register.idColumn',
      },
    ]);
  return body.map((row) => {
    if (row.cells.length > names.length)
      throw new InputError([
        at(
          file,
          row.line,
          `${row.cells.length} fields but the header has ${names.length}; quote fields holding commas`,
        ),
      ]);
    const values = Object.fromEntries(names.map((n, i) => [n, row.cells[i] ?? '']));
    return { values, where: (field) => ({ line: row.line, col: 1, path: field ?? '' }) };
  });
}

async function yamlEntries(file: string): Promise<RawEntry[]> {
  const src = YamlSource.parse(file, await readText(file));
  const doc = src.toJS();
  const listed = Array.isArray(doc)
    ? { list: doc as unknown[], prefix: [] as PropertyKey[] }
    : doc !== null && typeof doc === 'object' && Array.isArray((doc as Record<string, unknown>)['systems'])
      ? { list: (doc as { systems: unknown[] }).systems, prefix: ['systems'] as PropertyKey[] }
      : undefined;
  if (!listed)
    throw new InputError([
      src.problem(
        [],
        'expected a list of AI systems (or `systems:` holding one)',
        'e.g. systems: [{ id: chat-assistant }]',
      ),
    ]);
  return listed.list.map((v, i) => {
    const values = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    return {
      values,
      where: (field) => {
        const p = field !== undefined ? [...listed.prefix, i, field] : [...listed.prefix, i];
        const { path } = src.problem(p, '');
        return { ...src.locate(p), path };
      },
    };
  });
}
