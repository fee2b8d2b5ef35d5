/**
 * One-hot rows as float32 [N, depth], for every depth ≥ 1. tf.oneHot refuses depth 1, which is
 * exactly what a binary classifier, a regression head (one output unit) or a 1×1 feature map
 * has; and it silently writes a zero row for an index out of range, which hides a wrong unit.
 * The one helper every mask, clamp and label encoding goes through. Caller disposes the result.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';

export function oneHot(indices: ArrayLike<number>, depth: number): tf.Tensor2D {
  if (!Number.isInteger(depth) || depth < 1)
    throw new DeepvisError(`one-hot depth must be a positive integer; got ${depth}`);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (!Number.isInteger(k) || k < 0 || k >= depth)
      throw new DeepvisError(
        `index ${k} out of range for ${depth} ${depth === 1 ? 'entry' : 'entries'}`,
      );
  }
  if (depth === 1) return tf.ones([indices.length, 1]) as tf.Tensor2D;
  return tf.tidy(
    () => tf.oneHot(tf.tensor1d(Int32Array.from(indices), 'int32'), depth).toFloat() as tf.Tensor2D,
  );
}
