/** The padded average pool's gradient, worked out by hand and against an explicit formulation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { maxAbsDiff, noLeaks, setup } from '../../test/helpers.js';

describe('AvgPool gradient with padding', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`divides by the count of real inputs at the borders (${backend})`, async () => {
      await setup(backend);
      await noLeaks(() =>
        tf.tidy(() => {
          // 3×3 'same' pool of a 3×3 map: the corner output averages 4 inputs, so each gets 1/4.
          const e00 = tf.oneHot(0, 9).reshape([1, 3, 3, 1]);
          const g = tf.grad((v: tf.Tensor) =>
            tf
              .avgPool(v as tf.Tensor4D, 3, 1, 'same')
              .mul(e00)
              .sum(),
          )(tf.ones([1, 3, 3, 1]));
          assert.deepEqual(Array.from(g.dataSync()), [0.25, 0.25, 0, 0.25, 0.25, 0, 0, 0, 0]);
          // Any stride: equal to a ones depthwise convolution divided by the real-input count.
          const x = tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 1);
          const r = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 2);
          const count = tf.conv2d(
            tf.ones([1, 7, 7, 1]) as tf.Tensor4D,
            tf.ones([3, 3, 1, 1]) as tf.Tensor4D,
            2,
            'same',
          );
          const g1 = tf.grad((v: tf.Tensor) =>
            tf
              .avgPool(v as tf.Tensor4D, 3, 2, 'same')
              .mul(r)
              .sum(),
          )(x);
          const g2 = tf.grad((v: tf.Tensor) =>
            tf
              .depthwiseConv2d(v as tf.Tensor4D, tf.ones([3, 3, 3, 1]) as tf.Tensor4D, 2, 'same')
              .div(count)
              .mul(r)
              .sum(),
          )(x);
          assert.ok(maxAbsDiff(g1.dataSync(), g2.dataSync()) < 1e-6);
        }),
      );
    });
  }
});
