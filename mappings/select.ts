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
  return (a) => tests.some((t) => t(a));
}

type AttrTest = (attrs: Readonly<Record<string, unknown>>) => boolean;

export function compileWhere(where: Where): AttrTest {
  if ('all' in where && Array.isArray(where.all)) {
    const parts = (where.all as Where[]).map(compileWhere);
    return (attrs) => parts.every((p) => p(attrs));
  }
  if ('any' in where && Array.isArray(where.any)) {
    const parts = (where.any as Where[]).map(compileWhere);
    return (attrs) => parts.some((p) => p(attrs));
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
  return (attrs) => tests.every((t) => t(attrs));
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
    const m = picomatch(pred.glob, { dot: true });
    tests.push(anyElement((v) => typeof v === 'string' && m(v)));
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
  return (v) => tests.every((t) => t(v));
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
