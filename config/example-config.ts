import { z } from 'zod';
import { stringify } from 'yaml';
import { configSchema } from './config';

/*
 * The complete, commented example config (examples/evidence-hub.example.yaml), generated from the zod schema
 * that validates evidence-hub.yaml: every key the schema accepts appears, with its type, default and allowed
 * values. Keys that have a default are written out active (so the file loads and shows what an empty config
 * means); optional keys without a default, the other alternatives of a union and the other source types are
 * commented out. `npm run config:example` rewrites it; test/unit/example-config.test.ts fails when the
 * committed file is out of date.
 */

/** The subset of JSON Schema that z.toJSONSchema produces for the config. */
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  minLength?: number;
}

/** One sentence per top-level section: what it is for, and where it is explained. */
const sectionNotes: Record<string, string> = {
  version: 'Format version of this file.',
  store: 'Where sealed bundles live: a folder, or an S3 bucket (S3-compatible services with endpoint).',
  signing: 'The store signing key (created once with `evidence-hub keys init`) and the pinned fingerprints.',
  temporal: 'The Temporal cluster, task queue and how sweeps collect (docs/deploy.md).',
  alerts: 'Slack alerts on status transitions (docs/alerts.md).',
  redaction: 'Secrets removed from evidence before it is hashed and stored (docs/bundle-format.md).',
  retention: 'Nothing younger than lookBack may be pruned.',
  witness: 'Where each signed checkpoint is witnessed: an RFC 3161 TSA and/or an Object Lock bucket.',
  integrity: 'The scheduled integrity monitor (docs/deploy.md).',
  mappings: 'Mapping files in order; `default` is the shipped pack (docs/mappings.md).',
  soa: 'Statement of Applicability file: controls excluded, with justification.',
  aiSystems: 'The AI system inventory that `per: aiSystem` rules judge one system at a time (docs/mappings.md).',
  sources: 'Where evidence comes from: one entry per source; each type is explained in its connector README.',
  schedules: 'Temporal Schedules that start sweeps (README, "For platform teams").',
};

/** Example values for required keys that have no default, where a bare placeholder would not load. */
const exampleValues: Record<string, unknown> = {
  'sources[].id': 'policies',
  'sources[].path': './documents',
};

/** Where the next lines go: the YAML indentation, and the column of `#` inside a commented-out block. */
interface At {
  indent: string;
  /** Set inside a commented-out block: every line starts with `#` at this column. */
  hash?: string | undefined;
  /** The next key line starts a list item (`- `). */
  item?: { pending: boolean } | undefined;
}

class Lines {
  readonly lines: string[] = [];
  comment(at: At, text: string): void {
    // Above a list item's first key, the comment stands at the column of its `-`.
    this.push(at.item?.pending ? { ...at, indent: at.indent.slice(2) } : at, `# ${text}`, false);
  }
  key(at: At, text: string): void {
    this.push(at, text, true);
  }
  private push(at: At, text: string, isKey: boolean): void {
    let indent = at.indent;
    if (isKey && at.item?.pending) {
      indent = `${indent.slice(2)}- `;
      at.item.pending = false;
    }
    if (at.hash === undefined) this.lines.push(indent + text);
    else this.lines.push(`${at.hash}# ${indent.slice(at.hash.length)}${text}`);
  }
}

export function renderExampleConfig(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Schema;
  const out = new Lines();
  out.lines.push(
    '# evidence-hub.yaml: every setting, generated from the config schema (npm run config:example).',
    '# Active lines are the defaults, or the smallest valid value; commented lines are optional settings and',
    '# alternatives. Relative paths resolve against the folder of this file. Secrets are never written here:',
    '# give { env: NAME } or { file: PATH } wherever a secret is expected. Reference: docs/configuration.md.',
    '# yaml-language-server: $schema=../docs/schemas/config.schema.json',
    '',
  );
  for (const [key, prop] of Object.entries(root.properties ?? {})) {
    const note = sectionNotes[key];
    if (note) out.lines.push(`# ${note}`);
    renderProperty(out, key, prop, (root.required ?? []).includes(key), { indent: '' }, key);
    out.lines.push('');
  }
  return out.lines.join('\n').replace(/\n+$/, '\n');
}

/** `at` with everything from here on commented out (unless it already is). */
function off(at: At): At {
  return { ...at, hash: at.hash ?? at.indent };
}

function deeper(at: At): At {
  return { indent: `${at.indent}  `, hash: at.hash };
}

/** Writes a comment describing the key, then `key: value` or a nested block. */
function renderProperty(
  out: Lines,
  key: string,
  s: Schema,
  required: boolean,
  at: At,
  path: string,
  inherited?: unknown,
): void {
  // A key inside a section whose default is an object shows that default's value (store.path, signing.key).
  const dflt = s.default ?? inherited;
  const hasDefault = dflt !== undefined;
  const on = at.hash === undefined && (required || hasDefault);
  out.comment(at, describe(s, required));
  const here = on ? at : off(at);

  const variants = s.anyOf ?? s.oneOf;
  if (variants && isInlineChoice(variants)) {
    // Secret references and other one-key alternatives: one line, the others named in a comment.
    const [first, ...rest] = variants.map(inlineValue);
    if (hasDefault) out.key(here, `${key}: ${flow(dflt)}`);
    else out.key(here, `${key}: ${first}${rest.length ? `  # or ${rest.join(' or ')}` : ''}`);
    return;
  }
  if (variants?.some(isObject)) {
    // A union with object shapes (the store, pullRequests: true | { window }): the alternative the default
    // takes (else the first) is written out, the others follow commented out.
    const chosen = Math.max(
      0,
      variants.findIndex((v) =>
        isObject(v) ? typeof dflt === 'object' : dflt !== undefined && typeof dflt !== 'object',
      ),
    );
    variants.forEach((v, i) => {
      const vAt = i === chosen ? here : off(here);
      if (i > 0) out.comment(here.hash === undefined ? here : vAt, 'or:');
      if (isObject(v)) {
        out.key(vAt, `${key}:`);
        renderObject(out, v, deeper(vAt), path, i === chosen ? dflt : undefined);
      } else {
        out.key(vAt, `${key}: ${i === chosen && hasDefault ? flow(dflt) : placeholderFor(v)}`);
      }
    });
    return;
  }
  if (isObject(s)) {
    out.key(here, `${key}:`);
    renderObject(out, s, deeper(here), path, dflt);
    return;
  }
  if (s.type === 'array' && s.items && (isObject(s.items) || s.items.oneOf || s.items.anyOf)) {
    renderObjectArray(out, key, s, required, at, path);
    return;
  }
  const value = dflt !== undefined ? flow(dflt) : on ? flow(valueFor(s, path)) : placeholderFor(s);
  out.key(here, `${key}: ${value}`);
}

function renderObject(out: Lines, s: Schema, at: At, path: string, defaults?: unknown): void {
  const inherited = defaults && typeof defaults === 'object' ? (defaults as Record<string, unknown>) : {};
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    renderProperty(out, k, p, (s.required ?? []).includes(k), at, `${path}.${k}`, inherited[k]);
  }
}

/** Lists of objects (sources, schedules, routes): one item per shape; only a required list has one active. */
function renderObjectArray(out: Lines, key: string, s: Schema, required: boolean, at: At, path: string): void {
  const shapes = s.items!.oneOf ?? s.items!.anyOf ?? [s.items!];
  const itemsOn = at.hash === undefined && required && (s.minItems ?? 0) > 0;
  // An optional list with a default (schedules: []): the default active, an example item commented out.
  if (at.hash === undefined && !itemsOn && s.default !== undefined) out.key(at, `${key}: ${flow(s.default)}`);
  const listAt = itemsOn ? at : off(at);
  out.key(listAt, `${key}:`);
  shapes.forEach((shape, i) => {
    const itemAt: At = { ...deeper(deeper(i === 0 ? listAt : off(listAt))), item: { pending: true } };
    // A commented-out source is named after its type (`- id: github`), the active one by exampleValues.
    const type = shape.properties?.['type']?.const;
    const named = itemsOn && i === 0 ? undefined : typeof type === 'string' ? { id: type } : undefined;
    renderObject(out, shape, itemAt, `${path}[]`, named);
  });
}

function describe(s: Schema, required: boolean): string {
  const parts: string[] = [typeOf(s)];
  if (s.const !== undefined) parts.push(`always ${flow(s.const)}`);
  if (s.enum) parts.push(`one of ${s.enum.map((e) => flow(e)).join(', ')}`);
  if (s.format) parts.push(s.format);
  if (s.pattern) parts.push(`matching ${s.pattern}`);
  const range = [
    s.minimum !== undefined ? `>= ${s.minimum}` : undefined,
    s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : undefined,
    s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? `<= ${s.maximum}` : undefined,
  ].filter(Boolean);
  if (range.length) parts.push(range.join(' and '));
  if (s.minItems) parts.push(`at least ${s.minItems}`);
  parts.push(required ? 'required' : s.default !== undefined ? `default ${flow(s.default)}` : 'optional');
  return parts.join(', ');
}

function typeOf(s: Schema): string {
  const variants = s.anyOf ?? s.oneOf;
  if (variants) {
    if (isInlineChoice(variants)) return variants.map(inlineValue).join(' | ');
    // Object shapes by their keys: `{ path } | { s3 }` says more than `object | object`.
    return variants.map((v) => (isObject(v) ? `{ ${Object.keys(v.properties!).join(', ')} }` : typeOf(v))).join(' | ');
  }
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (Array.isArray(s.type)) return s.type.join(' | ');
  return s.type ?? 'value';
}

function isObject(s: Schema): boolean {
  return s.type === 'object' && s.properties !== undefined;
}

/** Alternatives that are each an object with a single scalar key: { env: NAME } | { file: PATH }. */
function isInlineChoice(variants: Schema[]): boolean {
  return variants.every((v) => {
    const props = Object.entries(v.properties ?? {});
    return isObject(v) && props.length === 1 && !isObject(props[0]![1]) && props[0]![1].type !== 'array';
  });
}

function inlineValue(v: Schema): string {
  const [k, p] = Object.entries(v.properties ?? {})[0]!;
  return `{ ${k}: ${placeholderFor(p)} }`;
}

function valueFor(s: Schema, path: string): unknown {
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (path in exampleValues) return exampleValues[path];
  return placeholderFor(s);
}

function placeholderFor(s: Schema): string {
  if (s.default !== undefined) return flow(s.default);
  if (s.const !== undefined) return flow(s.const);
  if (s.enum) return flow(s.enum[0]);
  if (s.type === 'array') return `[${s.items ? placeholderFor(s.items) : '<value>'}]`;
  return `<${typeOf(s)}>`;
}

/** A value on one line, in YAML flow style. */
function flow(v: unknown): string {
  return stringify(v, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}
