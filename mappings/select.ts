import picomatch from 'picomatch';
import type { Predicate, Selector, Where } from './schema';

/** What selection needs to know about an artifact: no content, only its metadata. */
export interface SelectableArtifact {
  source: string;
  sourceType: string;
  kind: string;
  attributes: Readonly<Record<string, unknown>>;
}

export type ArtifactTest = (a: SelectableArtifact) => boolean;

/** Compiles a selector once; regexes and globs are built here, not per artifact. */
export function compileSelector(sel: Selector): ArtifactTest {
  const where = sel.where ? compileWhere(sel.where) : () => true;
  return (a) =>
    a.sourceType === sel.source &&
    (sel.sourceId === undefined || a.source === sel.sourceId) &&
    (sel.kind === undefined || a.kind === sel.kind) &&
    where(a.attributes);
}

export function compileSelectors(sels: Selector[]): ArtifactTest {
  const tests = sels.map(compileSelector);
  return tests.length === 1 ? tests[0]! : (a) => someTrue(tests, a);
}

// Evaluation runs these once per rule per artifact (tens of millions of calls): plain loops, because
// `tests.every((t) => t(x))` allocates a closure on every call and the garbage collector dominated.
function allTrue<T>(tests: readonly ((x: T) => boolean)[], x: T): boolean {
  for (let i = 0; i < tests.length; i++) if (!tests[i]!(x)) return false;
  return true;
}

function someTrue<T>(tests: readonly ((x: T) => boolean)[], x: T): boolean {
  for (let i = 0; i < tests.length; i++) if (tests[i]!(x)) return true;
  return false;
}

type AttrTest = (attrs: Readonly<Record<string, unknown>>) => boolean;

export function compileWhere(where: Where): AttrTest {
  if ('all' in where && Array.isArray(where.all)) {
    const parts = (where.all as Where[]).map(compileWhere);
    return (attrs) => allTrue(parts, attrs);
  }
  if ('any' in where && Array.isArray(where.any)) {
    const parts = (where.any as Where[]).map(compileWhere);
    return (attrs) => someTrue(parts, attrs);
  }
  if ('not' in where && typeof where.not === 'object' && where.not !== null && !Array.isArray(where.not)) {
    const inner = compileWhere(where.not as Where);
    return (attrs) => !inner(attrs);
  }
  const tests = Object.entries(where as Record<string, Predicate>).map(([path, pred]) => {
    const keys = path.split('.');
    const test = compilePredicate(pred);
    return (attrs: Readonly<Record<string, unknown>>) => test(lookup(attrs, keys));
  });
  return tests.length === 1 ? tests[0]! : (attrs) => allTrue(tests, attrs);
}

function lookup(attrs: Readonly<Record<string, unknown>>, keys: string[]): unknown {
  let cur: unknown = attrs;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

type ValueTest = (v: unknown) => boolean;

/** Arrays match when any element matches, so `labels: ai-risk` works on a label list. */
export function compilePredicate(pred: Predicate): ValueTest {
  if (typeof pred !== 'object') return anyElement((v) => v === pred);
  const tests: ValueTest[] = [];
  if (pred.exists !== undefined) {
    const want = pred.exists;
    tests.push((v) => (v !== undefined && v !== null) === want);
  }
  if (pred.eq !== undefined) tests.push(anyElement((v) => v === pred.eq));
  if (pred.ne !== undefined) tests.push((v) => !anyElement((x) => x === pred.ne)(v));
  if (pred.in !== undefined) {
    const set = new Set<unknown>(pred.in);
    tests.push(anyElement((v) => set.has(v)));
  }
  if (pred.glob !== undefined) {
    // A bare RegExp: picomatch's matcher function allocates a result object per call, which made
    // evaluation over a million artifacts spend most of its time in the garbage collector.
    const re = picomatch.makeRe(pred.glob, { dot: true });
    const literal = requiredLiteral(pred.glob);
    tests.push(anyElement(literal ? (v) => typeof v === 'string' && v.includes(literal) && re.test(v) : (v) => typeof v === 'string' && re.test(v)));
  }
  if (pred.regex !== undefined) {
    const re = new RegExp(pred.regex, 'u');
    tests.push(anyElement((v) => typeof v === 'string' && re.test(v)));
  }
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const bound = pred[op];
    if (bound === undefined) continue;
    tests.push(anyElement((v) => compare(v, bound, op)));
  }
  return tests.length === 1 ? tests[0]! : (v) => allTrue(tests, v);
}

function anyElement(test: (v: unknown) => boolean): ValueTest {
  return (v) => (Array.isArray(v) ? v.some(test) : test(v));
}

/** Numbers compare as numbers; strings that parse as dates compare as instants. */
function compare(v: unknown, bound: number | string, op: 'gt' | 'gte' | 'lt' | 'lte'): boolean {
  let a: number;
  let b: number;
  if (typeof bound === 'number') {
    if (typeof v !== 'number') return false;
    a = v;
    b = bound;
  } else {
    if (typeof v !== 'string') return false;
    a = Date.parse(v);
    b = Date.parse(bound);
    if (Number.isNaN(a) || Number.isNaN(b)) return false;
  }
  switch (op) {
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
  }
}

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
