/**
 * Host-side kernels (plain loops) read and write backend memory. On wasm that memory is the module
 * heap: reading it through a view instead of readSync (a copy) and allocating the output in place
 * instead of write (another copy) saves two passes over every tensor.
 */
import type * as tf from '@tensorflow/tfjs';

interface WasmLike {
  wasm: { HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
}

function isWasm(backend: tf.KernelBackend): backend is tf.KernelBackend & WasmLike {
  const b = backend as unknown as Partial<WasmLike>;
  return typeof b.getMemoryOffset === 'function' && typeof b.makeOutput === 'function' && b.wasm?.HEAPU8 != null;
}

export function readFloats(backend: tf.KernelBackend, t: tf.TensorInfo): Float32Array {
  if (isWasm(backend)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    return new Float32Array(backend.wasm.HEAPU8.buffer, backend.getMemoryOffset(t.dataId), size);
  }
  return backend.readSync(t.dataId) as Float32Array;
}

/**
 * Allocates a float output and lets `fill` write it; returns the TensorInfo. Zeroed first unless
 * `zeroed` is false (for kernels that write every element anyway).
 */
export function writeFloats(backend: tf.KernelBackend, shape: number[], fill: (out: Float32Array) => void, zeroed = true): tf.TensorInfo {
  const size = shape.reduce((a, b) => a * b, 1);
  if (isWasm(backend)) {
    const info = backend.makeOutput(shape, 'float32');
    const out = new Float32Array(backend.wasm.HEAPU8.buffer, backend.getMemoryOffset(info.dataId), size);
    if (zeroed) out.fill(0);
    fill(out);
    return info;
  }
  const out = new Float32Array(size);
  fill(out);
  return { dataId: backend.write(out, shape, 'float32'), shape, dtype: 'float32' };
}
