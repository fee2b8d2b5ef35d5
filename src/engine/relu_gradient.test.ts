/** ReLU6's gradient: dy where 0 < x < 6, zero elsewhere (boundaries included), as PyTorch's hardtanh backward. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { noLeaks, setup } from '../../test/helpers.js';

describe('Relu6 gradient', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`passes dy only inside (0, 6) (${backend})`, async () => {
      await setup(backend);
      await noLeaks(() =>
        tf.tidy(() => {
          const x = tf.tensor1d([-1, 0, 0.5, 3, 5.9, 6, 7]);
          const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7]);
          const g = tf.grad((v: tf.Tensor) => tf.relu6(v).mul(dy).sum())(x);
          assert.deepEqual(Array.from(g.dataSync()), [0, 0, 3, 4, 5, 0, 0]);
        }),
      );
    });
  }
});
