/**
 * The house style, enforced by `npm test`: `npm run lint` (eslint.config.js — ESLint's and
 * typescript-eslint's recommended rules everywhere; Prettier's format at 100 columns and one
 * statement per line on the formatted files) runs clean. The rules are first shown to catch
 * planted faults, so the test can fail.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const rulesOf = (r: ESLint.LintResult) => new Set(r.messages.map((m) => m.ruleId));

describe('style', () => {
  it('the rules catch two statements on a line, a long line and an unused variable', async () => {
    const eslint = new ESLint({ cwd: root });
    const long = `'${'x'.repeat(100)}'`;
    const planted = `const a = 1; const b = 2;\nexport const c = a + b + ${long}.length;\nconst unused = 3;\n`;
    const [formatted] = await eslint.lintText(planted, {
      filePath: path.join(root, 'docs/build/planted.ts'),
    });
    assert.deepEqual([...rulesOf(formatted)].sort(), [
      '@stylistic/max-statements-per-line',
      '@typescript-eslint/no-unused-vars',
      'prettier/prettier',
    ]);
    const [any] = await eslint.lintText(planted, { filePath: path.join(root, 'src/planted.ts') });
    assert.ok(
      rulesOf(any).has('@typescript-eslint/no-unused-vars'),
      'the recommended rules apply to every file',
    );
  });

  it('npm run lint is clean', async () => {
    const eslint = new ESLint({ cwd: root });
    const results = await eslint.lintFiles(['.']);
    const text = await (await eslint.loadFormatter('stylish')).format(results);
    assert.equal(ESLint.getErrorResults(results).length, 0, text);
    assert.ok(results.length > 300, `linted ${results.length} files`);
  });
});
