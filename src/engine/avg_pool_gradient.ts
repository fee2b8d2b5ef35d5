/**
 * The gradient of a padded average pool. Its forward divides each window by the count of real
 * inputs it covers (TensorFlow's rule; fewer at 'same'-padded borders), but tfjs 4.22's AvgPool
 * gradient divides by the full window everywhere, on every backend: ∂/∂x of a 3×3 'same' pool's
 * corner output is 1/9 instead of 1/4. dy is rescaled by window/count first, so the stock gradient
 * (and deepvis's fast AvgPoolGrad kernel) routes dy/count. 'valid' pools keep tfjs's path.
 */
import * as tf from '@tensorflow/tfjs';

type Pair = [number, number];
const pair = (v: unknown): Pair =>
  typeof v === 'number' ? [v, v] : [(v as number[])[0], (v as number[])[1] ?? (v as number[])[0]];

let installed = false;

export function installAvgPoolGradient(): void {
  if (installed) return;
  installed = true;
  const stock = tf.getGradient('AvgPool');
  if (stock == null) return;
  tf.registerGradient({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const { filterSize, strides, pad, dimRoundingMode } = attrs as {
        filterSize: unknown;
        strides: unknown;
        pad: unknown;
        dimRoundingMode?: string;
      };
      if (pad === 'valid' || pad === 0) return stock.gradFunc(dy, saved, attrs);
      const [x] = saved as [tf.Tensor4D];
      const [kh, kw] = pair(filterSize);
      // Inside the closure, which the tape runs in a tidy: nothing here outlives the backward pass.
      return {
        x: () => {
          // Real inputs under each window: a ones-filter convolution of ones with the pool's padding.
          const ones = tf.ones([1, x.shape[1], x.shape[2], 1]) as tf.Tensor4D;
          const count = tf.conv2d(
            ones,
            tf.ones([kh, kw, 1, 1]) as tf.Tensor4D,
            pair(strides),
            pad as 'same',
            'NHWC',
            1,
            dimRoundingMode as 'floor',
          );
          return stock.gradFunc((dy as tf.Tensor).mul(tf.div(kh * kw, count)), saved, attrs).x();
        },
      };
    },
  });
}
