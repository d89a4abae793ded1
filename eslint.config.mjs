import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Whether a folder is a package: a package.json with a name (not just `"type": "module"`). */
const isPackage = (dir) => {
  const file = join(dir, 'package.json');
  return existsSync(file) && typeof JSON.parse(readFileSync(file, 'utf8')).name === 'string';
};

/** The folder of the package a file belongs to. */
function packageRoot(path) {
  for (let dir = dirname(path); ; dir = dirname(dir)) if (isPackage(dir) || dir === dirname(dir)) return dir;
}

// A relative import that leaves its package reaches past the other package's index (and its
// `exports`): packages are imported by name, never by path.
const packageBoundaries = {
  rules: {
    'no-relative-import-across-packages': {
      meta: {
        type: 'problem',
        messages: { crosses: '{{source}} is in another package ({{package}}): import it by name' },
      },
      create(context) {
        const here = packageRoot(context.filename);
        const check = (node) => {
          const source = node?.value;
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const there = packageRoot(resolve(dirname(context.filename), source));
          if (there !== here)
            context.report({ node, messageId: 'crosses', data: { source, package: there } });
        };
        return {
          ImportDeclaration: (node) => check(node.source),
          ExportNamedDeclaration: (node) => check(node.source),
          ExportAllDeclaration: (node) => check(node.source),
          ImportExpression: (node) => check(node.source),
        };
      },
    },
  },
};

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
    plugins: { packages: packageBoundaries },
    rules: {
      'packages/no-relative-import-across-packages': 'error',
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
