// ESLint flat config: typescript-eslint's type-aware recommended rules, with
// formatting left to prettier (eslint-config-prettier turns the clashing rules off).
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'data/**',
      'sessions/**',
      'test-artifacts/**',
      'node_modules/**',
      '.ci/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Underscore-prefixed names are deliberately unused (destructuring a field away).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: [
      '**/*.spec.ts',
      '**/*.e2e-spec.ts',
      'test/**/*.ts',
      'bench/**/*.ts',
    ],
    rules: {
      // expect(mock.method).toHaveBeenCalled() is the jest idiom: the method is never called unbound.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.mjs'],
    // The .mjs files are Node scripts; these are the Node globals they use (the `globals` package is not installed).
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        TextEncoder: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
  },
  prettier,
);
