/**
 * Add, Sub and the shape-only kernels keep shapes, not tensors, for the backward pass: the hand
 * gradients still come out (broadcast sums included, and a gradient of a gradient), and the tape
 * holds no tensor for an add.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { maxAbsDiff, noLeaks, setup, deepvisOnly } from '../../test/helpers.js';
import { tapeState } from './internals.js';

const tape = () => tapeState().activeTape ?? [];

describe('shape-only saves', () => {
  it('hand gradients through broadcast add and sub, reshape, pad, slice, concat, sum, mean', async () => {
    await setup('wasm');
    await noLeaks(() =>
      tf.tidy(() => {
        const x = tf.tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ]);
        const b = tf.tensor1d([10, 20, 30]);
        // f = Σ (2x + b) − Σ (x − b)/2 ... each term's gradient by hand: ∂x = 2 − 0.5, ∂b = 2 rows · (1 + 0.5)
        const [gx, gb] = tf.grads((v: tf.Tensor, w: tf.Tensor) =>
          v.mul(2).add(w).sum().sub(v.sub(w).mul(0.5).sum()),
        )([x, b]);
        assert.ok(maxAbsDiff(gx.dataSync(), Array(6).fill(1.5)) < 1e-6);
        assert.ok(maxAbsDiff(gb.dataSync(), [3, 3, 3]) < 1e-6);
        // Reshape, pad, slice, concat, mean: Σ mean(concat(pad(x)[.., 1:3], reshape(x))) per element by hand.
        const g = tf.grad((v: tf.Tensor) => {
          const p = tf
            .pad(v, [
              [0, 0],
              [1, 1],
            ])
            .slice([0, 1], [2, 3]);
          return tf.concat([p, v.reshape([2, 3])], 1).mean();
        })(x);
        // mean over 12 values: each x element appears twice (once through pad/slice, once reshaped).
        assert.ok(maxAbsDiff(g.dataSync(), Array(6).fill(2 / 12)) < 1e-6);
      }),
    );
  });

  it('a gradient of a gradient through an add', async () => {
    await setup('wasm');
    await noLeaks(() =>
      tf.tidy(() => {
        const x = tf.tensor1d([0, 1, -2]);
        // d²/dx² Σ (x + 1)³ = 6 (x + 1)
        const d2 = tf.grad((v: tf.Tensor) =>
          tf
            .grad((w: tf.Tensor) => w.add(1).pow(3).sum())(v)
            .sum(),
        )(x);
        assert.ok(maxAbsDiff(d2.dataSync(), [6, 12, -6]) < 1e-4);
      }),
    );
  });

  it(
    'the tape keeps no tensor for an add, so its inputs are freed with the forward pass',
    deepvisOnly('Add keeps its inputs for the backward pass'),
    async () => {
      await setup('wasm');
      const x = tf.randomNormal([64, 64]);
      const bias = tf.randomNormal([64]);
      let addSaved: unknown[] = [];
      await noLeaks(() =>
        tf.tidy(() =>
          tf
            .grad((v: tf.Tensor) => {
              // Each y_i is an activation-sized tensor only the add reads; tanh saves its own output.
              let y = v;
              for (let i = 0; i < 4; i++) y = tf.tanh(y.matMul(v).add(bias));
              addSaved = tape()
                .filter((n) => n.kernelName === 'Add')
                .flatMap((n) => n.saved);
              return y.sum();
            })(x)
            .dispose(),
        ),
      );
      assert.equal(addSaved.length, 8);
      assert.ok(
        addSaved.every(
          (t) => !(t instanceof tf.Tensor) && Array.isArray((t as { shape: unknown }).shape),
        ),
        'Add saved real tensors',
      );
      x.dispose();
      bias.dispose();
    },
  );
});
