import picomatch from 'picomatch';
import type { Mismatch, PredicateMismatch } from './causes';
import type { Predicate, Selector, Where } from './schema';

/** What selection needs to know about an artifact: no content, only its metadata. */
export interface SelectableArtifact {
  source: string;
  sourceType: string;
  kind: string;
  attributes: Readonly<Record<string, unknown>>;
}

export type ArtifactTest = (a: SelectableArtifact) => boolean;
type AttrTest = (attrs: Readonly<Record<string, unknown>>) => boolean;
type ValueTest = (v: unknown) => boolean;

/** Tests many rules' selectors against one artifact: sets `hits[i]` for each active rule i that matches. */
export type GroupTest = (a: SelectableArtifact, active: Uint8Array, hits: Uint8Array) => number;

/**
 * State shared by all the rules of one mapping set: the literal pre-filter per attribute path, and the
 * compiled group tests. Every glob that needs a literal (`**\/*raci*` needs "raci") registers it, so one
 * scan of a path for all literals replaces one substring search per rule.
 */
export class MatcherContext {
  private readonly filters = new Map<string, LiteralFilter>();
  private readonly groups = new Map<string, GroupTest>();

  literalFilter(attributePath: string): LiteralFilter {
    let f = this.filters.get(attributePath);
    if (!f) this.filters.set(attributePath, (f = new LiteralFilter()));
    return f;
  }

  /** The group test for these rules, compiled on first use (`key` names the group, e.g. its rule ids). */
  group(key: string, members: readonly (readonly Selector[])[]): GroupTest {
    let test = this.groups.get(key);
    if (!test) this.groups.set(key, (test = compileSelectorGroup(members, this)));
    return test;
  }
}

/**
 * Whether a string contains any of a set of literals. Evaluation tests every rule of a group against one
 * artifact before moving on, so the same path string arrives once per rule: the answer for the last
 * string is kept, and a path that contains none of the literals costs one regular-expression scan.
 */
export class LiteralFilter {
  private readonly literals: string[] = [];
  private anyOf: RegExp | undefined;
  private last: string | undefined;
  private lastHasAny = false;

  add(literal: string): void {
    if (this.literals.includes(literal)) return;
    this.literals.push(literal);
    this.anyOf = undefined;
    this.last = undefined;
  }

  hasAny(v: string): boolean {
    if (v !== this.last) {
      this.anyOf ??= new RegExp(this.literals.map(escapeRegExp).join('|'));
      this.lastHasAny = this.anyOf.test(v);
      this.last = v;
    }
    return this.lastHasAny;
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

export function compileSelector(sel: Selector, ctx = new MatcherContext()): ArtifactTest {
  return compileSelectors([sel], ctx);
}

/**
 * Compiles selectors into one JavaScript function. Evaluation runs a rule's test once per artifact
 * (tens of millions of calls over a large index); a tree of small closures spent most of that time
 * calling between them, where one generated function is optimised as a whole.
 *
 * Only structure is generated. Every value from a mapping file enters the code as a JSON string
 * literal or as an element of the constants array, so no mapping can inject code.
 */
export function compileSelectors(sels: readonly Selector[], ctx = new MatcherContext()): ArtifactTest {
  const g = new Generator(ctx);
  const expr = g.anySelector(sels);
  return g.build('a', `const at = a.attributes; ${g.prelude()} return ${expr};`) as ArtifactTest;
}

/**
 * Several rules' selectors in one function: attribute lookups are shared, and rules no longer active
 * (already decided) are skipped. Returns the number of hits.
 */
export function compileSelectorGroup(members: readonly (readonly Selector[])[], ctx = new MatcherContext()): GroupTest {
  const g = new Generator(ctx);
  const tests = members.map((sels, i) => `if (active[${i}] === 1 && ${g.anySelector(sels)}) { hits[${i}] = 1; n++; }`);
  return g.build(
    'a, active, hits',
    `const at = a.attributes; ${g.prelude()} let n = 0;\n${tests.join('\n')}\nreturn n;`,
  ) as GroupTest;
}

export function compileWhere(where: Where, ctx = new MatcherContext()): AttrTest {
  const g = new Generator(ctx);
  const expr = g.where(where);
  return g.build('at', `${g.prelude()} return ${expr};`) as AttrTest;
}

/** Arrays match when any element matches, so `labels: ai-risk` works on a label list. */
export function compilePredicate(pred: Predicate, ctx = new MatcherContext()): ValueTest {
  const g = new Generator(ctx);
  return g.build('v', `return ${g.predicate(pred, '', 'v')};`) as ValueTest;
}

/**
 * Why `attributes` fail `where`, test by test, with the actual values: empty when they match. The
 * interpretive twin of the compiled test, for the slow path only (a rule nothing matched): each test's
 * truth still comes from `compilePredicate`, so the two can never disagree on what matches.
 */
export function explainMismatch(where: Where, attributes: Readonly<Record<string, unknown>>): Mismatch[] {
  if ('all' in where && Array.isArray(where.all))
    return (where.all as Where[]).flatMap((w) => explainMismatch(w, attributes));
  if ('any' in where && Array.isArray(where.any)) {
    const alternatives = (where.any as Where[]).map((w) => explainMismatch(w, attributes));
    return alternatives.some((a) => a.length === 0) ? [] : [{ op: 'none-of', alternatives }];
  }
  if ('not' in where && typeof where.not === 'object' && where.not !== null && !Array.isArray(where.not)) {
    const inner = where.not as Where;
    return explainMismatch(inner, attributes).length === 0 ? [{ op: 'excluded', where: JSON.stringify(inner) }] : [];
  }
  const out: Mismatch[] = [];
  for (const [path, pred] of Object.entries(where as Record<string, Predicate>)) {
    const value = attributeAt(attributes, path);
    const tests: [PredicateMismatch['op'], PredicateMismatch['expected']][] =
      typeof pred === 'object'
        ? (Object.entries(pred) as [PredicateMismatch['op'], PredicateMismatch['expected']][])
        : [['eq', pred]];
    for (const [op, expected] of tests) {
      if (testOf(where, path, op, expected)(value)) continue;
      out.push({ path, op, expected, ...(value !== undefined && value !== null ? { actual: valueText(value) } : {}) });
    }
  }
  return out;
}

/** Compiled single-op tests per `where` leaf object: an audit pack explains the same rule at many dates. */
const explainTests = new WeakMap<object, Map<string, ValueTest>>();

function testOf(leaf: object, path: string, op: string, expected: unknown): ValueTest {
  let tests = explainTests.get(leaf);
  if (!tests) explainTests.set(leaf, (tests = new Map()));
  const key = `${path}\u0000${op}`;
  let test = tests.get(key);
  if (!test) tests.set(key, (test = compilePredicate({ [op]: expected } as Predicate)));
  return test;
}

/** The value at a dotted path, read as the compiled lookups read it (objects only, never into arrays). */
function attributeAt(attributes: Readonly<Record<string, unknown>>, path: string): unknown {
  let v: unknown = attributes;
  for (const k of path.split('.'))
    v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** JSON text, cut at 80 characters: causes travel in index.json and long lists would swamp the reason. */
function valueText(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

class Generator {
  private readonly constants: unknown[] = [];
  private readonly functions: string[] = [];
  /** Attribute path → the variable holding its value, computed once at the top of the function. */
  private readonly lookups = new Map<string, string>();
  /** Attribute path → the variable saying whether its string value contains any pre-filter literal. */
  private readonly literalHits = new Map<string, string>();
  /** Source type, id and kind → the variable saying whether the artifact is in that scope. */
  private readonly scopes = new Map<string, { name: string; test: string }>();

  constructor(private readonly ctx: MatcherContext) {}

  build(params: string, body: string): (...x: never[]) => boolean | number {
    const source = `"use strict";\n${this.functions.join('\n')}\nreturn function match(${params}) { ${body} };`;
    return new Function('K', source)(this.constants) as (...x: never[]) => boolean | number;
  }

  /**
   * Declarations of what several tests share: scope checks, looked-up attribute values and literal
   * pre-filter answers. All are plain reads, safe to compute up front.
   */
  prelude(): string {
    const lines = [...this.scopes.values()].map(({ name, test }) => `const ${name} = ${test};`);
    for (const [path, name] of this.lookups) {
      const steps = path
        .split('.')
        .map((k) => `v = v !== null && typeof v === "object" && !Array.isArray(v) ? v[${str(k)}] : undefined;`);
      lines.push(`let ${name}; { let v = at; ${steps.join(' ')} ${name} = v; }`);
    }
    for (const [path, name] of this.literalHits) {
      const v = this.lookups.get(path);
      lines.push(
        `const ${name} = typeof ${v} === "string" && ${this.constant(this.ctx.literalFilter(path))}.hasAny(${v});`,
      );
    }
    return lines.join('\n');
  }

  anySelector(sels: readonly Selector[]): string {
    return sels.length === 0 ? 'false' : `(${sels.map((s) => this.selector(s)).join(' || ')})`;
  }

  private selector(s: Selector): string {
    const parts = [`a.sourceType === ${str(s.source)}`];
    if (s.sourceId !== undefined) parts.push(`a.source === ${str(s.sourceId)}`);
    if (s.kind !== undefined) parts.push(`a.kind === ${str(s.kind)}`);
    const test = parts.join(' && ');
    let scope = this.scopes.get(test);
    if (!scope) this.scopes.set(test, (scope = { name: `s${this.scopes.size}`, test }));
    return s.where ? `(${scope.name} && ${this.where(s.where)})` : scope.name;
  }

  /** An expression over the attributes (through the looked-up values). */
  where(w: Where): string {
    if ('all' in w && Array.isArray(w.all)) return `(${(w.all as Where[]).map((x) => this.where(x)).join(' && ')})`;
    if ('any' in w && Array.isArray(w.any)) return `(${(w.any as Where[]).map((x) => this.where(x)).join(' || ')})`;
    if ('not' in w && typeof w.not === 'object' && w.not !== null && !Array.isArray(w.not))
      return `!${this.where(w.not as Where)}`;
    const leaves = Object.entries(w as Record<string, Predicate>).map(([path, pred]) => {
      let name = this.lookups.get(path);
      if (!name) this.lookups.set(path, (name = `p${this.lookups.size}`));
      return this.predicate(pred, path, name);
    });
    return leaves.length === 0 ? 'true' : `(${leaves.join(' && ')})`;
  }

  /** An expression over the variable `v` holding the attribute's value (element tests see each array element). */
  predicate(pred: Predicate, path: string, v: string): string {
    if (typeof pred !== 'object') return this.anyElement(v, (x) => `${x} === ${this.literal(pred)}`);
    const tests: string[] = [];
    if (pred.exists !== undefined) tests.push(`((${v} !== undefined && ${v} !== null) === ${pred.exists})`);
    if (pred.eq !== undefined) tests.push(this.anyElement(v, (x) => `${x} === ${this.literal(pred.eq!)}`));
    if (pred.ne !== undefined) tests.push(`!${this.anyElement(v, (x) => `${x} === ${this.literal(pred.ne!)}`)}`);
    if (pred.in !== undefined) {
      const set = this.constant(new Set<unknown>(pred.in));
      tests.push(this.anyElement(v, (x) => `${set}.has(${x})`));
    }
    if (pred.glob !== undefined) {
      // A bare RegExp: picomatch's matcher function allocates a result object per call.
      const re = this.constant(picomatch.makeRe(pred.glob, { dot: true }));
      const literal = requiredLiteral(pred.glob);
      if (literal === undefined) tests.push(this.anyElement(v, (x) => `typeof ${x} === "string" && ${re}.test(${x})`));
      else {
        const filter = this.ctx.literalFilter(path);
        filter.add(literal);
        const f = this.elementFunction(
          (x) =>
            `typeof ${x} === "string" && ${this.constant(filter)}.hasAny(${x}) && ${x}.includes(${str(literal)}) && ${re}.test(${x})`,
        );
        // A plain string value (the usual case) reuses the pre-filter answer computed once per artifact.
        const hoisted = this.lookups.get(path) === v;
        let hit = hoisted ? this.literalHits.get(path) : undefined;
        if (hoisted && !hit) this.literalHits.set(path, (hit = `h${this.literalHits.size}`));
        tests.push(
          hit
            ? `(typeof ${v} === "string" ? ${hit} && ${v}.includes(${str(literal)}) && ${re}.test(${v}) : Array.isArray(${v}) && ${v}.some(${f}))`
            : `(Array.isArray(${v}) ? ${v}.some(${f}) : ${f}(${v}))`,
        );
      }
    }
    if (pred.regex !== undefined) {
      const re = this.constant(new RegExp(pred.regex, 'u'));
      tests.push(this.anyElement(v, (x) => `typeof ${x} === "string" && ${re}.test(${x})`));
    }
    for (const [op, sym] of [
      ['gt', '>'],
      ['gte', '>='],
      ['lt', '<'],
      ['lte', '<='],
    ] as const) {
      const bound = pred[op];
      if (bound === undefined) continue;
      // Numbers compare as numbers; strings that parse as dates compare as instants; nothing coerces.
      if (typeof bound === 'number')
        tests.push(this.anyElement(v, (x) => `typeof ${x} === "number" && ${x} ${sym} ${this.literal(bound)}`));
      else {
        const instant = Date.parse(bound);
        tests.push(
          Number.isNaN(instant)
            ? 'false'
            : this.anyElement(v, (x) => `typeof ${x} === "string" && Date.parse(${x}) ${sym} ${instant}`),
        );
      }
    }
    return tests.length === 0 ? 'true' : `(${tests.join(' && ')})`;
  }

  /** The test on the value itself, or on each element when the value is an array. */
  private anyElement(v: string, test: (x: string) => string): string {
    return `(Array.isArray(${v}) ? ${v}.some(${this.elementFunction(test)}) : ${test(v)})`;
  }

  private elementFunction(test: (x: string) => string): string {
    const name = `f${this.functions.length}`;
    this.functions.push(`function ${name}(x) { return ${test('x')}; }`);
    return name;
  }

  private constant(value: unknown): string {
    return `K[${this.constants.push(value) - 1}]`;
  }

  private literal(value: string | number | boolean): string {
    if (typeof value === 'string') return str(value);
    if (typeof value === 'boolean') return String(value);
    return Number.isFinite(value) ? `(${String(value)})` : this.constant(value);
  }
}

/** JSON string syntax is JavaScript string syntax: quotes, backslashes and control characters escaped. */
const str = (s: string) => JSON.stringify(s);

/**
 * The longest run of plain characters every match must contain, or undefined when the glob has
 * alternatives (braces, extglobs, classes) that make no run certain. A substring test rejects most
 * non-matching paths far faster than the glob's backtracking regular expression.
 */
export function requiredLiteral(glob: string): string | undefined {
  if (/[{}()[\]!|+@\\]/.test(glob)) return undefined;
  // A slash next to a wildcard is not certain: `**/` also matches nothing ("monitoring/x" matches "**/monitoring/**").
  const runs = glob
    .split(/[*?]+/)
    .map((r) => r.replace(/^\/+|\/+$/g, ''))
    .filter((r) => r.length >= 3);
  return runs.sort((a, b) => b.length - a.length)[0];
}
