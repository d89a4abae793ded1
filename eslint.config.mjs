import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.local/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      // Leaving a field out of an object by destructuring it away is a common, clear idiom.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Express 5 handles promise-returning handlers; no need to wrap them.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // Packages are used through their public index only.
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@cqrs-shop/*/*'], message: 'import a package through its index' }] },
      ],
    },
  },
  {
    // Domain code and projection logic are pure: no I/O, no environment, no Node built-ins.
    files: ['services/*/src/domain/**/*.ts', 'packages/projections/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@cqrs-shop/*/*'], message: 'import a package through its index' },
            {
              group: ['node:*', 'mysql2*', 'kafkajs', 'mongodb', 'ioredis', '@elastic/*', 'express'],
              message: 'domain code stays free of I/O',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process'],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
