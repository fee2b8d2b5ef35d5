/**
 * Param: what an optimization changes. Pixels is the plain one — the image is the variable.
 * (Fourier and decorrelated-colour parameterizations implement the same interface.)
 */
import * as tf from '@tensorflow/tfjs';

export interface Param {
  readonly variables: readonly tf.Variable[];
  /** The current images [N, H, W, C]; caller disposes (cheap for pixels: a view of the variable). */
  image(): tf.Tensor4D;
  /** Replaces the images (after a projection); pixels only. */
  assignImage?(x: tf.Tensor4D): void;
  dispose(): void;
}

export function pixels(init: tf.Tensor4D): Param {
  const v = tf.variable(init, true);
  return {
    variables: [v],
    image: () => v.clone() as tf.Tensor4D,
    assignImage: (x) => v.assign(x),
    dispose: () => v.dispose(),
  };
}
