/**
 * The linter (`npm run lint`; test/style.test.ts runs it in `npm test`): ESLint's and
 * typescript-eslint's recommended rules on every file, and the layout rules — Prettier's format
 * (.prettierrc.json: 100 columns) and one statement per line — on every formatted file (LAYOUT).
 */
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import prettierOff from 'eslint-config-prettier';
import prettier from 'eslint-plugin-prettier';
import tseslint from 'typescript-eslint';

// LAYOUT: the files held to the layout rules — every file once `npm run format` (scripts/format.mjs)
// has formatted the whole tree at a sync point of the open branches: that first run replaces the
// transitional list of the files already formatted (between the markers) with every file.
const LAYOUT = ['**/*.{ts,js,mjs}'];

const NODE_GLOBALS = { process: 'readonly', console: 'readonly', URL: 'readonly' };

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'docs/site/**',
      'web/**/dist/**',
      'test/.artifacts/**',
      'bench/.cache/**',
      'out/**',
      'models/**',
      'scratch/**',
      'src/model/formats/onnx/onnx_pb.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: NODE_GLOBALS } },
  {
    rules: {
      // `_name` marks a parameter or binding kept for its position; `{ a: _, ...rest }` drops a key.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Arrow functions inside a `function (this: X)` wrapper of tfjs's engine name it `self`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  {
    // Tests reach into page globals (window) and edit raw JSON, and check that control
    // characters are escaped.
    files: ['test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off' },
  },
  prettierOff,
  {
    files: LAYOUT,
    plugins: { '@stylistic': stylistic, prettier },
    rules: {
      'prettier/prettier': 'error',
      '@stylistic/max-statements-per-line': ['error', { max: 1 }],
    },
  },
);
