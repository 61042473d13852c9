// ESLint (flat config): the recommended JavaScript and typescript-eslint rules over the frontend sources.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    // A `let` read by a closure declared before its one assignment (track.ts's subscription) stays a `let`.
    rules: { 'prefer-const': ['error', { ignoreReadBeforeAssign: true }] },
  },
);
