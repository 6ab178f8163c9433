import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers, importsOf, layerOrder, layerRules, readTree } from './layers';

const root = path.resolve(__dirname, '../..');
let real: Map<string, string> | undefined;
const realTree = (): Map<string, string> => (real ??= readTree(root));
const tree = (files: Record<string, string>): Map<string, string> => new Map(Object.entries(files));

describe('layers', () => {
  it('every import in the project points down the layer order, and no folder has a cycle inside', () => {
    const problems = checkLayers(realTree());
    const rule = `layer order ${layerOrder.join(' ← ')}, and no cycle inside a folder`;
    expect(problems, `${problems.length} problem(s) with the ${rule}:\n${problems.join('\n')}\n`).toEqual([]);
  });

  it('reports an import that points up, with file:line and target', () => {
    const problems = checkLayers(
      tree({
        'core/clock.ts': "export const now = 1;\n\nimport { loadMappings } from '../mappings/load';\n",
        'mappings/load.ts': 'export const loadMappings = 1;\n',
      }),
    );
    expect(problems).toEqual([
      'core/clock.ts:3 → mappings/load.ts: core/ may import only nothing of ours (it sits below mappings/)',
    ]);
  });

  it('sees every way of naming a module: import type, export from, import(), require(), import types', () => {
    const text = [
      "import type { A } from '../cli/a';",
      "export { B } from '../cli/b';",
      "export * from '../cli/c';",
      "const d = await import('../cli/d');",
      "const e = require('../cli/e');",
      "type F = typeof import('../cli/f');",
      "import g = require('../cli/g');",
      "import 'node:fs';",
    ].join('\n');
    expect(importsOf('worker/x.ts', text).map((s) => `${s.line} ${s.specifier}`)).toEqual([
      '1 ../cli/a',
      '2 ../cli/b',
      '3 ../cli/c',
      '4 ../cli/d',
      '5 ../cli/e',
      '6 ../cli/f',
      '7 ../cli/g',
      '8 node:fs',
    ]);
    expect(checkLayers(tree({ 'worker/x.ts': text }))).toHaveLength(7);
  });

  it('allows imports of the folder itself and of folders below, and resolves index files', () => {
    const problems = checkLayers(
      tree({
        'core/json.ts': '',
        'evidence/store.ts': "import type { J } from '../core/json';\nimport { x } from './export';",
        'evidence/export/index.ts': "import { j } from '../../core/json.js';",
        'activities/index.ts': "import { s } from '../evidence/store';\nimport { z } from 'zod';",
      }),
    );
    expect(problems).toEqual([]);
  });

  it('reports a cycle between files of one folder, as the path around it', () => {
    const problems = checkLayers(
      tree({
        'mappings/evaluate.ts': "import type { Rule } from './load';\nimport { ArtifactBuckets } from './buckets';",
        'mappings/load.ts': "import type { Scope } from './buckets';",
        'mappings/buckets.ts': "import type { IndexedArtifact } from './evaluate';",
        'mappings/select.ts': "import type { Rule } from './load';",
      }),
    );
    expect(problems).toEqual([
      'cycle inside mappings/: mappings/buckets.ts → mappings/evaluate.ts → mappings/buckets.ts' +
        ' (all entangled: mappings/buckets.ts, mappings/evaluate.ts, mappings/load.ts)',
    ]);
  });

  it('fails on the real tree when one rule is taken away', () => {
    const files = realTree();
    const strict = { ...layerRules, connectors: [] };
    expect(checkLayers(files, strict).some((p) => p.startsWith('connectors/'))).toBe(true);

    const { activities: _, ...withoutActivities } = layerRules;
    const problems = checkLayers(files, withoutActivities);
    expect(problems.some((p) => p.includes('activities/ has no layer rule'))).toBe(true);
  });

  it('reports a file in a folder that has no place in the order', () => {
    expect(checkLayers(tree({ 'plugins/x.ts': "import { y } from '../core/json';", 'core/json.ts': '' }))).toEqual([
      'plugins/x.ts:1 → core/json.ts: plugins/ has no layer rule, so it may import nothing of ours',
    ]);
  });
});
