// ESLint for the harness: typescript-eslint's strict, type-aware rules over harness/ (src, test, bench).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist2/**', 'build/**', 'node_modules/**', 'applet/**', 'scripts/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // With noUncheckedIndexedAccess every indexed byte is `T | undefined`; the code states a bound it
      // has checked with `!` (bytes[i]!), which is the point of that compiler option, not a shortcut.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers and booleans read well in messages (`${n} bytes`); objects and undefined stay errors.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(err) => (err ? reject(e) : resolve())` is the callback-to-promise idiom of node-pcsclite and net.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Transports and test doubles implement an async interface; some answer without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // Optional chains in teardown (`transport?.close()`) and on native callback values guard what the
      // types cannot promise (a failed setup, a binding's error shape).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
