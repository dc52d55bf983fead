// Lint rules that keep workflows deterministic and promises handled.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['.scratch/**', 'node_modules/**', 'coverage/**', 'scratch/**', '**/*.cjs', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests build malformed input on purpose.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['eslint.config.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Workflow code is replayed: it may not touch the outside world. Activities come in
    // as types only; the worker runs them.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code may not use Node built-ins: do it in an activity.' })),
          patterns: [
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Workflows import activities with `import type` and call them through proxyActivities.',
            },
            {
              group: ['pg', 'pg/**', '@aws-sdk/**', '@temporalio/activity', '@temporalio/client', '@temporalio/worker', '**/local-rds/**', '**/lib/**'],
              message: 'Workflow code does no I/O: put it in an activity.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'fetch', 'require', 'XMLHttpRequest', 'WebSocket', 'setImmediate'].map((name) => ({
          name,
          message: `Workflow code may not use ${name}: do it in an activity.`,
        })),
      ],
    },
  },
);
