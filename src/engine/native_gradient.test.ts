/**
 * The native tape op with a program written in JS (y = A·x per row, its backward Aᵀ·dy): gradients
 * flow through it inside tf.grad, the fused run takes over once a tap gradient repeats, a gradient
 * other than the predicted one is still answered right, and rules reach the program. A run made
 * ahead (on another engine, here the program's own fused run) is taken for its image only, and
 * only when the gradient that arrives is the one it was made for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { noLeaks, setup } from '../../test/helpers.js';
import type { HostArray } from './forward_runner.js';
import { aheadKey, NativeTapOp, type NativeTapProgram } from './native_gradient.js';
import { setGradientFusion } from './gradient_engine.js';
import { withRules, type BackwardRules } from './rules.js';

const A = [
  [1, 2, 0],
  [0, -1, 3],
]; // 2 outputs from 3 inputs

function matProgram(log: string[]): NativeTapProgram {
  const forward = (x: HostArray): HostArray => {
    const n = x.dims[0];
    const y = new Float32Array(n * 2);
    for (let r = 0; r < n; r++)
      for (let o = 0; o < 2; o++)
        for (let i = 0; i < 3; i++) y[r * 2 + o] += A[o][i] * x.data[r * 3 + i];
    return { data: y, dims: [n, 2] };
  };
  const backward = (dy: HostArray): HostArray => {
    const n = dy.dims[0];
    const dx = new Float32Array(n * 3);
    for (let r = 0; r < n; r++)
      for (let o = 0; o < 2; o++)
        for (let i = 0; i < 3; i++) dx[r * 3 + i] += A[o][i] * dy.data[r * 2 + o];
    return { data: dx, dims: [n, 1, 1, 3] };
  };
  return {
    engine: 'js',
    forward: (x, _delta, rules: BackwardRules) => {
      log.push(`forward ${rules.relu}`);
      return {
        taps: [forward(x)],
        backward: ([dy]) => (log.push('backward'), { dx: backward(dy) }),
      };
    },
    fused: (x, _delta, [dy], rules) => {
      log.push(`fused ${rules.relu}`);
      return { taps: [forward(x)], dx: backward(dy) };
    },
  };
}

describe('native tape op', () => {
  it('differentiates through the program, fuses a repeated tap gradient and checks the guess', async () => {
    await setup('wasm');
    const log: string[] = [];
    const op = new NativeTapOp(matProgram(log));
    setGradientFusion(true);
    const x = tf.tensor4d([1, 2, 3, -1, 0, 1], [2, 1, 1, 3]);
    const linear = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]); // a linear objective: Σ y · c
    const step = (c: tf.Tensor) =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((v: tf.Tensor) => op.apply(v)[0].mul(c).sum())(x)
            .dataSync(),
        ),
      );
    // Row 0: Aᵀ·[1, 0] = [1, 2, 0]; row 1: Aᵀ·[0, 2] = [0, −2, 6].
    const want = [1, 2, 0, 0, -2, 6];
    await noLeaks(() => {
      for (let i = 0; i < 4; i++) assert.deepEqual(step(linear), want, `step ${i}`);
    });
    // Two split passes see the same gradient; from the third on, one fused run per step.
    assert.deepEqual(log, [
      'forward gradient',
      'backward',
      'forward gradient',
      'backward',
      'fused gradient',
      'fused gradient',
    ]);
    assert.deepEqual(op.stats, { fused: 2, mispredicted: 0, split: 2, ahead: 0 });
    // Another objective while a guess stands: the fused run's gradient is not used.
    log.length = 0;
    const other = tf.tensor2d([
      [0, 1],
      [1, 0],
    ]);
    assert.deepEqual(await noLeaks(() => step(other)), [0, -1, 3, 1, 2, 0]);
    assert.deepEqual(log, ['fused gradient', 'forward gradient', 'backward']);
    assert.equal(op.stats.mispredicted, 1);
    tf.dispose([x, linear, other]);
    setGradientFusion(false);
  });

  it('takes a run made ahead for its image and predicted gradient, and nothing else', async () => {
    await setup('wasm');
    const log: string[] = [];
    const program = matProgram(log);
    const op = new NativeTapOp(program);
    const x = tf.tensor4d([1, 2, 3, -1, 0, 1], [2, 1, 1, 3]);
    const x2 = tf.tensor4d([1, 2, 3, -1, 0, 2], [2, 1, 1, 3]);
    const linear = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]);
    const other = tf.tensor2d([
      [0, 1],
      [1, 0],
    ]);
    const step = (c: tf.Tensor, at = x) =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((v: tf.Tensor) => op.apply(v)[0].mul(c).sum())(at)
            .dataSync(),
        ),
      );
    const host = (t: tf.Tensor) => ({ data: t.dataSync() as Float32Array, dims: t.shape });
    /** What a driver does before a step: the prediction, run elsewhere, offered. */
    const runAhead = (image: tf.Tensor) => {
      const dys = op.prediction(image.shape);
      assert.ok(dys, 'a prediction');
      const xs = host(image);
      op.offer({
        key: aheadKey(image.shape),
        x: xs,
        dys,
        result: program.fused(xs, null, dys, { relu: 'gradient' }),
      });
    };
    const want = [1, 2, 0, 0, -2, 6];
    // No prediction until two passes brought the same tap gradient.
    assert.equal(op.prediction(x.shape), null);
    assert.deepEqual(step(linear), want);
    assert.equal(op.prediction(x.shape), null);
    assert.deepEqual(step(linear), want);
    log.length = 0;
    await noLeaks(() => {
      for (let i = 0; i < 3; i++) {
        runAhead(x);
        assert.deepEqual(step(linear), want, `step ${i}`);
      }
    });
    // The three steps ran nothing of their own: only the runs made ahead.
    assert.deepEqual(log, ['fused gradient', 'fused gradient', 'fused gradient']);
    assert.equal(op.stats.ahead, 3);
    // A pass under other rules in between (the page's views while a run goes on) leaves both the
    // run made ahead and the prediction to the pass they were made for.
    log.length = 0;
    runAhead(x);
    withRules({ relu: 'guided' }, () => step(linear));
    assert.deepEqual(step(linear), want);
    assert.deepEqual(log, ['fused gradient', 'forward guided', 'backward']);
    assert.equal(op.stats.ahead, 4);
    assert.ok(op.prediction(x.shape));
    // Made for another image: not taken (the pass runs its own forward and backward).
    log.length = 0;
    runAhead(x);
    assert.deepEqual(step(linear, x2), [1, 2, 0, 0, -2, 6]);
    assert.deepEqual(log, ['fused gradient', 'forward gradient', 'backward']);
    // Made for another tap gradient: its taps are the image's, its input gradient is not used.
    log.length = 0;
    runAhead(x);
    assert.deepEqual(step(other), [0, -1, 3, 1, 2, 0]);
    assert.deepEqual(log, ['fused gradient', 'forward gradient', 'backward']);
    assert.deepEqual(op.stats, { fused: 4, mispredicted: 1, split: 4, ahead: 4 });
    // Under other rules the prediction is not for this pass.
    withRules({ relu: 'guided' }, () => assert.equal(op.prediction(x.shape), null));
    tf.dispose([x, x2, linear, other]);
  });

  it('does not fuse with fusion off (the default)', async () => {
    await setup('wasm');
    const log: string[] = [];
    const op = new NativeTapOp(matProgram(log));
    const x = tf.tensor4d([1, 2, 3], [1, 1, 1, 3]);
    const c = tf.tensor2d([[1, 1]]);
    for (let i = 0; i < 4; i++)
      tf.tidy(() => tf.grad((v: tf.Tensor) => op.apply(v)[0].mul(c).sum())(x));
    assert.deepEqual(op.stats, { fused: 0, mispredicted: 0, split: 4, ahead: 0 });
    tf.dispose([x, c]);
  });

  it('never fuses a nonlinear objective, and runs under the rules in force', async () => {
    await setup('wasm');
    const log: string[] = [];
    const op = new NativeTapOp(matProgram(log));
    setGradientFusion(true);
    // The image changes every step (as in any optimization), so d Σ y² = 2y does too.
    const g = (k: number) =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((v: tf.Tensor) => op.apply(v)[0].square().sum())(
              tf.tensor4d([k, 2 * k, 3 * k], [1, 1, 1, 3]),
            )
            .dataSync(),
        ),
      );
    // y = k·[5, 7]; 2y = k·[10, 14]; Aᵀ·2y = k·[10, 6, 42].
    for (let k = 1; k <= 3; k++) assert.deepEqual(g(k), [10 * k, 6 * k, 42 * k]);
    assert.equal(op.stats.fused, 0);
    withRules({ relu: 'guided' }, () => g(1));
    assert.equal(log[log.length - 2], 'forward guided');
    setGradientFusion(false);
  });
});
