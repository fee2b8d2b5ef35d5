/**
 * From unbounded values to a valid image (Lucid's to_valid_rgb): for RGB, a fixed linear colour
 * decorrelation (the square root of ImageNet's colour covariance, Olah et al. 2017) so that steps
 * move along natural colour directions; then a sigmoid onto the model's input range, so no
 * projection or clamping is needed and gradients never die at a clip.
 */
import * as tf from '@tensorflow/tfjs';
import { variableFrom, type Init, type Param } from './pixels.js';

// Lucid's color_correlation_svd_sqrt, normalized by its largest column norm.
const SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];
const MAX_NORM = Math.max(...[0, 1, 2].map((j) => Math.hypot(...SVD_SQRT.map((r) => r[j]))));

/** Applies the colour basis to the last axis of x [N, H, W, 3]. */
export function decorrelateColour(x: tf.Tensor4D, order: 'rgb' | 'bgr' = 'rgb'): tf.Tensor4D {
  return tf.tidy(() => {
    const basis = SVD_SQRT.map((r) => r.map((v) => v / MAX_NORM));
    // y = x · Bᵀ in RGB; a BGR model gets the same colours with both sides reversed.
    const m =
      order === 'rgb'
        ? basis
        : basis
            .slice()
            .reverse()
            .map((r) => r.slice().reverse());
    const bt = tf.tensor2d(m).transpose();
    const [n, h, w] = x.shape;
    return tf.matMul(x.reshape([-1, 3]), bt).reshape([n, h, w, 3]) as tf.Tensor4D;
  });
}

export interface BoundedArgs {
  readonly range: readonly [number, number];
  readonly decorrelate?: boolean;
  readonly channelOrder?: 'rgb' | 'bgr';
}

export function bounded(inner: Param, args: BoundedArgs): Param {
  const [lo, hi] = args.range;
  return {
    variables: inner.variables,
    bounded: true,
    image: () =>
      tf.tidy(() => {
        let x = inner.image();
        if (args.decorrelate && x.shape[3] === 3)
          x = decorrelateColour(x, args.channelOrder ?? 'rgb');
        return x
          .sigmoid()
          .mul(hi - lo)
          .add(lo) as tf.Tensor4D;
      }),
    dispose: () => inner.dispose(),
  };
}

/** Raw pixels for the sigmoid-bounded pipeline (values near 0 → mid-grey images); see pixels.ts for `init`. */
export function rawPixels(init: Init): Param {
  const v = variableFrom(init);
  return { variables: [v], image: () => v.clone() as tf.Tensor4D, dispose: () => v.dispose() };
}
