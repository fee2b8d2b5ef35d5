/**
 * The gradient engine from the command line (issue 26, item 3): `inspect` names it and why,
 * `--gradients` and DEEPVIS_GRADIENTS choose it, and a wrong value is one line before any work.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
const model = path.join(root, 'test/fixtures/onnx/resnet-mini.onnx');

function deepvis(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DEEPVIS_GRADIENTS: '', ...env },
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('deepvis --gradients', () => {
  it('inspect names the gradient engine: onnxruntime by default, tfjs when asked (flag or environment), each with why', () => {
    const auto = deepvis(['inspect', model]);
    assert.equal(auto.status, 0, auto.stderr);
    assert.match(auto.stdout, /^gradients: onnxruntime-node 1\.30\.0 \(.*gradient graph.*\)$/m);
    const flag = deepvis(['inspect', model, '--gradients', 'tfjs']);
    assert.match(
      flag.stdout,
      /^gradients: tfjs \(gradient engine set to tfjs \(--gradients \/ DEEPVIS_GRADIENTS\)\)$/m,
    );
    const env = deepvis(['inspect', model], { DEEPVIS_GRADIENTS: 'tfjs' });
    assert.match(env.stdout, /^gradients: tfjs \(/m);
  });

  it('refuses an unknown engine in one line, naming where it came from', () => {
    const flag = deepvis(['inspect', model, '--gradients', 'cuda']);
    assert.equal(flag.status, 1);
    assert.equal(
      flag.stderr.trim(),
      "deepvis inspect: --gradients must be one of auto, onnxruntime, tfjs; got 'cuda'",
    );
    const env = deepvis(['inspect', model], { DEEPVIS_GRADIENTS: 'fast' });
    assert.equal(env.status, 1);
    assert.equal(
      env.stderr.trim(),
      "deepvis inspect: DEEPVIS_GRADIENTS must be one of auto, onnxruntime, tfjs; got 'fast'",
    );
  });
});
