/** Input checks that fail with a sentence, not a tfjs stack trace. */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { InputSpec } from './types.js';

export function checkImages(x: tf.Tensor, input: InputSpec): void {
  const [h, w, c] = input.shape;
  if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c) {
    throw new DeepvisError(
      `images of shape [${x.shape.join(', ')}] do not fit the model, which takes [N, ${h}, ${w}, ${c}]`,
    );
  }
}

/** Reshapes [N, H, W, C] images to the model's native input (e.g. [N, 784]). */
export function toNative(x: tf.Tensor4D, input: InputSpec): tf.Tensor {
  const native = input.nativeShape;
  if (native.length === 3) return x;
  return x.reshape([x.shape[0], ...native]);
}
