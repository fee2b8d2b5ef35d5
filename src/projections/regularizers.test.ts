/** Yosinski's regularizers do what the paper says, on images where the answer is known. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { blur, blurEvery, clipSmallContribution, clipSmallNorm, decay } from './regularizers.js';
import { setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));
const ctx = { step: 0, grad: null };

describe('Yosinski regularizers', () => {
  it('decay shrinks towards the centre', () => {
    const y = decay(0.25, 1)(tf.fill([1, 2, 2, 1], 3) as tf.Tensor4D, ctx).dataSync();
    assert.ok(y.every((v) => Math.abs(v - 2.5) < 1e-6));
  });

  it('blur keeps a constant image and the mean, and smooths an impulse', () => {
    const c = blur(tf.fill([1, 9, 9, 2], 0.7) as tf.Tensor4D, 1).dataSync();
    assert.ok(c.every((v) => Math.abs(v - 0.7) < 1e-5));
    const imp = tf.buffer([1, 9, 9, 1]);
    imp.set(1, 0, 4, 4, 0);
    const b = blur(imp.toTensor() as tf.Tensor4D, 1).dataSync() as Float32Array;
    assert.ok(Math.abs(b.reduce((a, v) => a + v, 0) - 1) < 1e-4);
    assert.ok(b[4 * 9 + 4] < 0.2 && b[4 * 9 + 5] > 0.05);
    // Only every 4th step.
    const x = tf.tensor4d(values(81, 3), [1, 9, 9, 1]);
    assert.equal(blurEvery(1, 4)(x, { step: 0, grad: null }), x);
    assert.notEqual(blurEvery(1, 4)(x, { step: 3, grad: null }), x);
  });

  it('clips the pct% of pixels with the smallest norm / contribution to the centre', () => {
    const x = tf.tensor4d(
      Float32Array.from({ length: 10 }, (_, i) => i + 1),
      [1, 2, 5, 1],
    );
    const n = clipSmallNorm(50)(x, ctx).dataSync();
    assert.deepEqual(Array.from(n), [0, 0, 0, 0, 0, 6, 7, 8, 9, 10]);
    // Contribution |x·g|: the gradient reverses the order.
    const g = tf.tensor4d(
      Float32Array.from({ length: 10 }, (_, i) => 1 / (i + 1) ** 2),
      [1, 2, 5, 1],
    );
    const c = clipSmallContribution(50)(x, { step: 0, grad: g }).dataSync();
    assert.deepEqual(Array.from(c), [1, 2, 3, 4, 5, 0, 0, 0, 0, 0]);
  });
});
