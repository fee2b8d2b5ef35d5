/**
 * The whole code base — library, CLI, tests, scripts, benchmarks — type-checks under strict
 * TypeScript. The library build only checks src/; this keeps the tests honest too (a test calling
 * an API with the wrong arguments would otherwise still run under tsx).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');

it('tsc -p tsconfig.test.json reports no error', () => {
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(root, 'tsconfig.test.json'),
    ],
    { cwd: root, encoding: 'utf8', timeout: 180_000 },
  );
  assert.equal(r.status, 0, r.stdout.split('\n').slice(0, 20).join('\n'));
});
