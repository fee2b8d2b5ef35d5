/**
 * Host-side kernels (plain loops) read and write backend memory. On wasm that memory is the module
 * heap: reading it through a view instead of readSync (a copy) and allocating the output in place
 * instead of write (another copy) saves two passes over every tensor.
 */
import type * as tf from '@tensorflow/tfjs';
import { wasmOutput, wasmView } from '../internals.js';

export function readFloats(backend: tf.KernelBackend, t: tf.TensorInfo): Float32Array {
  return (
    wasmView(
      backend,
      t,
      t.shape.reduce((a, b) => a * b, 1),
    ) ?? (backend.readSync(t.dataId) as Float32Array)
  );
}

/**
 * Allocates a float output and lets `fill` write it; returns the TensorInfo. Zeroed first unless
 * `zeroed` is false (for kernels that write every element anyway).
 */
export function writeFloats(
  backend: tf.KernelBackend,
  shape: number[],
  fill: (out: Float32Array) => void,
  zeroed = true,
): tf.TensorInfo {
  const size = shape.reduce((a, b) => a * b, 1);
  const w = wasmOutput(backend, shape, size);
  if (w) {
    if (zeroed) w.view.fill(0);
    fill(w.view);
    return w.info;
  }
  const out = new Float32Array(size);
  fill(out);
  return { dataId: backend.write(out, shape, 'float32'), shape, dtype: 'float32' };
}
