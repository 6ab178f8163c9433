import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * Proves that eslint.config.mjs keeps workflows/ deterministic: the project's own config lints a scratch
 * workflow that never touches the disk. The scratch file is in no tsconfig, so type information is off for
 * it, and with it the two promise rules that need it (the rest of the config applies unchanged).
 */
const eslint = new ESLint({
  cwd: path.resolve(__dirname, '../..'),
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});

async function lintWorkflow(lines: string[]): Promise<string[]> {
  const [result] = await eslint.lintText(lines.join('\n') + '\n', { filePath: 'workflows/scratch.ts' });
  return result!.messages
    .filter((m) => m.ruleId !== '@typescript-eslint/no-unused-vars')
    .map((m) => `${m.line} ${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('workflow lint rules', () => {
  it('reject Node modules, value imports of activities, other layers and Node-backed core modules', async () => {
    const problems = await lintWorkflow([
      "import { readFile } from 'node:fs';",
      "import { createActivities } from '../activities';",
      "import { collectSource } from '../activities/collect';",
      "import { FsStore } from '../evidence/fs-store';",
      "import { sha256Hex } from '../core/digest';",
      "export { loadConfig } from '../config/config';",
    ]);
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(/^1 @typescript-eslint\/no-restricted-imports: 'node:fs'.*workflows\/ may import only/);
    expect(problems[1]).toMatch(/^2 .*'\.\.\/activities'.*only as types/);
    expect(problems[2]).toMatch(/^3 .*'\.\.\/activities\/collect'.*only as types/);
    expect(problems[3]).toMatch(/^4 .*'\.\.\/evidence\/fs-store'.*workflows\/ may import only/);
    expect(problems[4]).toMatch(/^5 .*'\.\.\/core\/digest'.*Node APIs/);
    expect(problems[5]).toMatch(/^6 .*'\.\.\/config\/config'.*workflows\/ may import only/);
  });

  it('reject timers and globals the sandbox lacks', async () => {
    const problems = await lintWorkflow([
      'setTimeout(() => undefined, 10);',
      'setInterval(() => undefined, 10);',
      'export const env = process.env.HOME;',
      'export const ref = new WeakRef({});',
    ]);
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      '1 no-restricted-globals',
      '2 no-restricted-globals',
      '3 no-restricted-globals',
      '4 no-restricted-globals',
    ]);
  });

  it('accept what a workflow may use', async () => {
    const problems = await lintWorkflow([
      "import { proxyActivities, sleep } from '@temporalio/workflow';",
      "import { ApplicationFailure } from '@temporalio/common';",
      "import type { Activities } from '../activities';",
      "import type { CollectResult } from '../activities/collect';",
      "import { type Checkpoint } from '../activities/collect';",
      "import { nonRetryableErrorTypes } from '../core/errors';",
      "import type { SourceOutcome } from '../core/sweep-outcome';",
      "import type { SecretRef } from '../core/secrets';",
      "import { collectOptions } from './activity-options';",
      'const acts = proxyActivities<Activities>({ startToCloseTimeout: 1000 });',
      'export const used = [acts, collectOptions, nonRetryableErrorTypes, ApplicationFailure];',
      'export async function scratchWorkflow(): Promise<number> {',
      '  await sleep(10);',
      '  // Deterministic inside the sandbox: the SDK replaces Date and Math.random there.',
      '  const at = new Date().getTime() + Date.now() + Math.random();',
      '  return at;',
      '}',
    ]);
    expect(problems).toEqual([]);
  });
});
