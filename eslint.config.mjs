import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];
const banned = [
  ...nodeBuiltins.flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]),
  'pg',
  'kysely',
  'pino',
  'fastify',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'uuid',
  'nanoid',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'coverage/**', 'bench/results/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Workflow code is replayed: no I/O, clock or randomness outside activities.
    files: ['workflows/**/*.ts', 'domain/**/*.ts', 'contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: banned,
              message:
                'Workflow and domain code is deterministic: no Node built-ins, I/O or non-deterministic modules (use an activity).',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'No randomness in deterministic code (the workflow sandbox seeds it, but domain/ must not use it).',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'No clock in deterministic code: take the time as an argument.',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'No clock in deterministic code: take the time as an argument.',
        },
      ],
    },
  },
  {
    // Inside workflows Date.now() is the workflow's deterministic clock (replayed from history).
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Use uuid4() from @temporalio/workflow.',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Folders depend one way (issue 16): the shared names live in contracts/, so activities never
    // import workflows or the API, and the API never imports workflows or the worker.
    files: ['activities/**/*.ts', 'db/**/*.ts', 'config/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows/**', '**/api/**', '**/web/**', '**/worker/**'],
              message: 'Import the shared definitions from contracts/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['api/**/*.ts', 'web/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows/**', '**/worker/**'],
              message: 'Import the shared definitions from contracts/ (the API starts workflows by their type name).',
            },
          ],
        },
      ],
    },
  },
  {
    // Non-test functions fit on a screen (issue 16): split a longer one into named steps.
    files: ['**/*.ts', '**/*.mts'],
    ignores: [
      'test/**',
      '**/*.test.ts',
      // A migration is one schema change, never edited once it has run.
      'db/migrations/**',
    ],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  // Formatting is Prettier's (npm run format; checked by npm run lint): no stylistic lint rules.
  prettier,
);
