/**
 * The gradient engine from the command line (issue 26, item 3): `inspect` names it and why,
 * `--gradients` and DEEPVIS_GRADIENTS choose it, and a wrong value is one line before any work.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { netBytes, weight } from './onnx_nets.js';

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

  it('inspect says where the rule sets (LRP, DeepLIFT) run, and why one stays on tfjs', () => {
    const native = deepvis(['inspect', model]);
    assert.match(
      native.stdout,
      /^rule sets \(LRP, DeepLIFT\): LRP on onnxruntime-node 1\.30\.0; DeepLIFT on onnxruntime-node 1\.30\.0$/m,
    );
    // A grouped convolution (LRP: the importer runs one conv per group) and a HardSwish (DeepLIFT).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deepvis-rules-'));
    try {
      const file = path.join(dir, 'grouped.onnx');
      writeFileSync(
        file,
        netBytes({
          input: [4, 6, 6],
          nodes: [
            {
              op: 'Conv',
              inputs: ['x', 'w'],
              outputs: ['c'],
              attrs: { kernel_shape: [3, 3], group: 2 },
            },
            { op: 'HardSwish', inputs: ['c'], outputs: ['h'] },
            { op: 'GlobalAveragePool', inputs: ['h'], outputs: ['y'] },
          ],
          initializers: [weight('w', [4, 2, 3, 3], 1)],
          output: 'y',
        }),
      );
      const out = deepvis(['inspect', file]);
      assert.equal(out.status, 0, out.stderr);
      assert.match(
        out.stdout,
        /^rule sets \(LRP, DeepLIFT\): LRP on tfjs \(Conv .*grouped convolution.*\); DeepLIFT on tfjs \(HardSwish .*\)$/m,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
