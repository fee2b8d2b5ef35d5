/**
 * UnsortedSegmentSum for wasm, as one host loop over the wasm heap. wasm has no such kernel; it is
 * the gradient of every gather (tf.gather's backward pass), which the bilinear resampling of the
 * robustness transforms uses each step. The cpu backend's kernel builds one equality mask per
 * segment (O(segments × rows)): 2.7 s per step for one 28×28 warp of 10 images; this loop is O(rows).
 * Float32 data with 1-D segment ids only; anything else goes to the fallback given.
 */
import type * as tf from '@tensorflow/tfjs';
import { readFloats, writeFloats } from './host_memory.js';

type Args = {
  inputs: { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  backend: tf.KernelBackend;
  attrs: { numSegments: number };
};

export function unsortedSegmentSum(fallback: (args: Args) => tf.TensorInfo) {
  return (args: Args): tf.TensorInfo => {
    const {
      inputs: { x, segmentIds },
      backend,
      attrs: { numSegments },
    } = args;
    if (
      x.dtype !== 'float32' ||
      segmentIds.shape.length !== 1 ||
      segmentIds.shape[0] !== x.shape[0]
    )
      return fallback(args);
    const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const ids = backend.readSync(segmentIds.dataId) as Int32Array;
    return writeFloats(backend, [numSegments, ...x.shape.slice(1)], (out) => {
      // Read after the output is allocated: an allocation may grow (and move) the wasm heap.
      const values = readFloats(backend, x);
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i];
        // TensorFlow drops rows with ids outside [0, numSegments).
        if (s < 0 || s >= numSegments) continue;
        const src = i * row;
        const dst = s * row;
        for (let j = 0; j < row; j++) out[dst + j] += values[src + j];
      }
    });
  };
}
