import tseslint from 'typescript-eslint';
import { importBoundaries } from './scripts/import-boundaries.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', '.vigil/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { vigil: { rules: { 'import-boundaries': importBoundaries } } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'vigil/import-boundaries': 'error',
    },
  },
);
