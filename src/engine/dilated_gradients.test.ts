/**
 * Dilated-convolution gradients against their definition: a dilation-d convolution is an undilated
 * one with the filter spread out by d, whose gradients tfjs computes with its stock kernels.
 */
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

function spreadByHand(w: Float32Array, [kh, kw, a, b]: number[], d: number): tf.Tensor4D {
  const eh = (kh - 1) * d + 1;
  const ew = (kw - 1) * d + 1;
  const out = new Float32Array(eh * ew * a * b);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < a * b; k++) {
        out[(i * d * ew + j * d) * a * b + k] = w[(i * kw + j) * a * b + k];
      }
  return tf.tensor4d(out, [eh, ew, a, b]);
}

for (const backend of ['cpu', 'wasm']) {
  describe(`dilated gradients on ${backend}`, () => {
    for (const kind of ['conv', 'depthwise'] as const) {
      for (const pad of ['same', 'valid'] as const) {
        it(`${kind}, dilation 2, ${pad}`, async () => {
          await tf.setBackend(backend);
          const x = tf.tensor4d(values(2 * 10 * 9 * 3, 1), [2, 10, 9, 3]);
          const wShape = kind === 'conv' ? [3, 2, 3, 4] : [3, 2, 3, 2];
          const wv = values(
            wShape.reduce((p, q) => p * q),
            2,
          );
          const w = tf.tensor4d(wv, wShape as [number, number, number, number]);
          const wide = spreadByHand(wv, wShape, 2);
          const op = (xi: tf.Tensor4D, wi: tf.Tensor4D, dil: number) =>
            (kind === 'conv'
              ? tf.conv2d(xi, wi, 1, pad, 'NHWC', dil)
              : tf.depthwiseConv2d(xi, wi, 1, pad, 'NHWC', dil)
            )
              .square()
              .sum();
          const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
            op(xi as tf.Tensor4D, wi as tf.Tensor4D, 2),
          )([x, w]);
          const [rx, rwide] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
            op(xi as tf.Tensor4D, wi as tf.Tensor4D, 1),
          )([x, wide]);
          const rw = tf.stridedSlice(rwide, [0, 0, 0, 0], rwide.shape, [2, 2, 1, 1]);
          assertClose(await rx.data(), await dx.data(), 2e-5, 'dx');
          assertClose(await rw.data(), await dw.data(), 2e-5, 'dw');
          tf.dispose([x, w, wide, dx, dw, rx, rwide, rw]);
        });
      }
    }
  });
}
