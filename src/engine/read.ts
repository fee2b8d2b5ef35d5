/**
 * Reading tensors computed in a tidy scope. Never return a typed array from tf.tidy: tidy walks
 * its result looking for tensors, and for a typed array that is a for-in over every element into a
 * Set — measured 2.5 s to return a conv's 3.2M-value output whose computation took 62 ms. These
 * helpers return the tensors from the scope and read them outside it.
 */
import * as tf from '@tensorflow/tfjs';

export function tidyData(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn);
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

export function tidyDataAll(fn: () => tf.Tensor[]): Float32Array[] {
  const ts = tf.tidy(fn);
  try {
    return ts.map((t) => t.dataSync() as Float32Array);
  } finally {
    tf.dispose(ts);
  }
}

/** Item i of a batch's values laid out [N, ...shape] (a view, no copy): the one per-image slicing. */
export function itemOf<T extends { subarray(begin: number, end: number): T }>(
  values: T,
  i: number,
  shape: readonly number[],
): T {
  const size = shape.reduce((a, b) => a * b, 1);
  return values.subarray(i * size, (i + 1) * size);
}
