import { existsSync } from 'node:fs';
import path from 'node:path';

let root: string | undefined;

/**
 * The package root, found by walking up to package.json. Data files (catalog, default mappings, demo)
 * are shipped beside the sources, and the same lookup works from `dist/` and from the TypeScript tree.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`evidence-hub: cannot find package.json above ${__dirname}`);
    dir = up;
  }
  root = dir;
  return dir;
}

export function dataPath(...segments: string[]): string {
  return path.join(packageRoot(), ...segments);
}
