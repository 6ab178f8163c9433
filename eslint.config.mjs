import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'examples/demo/.state/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      // Type-aware linting: the promise rules below need the type checker. projectService finds the
      // tsconfig.json that includes each file, so there is one program for the whole tree.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A promise nobody awaits loses its rejection (an unhandled rejection kills the worker) and its
      // ordering; fire-and-forget must be spelled `void` with a comment that says why.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a void one is expected (event handlers, forEach) runs unawaited.
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // Workflow code is replayed, so it must be deterministic, and it runs in the SDK's sandbox (an empty
      // vm context: no require, no Node modules, no process). It may import the workflow SDK, the shared
      // payload/failure types in @temporalio/common, other workflows/ files and core/. Activities are
      // reached through proxyActivities, so workflows import them only as types
      // (`import type { Activities } from '../activities'`, as in temporalio/samples-typescript).
      // workflows/ is flat, so `./x` is always another workflow file and `../core/x` always core/.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/(workflow|common)$|\\./|\\.\\./core/|\\.\\./activities(/|$))',
              message:
                'workflows/ may import only @temporalio/workflow or /common, workflows/, core/ and activity types',
            },
            {
              regex: '^\\.\\./activities(/|$)',
              allowTypeImports: true,
              message: 'workflows/ may import activities only as types (`import type`), for proxyActivities',
            },
            {
              // These core/ modules use node:fs, node:crypto or node:path, which the sandbox does not have.
              regex: '^\\.\\./core/(?!(errors|json|duration|sweep-outcome)$)',
              allowTypeImports: true,
              message: 'this core/ module uses Node APIs that the workflow sandbox lacks; import only its types',
            },
          ],
        },
      ],
      // Not every non-deterministic-looking global is wrong here: inside the sandbox the SDK replaces Date
      // (`new Date()` and `Date.now()` return the current workflow task's time) and Math.random (seeded per
      // run), so both are allowed and monitor.ts uses `new Date()`. setTimeout is replaced by a durable
      // timer too, but sleep()/condition() say so and take part in cancellation scopes, so we require them.
      // The rest do not exist in the sandbox or throw a DeterminismViolationError (GC is not replayable).
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() or condition() from @temporalio/workflow' },
        { name: 'setInterval', message: 'not in the workflow sandbox: use sleep() in a loop' },
        { name: 'setImmediate', message: 'not in the workflow sandbox: use sleep() from @temporalio/workflow' },
        { name: 'process', message: 'not in the workflow sandbox: pass values as workflow arguments' },
        { name: 'WeakRef', message: 'throws in workflows: garbage collection is not deterministic' },
        { name: 'FinalizationRegistry', message: 'throws in workflows: garbage collection is not deterministic' },
      ],
    },
  },
  {
    files: ['bin/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
