import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The layer order, bottom first: a folder may import itself and the folders to its left, never one to its
 * right. docs/architecture.md explains each folder; test/architecture/layers.test.ts enforces it.
 */
export const layerOrder = [
  'core',
  'mappings',
  'evidence',
  'connectors',
  'alerts',
  'activities',
  'workflows',
  'config',
  'worker',
  'console',
  'cli',
] as const;

/**
 * The rules, one per folder: the other folders it may import. Derived from the order, but kept as data so a
 * test can take one rule away (or change it) and see the checker fail. A folder with no rule may import
 * nothing of ours, and a file in it is reported, so a new top-level folder has to be placed in the order.
 */
export type LayerRules = Readonly<Record<string, readonly string[]>>;
export const layerRules: LayerRules = Object.fromEntries(layerOrder.map((f, i) => [f, layerOrder.slice(0, i)]));

/** Folders that may import anything and are not checked: they test, measure or build the code. */
const unchecked = new Set(['test', 'bench', 'scripts', 'node_modules', 'dist', 'coverage', 'examples']);

/** One import in the source: which file, which line, what it names. */
export interface ImportSite {
  file: string;
  line: number;
  specifier: string;
}

/** Every module a file names: imports (also `import type`), `export … from`, `import()`, `require()`. */
export function importsOf(file: string, text: string): readonly ImportSite[] {
  const key = `${file}\0${text}`;
  const known = parsed.get(key);
  if (known) return known;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
  const add = (literal: ts.Node | undefined): void => {
    if (literal && ts.isStringLiteralLike(literal)) {
      const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
      sites.push({ file, line, specifier: literal.text });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    )
      add(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  parsed.set(key, sites);
  return sites;
}
/** Parsing is the slow part, and the tests check the same tree under several rule sets. */
const parsed = new Map<string, readonly ImportSite[]>();

/** The project's TypeScript files (path relative to root, with '/') and their text, outside unchecked folders. */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!dir && unchecked.has(entry.name)) continue;
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        walk(rel);
      } else if (dir && /\.m?ts$/.test(entry.name)) {
        // Files at the top (vitest.config.mts) belong to no layer.
        files.set(rel, readFileSync(path.join(root, rel), 'utf8'));
      }
    }
  };
  walk('');
  return files;
}

/** A relative specifier resolved against the file set the way node16 resolution finds a .ts file. */
function resolve(from: string, specifier: string, files: ReadonlyMap<string, string>): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const stem = base.replace(/\.(m?js|ts)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.mts`, `${stem}/index.ts`]) {
    if (files.has(candidate)) return candidate;
  }
  return base; // not a TypeScript file of ours (JSON, a missing file): its folder still counts
}

const folderOf = (file: string): string => file.split('/')[0]!;

/** Checks the import graph of `files` against `rules`; returns one line per problem, empty when all is well. */
export function checkLayers(files: ReadonlyMap<string, string>, rules: LayerRules = layerRules): string[] {
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>(); // same-folder imports, for the cycle check
  for (const [file, text] of files) {
    const folder = folderOf(file);
    if (unchecked.has(folder) || !file.includes('/')) continue;
    const allowed = rules[folder];
    for (const site of importsOf(file, text)) {
      if (!site.specifier.startsWith('.')) continue; // a package, not ours
      const target = resolve(file, site.specifier, files);
      const to = folderOf(target);
      const where = `${file}:${site.line} → ${target}`;
      if (target.startsWith('..')) problems.push(`${where}: points outside the project`);
      else if (to === folder) {
        if (!edges.has(file)) edges.set(file, new Set());
        edges.get(file)!.add(target);
      } else if (!allowed) problems.push(`${where}: ${folder}/ has no layer rule, so it may import nothing of ours`);
      else if (!allowed.includes(to)) {
        const may = allowed.length ? allowed.map((f) => `${f}/`).join(', ') : 'nothing of ours';
        problems.push(`${where}: ${folder}/ may import only ${may} (it sits below ${to}/)`);
      }
    }
  }
  for (const { cycle, component } of cyclesOf(edges)) {
    const more = component.length > cycle.length - 1 ? ` (all entangled: ${component.join(', ')})` : '';
    problems.push(`cycle inside ${folderOf(cycle[0]!)}/: ${cycle.join(' → ')}${more}`);
  }
  return problems;
}

/**
 * One cycle per strongly connected component with more than one file (or a file importing itself), as a
 * path that starts and ends at the same file (Tarjan's algorithm, then a walk inside the component), with
 * the component's files: breaking the one cycle shown may leave another among them.
 */
function cyclesOf(edges: ReadonlyMap<string, ReadonlySet<string>>): { cycle: string[]; component: string[] }[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)?.has(v)) components.push(component);
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) connect(v);
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    // Walk forward inside the component until a file repeats: that stretch is a cycle.
    const walk = [start];
    for (;;) {
      const next = [...(edges.get(walk[walk.length - 1]!) ?? [])].filter((f) => members.has(f)).sort()[0]!;
      const seen = walk.indexOf(next);
      if (seen >= 0) return { cycle: [...walk.slice(seen), next], component: [...component].sort() };
      walk.push(next);
    }
  });
}
