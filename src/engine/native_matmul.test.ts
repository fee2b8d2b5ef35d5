/**
 * A product with a fixed matrix on onnxruntime (engine/native_matmul.ts): the same numbers as
 * tf.matMul, a gradient that is the transpose (⟨x·W, y⟩ = ⟨x, y·Wᵀ⟩, worked by hand on a 2×3
 * matrix), no tensors left behind, and tfjs when `--gradients tfjs` asks for it.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, noLeaks, setup, values } from '../../test/helpers.js';
import { setGradientEngine } from './gradient_engine.js';
import { constMatMul } from './native_matmul.js';
import './onnxruntime.js';

before(() => setup('wasm'));

describe('constMatMul', () => {
  it('multiplies on onnxruntime, by hand on a 2×3 matrix, and its gradient is dy·Wᵀ', () => {
    const op = constMatMul(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3);
    assert.equal(op.engine(), 'onnxruntime');
    const x = tf.tensor2d([1, -1, 2, 0.5], [2, 2]);
    // [1, −1]·W = [1−4, 2−5, 3−6]; [2, 0.5]·W = [2+2, 4+2.5, 6+3]
    assert.deepEqual([...op(x).dataSync()], [-3, -3, -3, 4, 6.5, 9]);
    const dy = tf.tensor2d([1, 0, 2, 0, 1, -1], [2, 3]);
    // dy·Wᵀ: [1·1 + 2·3, 1·4 + 2·6] = [7, 16]; [2 − 3, 5 − 6] = [−1, −1]
    const g = tf.grad((t: tf.Tensor) =>
      op(t as tf.Tensor2D)
        .mul(dy)
        .sum(),
    )(x);
    assert.deepEqual([...g.dataSync()], [7, 16, -1, -1]);
    op.dispose();
  });

  it('gives tf.matMul’s numbers and gradients on a larger matrix, without leaks', async () => {
    const w = Float32Array.from(values(37 * 21, 3));
    const native = constMatMul(w, 37, 21);
    const x = tf.tensor2d(values(50 * 37, 4), [50, 37]);
    const dy = tf.tensor2d(values(50 * 21, 5), [50, 21]);
    const ref = tf.matMul(x, tf.tensor2d(w, [37, 21]));
    assertClose(native(x).dataSync(), ref.dataSync(), 1e-5, 'product');
    const g = (f: (t: tf.Tensor2D) => tf.Tensor) =>
      tf
        .grad((t: tf.Tensor) =>
          f(t as tf.Tensor2D)
            .mul(dy)
            .sum(),
        )(x)
        .dataSync();
    assertClose(
      g((t) => native(t)),
      g((t) => tf.matMul(t, tf.tensor2d(w, [37, 21]))),
      1e-5,
      'gradient',
    );
    await noLeaks(() => {
      tf.tidy(() => {
        tf.grad((t: tf.Tensor) =>
          native(t as tf.Tensor2D)
            .mul(dy)
            .sum(),
        )(x).dataSync();
      });
    });
    native.dispose();
  });

  it('stays on tfjs when the gradient engine is tfjs', () => {
    setGradientEngine('tfjs');
    try {
      const op = constMatMul(Float32Array.from([1, 2, 3, 4]), 2, 2);
      assert.equal(op.engine(), 'tfjs');
      assert.deepEqual([...op(tf.tensor2d([1, 1], [1, 2])).dataSync()], [4, 6]);
    } finally {
      setGradientEngine('auto');
    }
  });
});
