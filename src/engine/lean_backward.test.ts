/**
 * The lean backward pass: the same gradients as tfjs's (worked out by hand here), with each
 * gradient freed once used, higher-order gradients left to tfjs, and no leak.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { maxAbsDiff, noLeaks, setup, deepvisOnly } from '../../test/helpers.js';

/** Live tensors at the moment the backward pass reaches the op nearest the input. */
function liveAtBottom(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): number {
  let live = -1;
  const probe = tf.customGrad(((v: tf.Tensor) => ({
    value: v.clone(),
    gradFunc: (dy: tf.Tensor) => {
      live = tf.memory().numTensors;
      return dy.clone();
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  tf.tidy(() => tf.grad((v: tf.Tensor) => f(probe(v) as tf.Tensor))(x)).dispose();
  return live;
}

describe('lean backward pass', () => {
  it('gives the hand gradient through shared inputs, identities and branches', async () => {
    await setup('wasm');
    await noLeaks(() =>
      tf.tidy(() => {
        const x = tf.tensor1d([-2, -0.5, 0.5, 3]);
        // d/dx Σ [relu(x)·x + 3·identity(x) + (x + x) + reshape(x)] = 2·relu(x) + 3 + 2 + 1
        const g = tf.grad((v: tf.Tensor) =>
          tf
            .addN([tf.relu(v).mul(v), v.clone().mul(3), v.add(v), v.reshape([2, 2]).reshape([4])])
            .sum(),
        )(x);
        assert.ok(maxAbsDiff(g.dataSync(), [6, 6, 7, 12]) < 1e-6);
        // An identity's gradient handed to both inputs of an add: dy must survive the first use.
        const h = tf.grad((v: tf.Tensor) => {
          const i = v.clone();
          return i.add(i).mul(v).sum();
        })(x);
        assert.ok(maxAbsDiff(h.dataSync(), x.mul(4).dataSync()) < 1e-6);
      }),
    );
  });

  it('keeps tfjs’s own walk for a gradient of a gradient', async () => {
    await setup('wasm');
    await noLeaks(() =>
      tf.tidy(() => {
        const x = tf.tensor1d([1, 2, -3]);
        const d2 = tf.grad((v: tf.Tensor) =>
          tf
            .grad((w: tf.Tensor) => w.pow(3).sum())(v)
            .sum(),
        )(x);
        assert.ok(maxAbsDiff(d2.dataSync(), [6, 12, -18]) < 1e-4);
      }),
    );
  });

  it(
    'holds a few gradients at the bottom of a chain: neither one gradient nor one saved tensor per op',
    deepvisOnly('its backward walk holds every gradient to the end'),
    async () => {
      await setup('wasm');
      const n = 60;
      const chain = (v: tf.Tensor) => {
        let y = v;
        for (let i = 0; i < n; i++) y = tf.tanh(y);
        return y.sum();
      };
      const x = tf.randomNormal([1000]);
      const before = tf.memory().numTensors;
      const live = await noLeaks(() => liveAtBottom(chain, x));
      // tanh saves its output: tfjs's stock walk would still hold those n saved outputs here, and
      // the n gradients of the chain as well (≈ 2n). Each node's saved tensors go once it is walked.
      assert.ok(
        live - before <= 10,
        `${live - before} live tensors at the bottom of a chain of ${n}`,
      );
      x.dispose();
    },
  );
});
