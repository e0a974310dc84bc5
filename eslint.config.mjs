// ESLint (flat config): the recommended rules of ESLint and typescript-eslint over src/, test/ and scripts/,
// and no function over 80 lines in src/. Formatting is prettier's job (prettier.config.mjs), not ESLint's.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'out/**',
      'media/webview.js',
      'bench-data/**',
      '.tools/**',
      '.vscode-test/**',
      'test-results/**',
      'node_modules/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // The webview bundle runs in a browser; everything else in Node (the extension host, the CLI, tests, scripts).
    files: ['**/*.{ts,mjs,cjs,js}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['src/webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    rules: {
      'prefer-const': 'error',
      '@typescript-eslint/no-require-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // Parameters and locals named with a leading underscore are unused on purpose (interface shapes).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // CommonJS scripts load their modules with require().
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Functions these drivers hand to page.evaluate() run in the browser page.
    files: [
      'test/harness/vscode-host.mjs',
      'test/ui/ui-check.mjs',
      'test/ui/vsix-check.mjs',
      'test/ui/training-check.mjs',
      'test/ui/judge-ui.mjs',
      'test/ui/served-check.mjs',
      'test/ui/lib.mjs',
    ],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Test bodies are describe() blocks, so the limit holds for the product only.
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
  {
    // Prettier cannot break long strings; this keeps them, too, within its printWidth (prettier.config.mjs).
    files: ['src/**/*.ts', 'test/**/*.ts', 'test/**/*.mjs', 'scripts/**/*.mjs', 'scripts/**/*.cjs'],
    rules: { 'max-len': ['error', { code: 140, tabWidth: 2, ignorePattern: '^#!' }] },
  },
);
