import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

/** A fresh temp folder removed after the test (not for servers that outlive one test: see suiteDir). */
export async function tempDir(prefix = 'eh-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

afterEach(async () => {
  while (created.length) await rm(created.pop()!, { recursive: true, force: true });
});

/** Writes files given as { relativePath: content } under `dir`. */
export async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** A temp folder for a whole test file (a server's data): the caller removes it with `rm` in afterAll. */
export async function suiteDir(prefix = 'eh-suite-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}
