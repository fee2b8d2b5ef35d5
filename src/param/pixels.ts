/**
 * Param: what an optimization changes. Pixels is the plain one — the image is the variable.
 * (Fourier and decorrelated-colour parameterizations implement the same interface.) A param owns
 * its init: pass a function and the param makes the starting images itself (in a tidy scope) and
 * keeps them as its variable, so a recipe has no init tensor to dispose. The images may be larger
 * than the model's input (a canvas; see the loop's views).
 */
import * as tf from '@tensorflow/tfjs';

export interface Param {
  readonly variables: readonly tf.Variable[];
  /** The current images [N, H, W, C]; caller disposes (cheap for pixels: a view of the variable). */
  image(): tf.Tensor4D;
  /** True when a sigmoid maps the variables onto the input range: values reach its ends only when saturated. */
  readonly bounded?: boolean;
  /** Replaces the images (after a projection); pixels only. */
  assignImage?(x: tf.Tensor4D): void;
  dispose(): void;
}

/** The starting images: a tensor (copied, the caller keeps it) or a function whose result the param owns. */
export type Init = tf.Tensor4D | (() => tf.Tensor4D);

export function variableFrom(init: Init): tf.Variable {
  if (typeof init !== 'function') return tf.variable(init, true);
  const t = tf.tidy(init);
  const v = tf.variable(t, true);
  t.dispose();
  return v;
}

export function pixels(init: Init): Param {
  const v = variableFrom(init);
  return {
    variables: [v],
    image: () => v.clone() as tf.Tensor4D,
    assignImage: (x) => v.assign(x),
    dispose: () => v.dispose(),
  };
}
