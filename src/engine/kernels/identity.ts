/**
 * Identity without a copy. tfjs saves every tensor a gradient needs by cloning it, and a clone is
 * the Identity kernel; wasm 4.22's Identity copies the whole buffer (32 copies of up to 8 MB per
 * W1 step, ~5 ms). Tensor data is immutable and the wasm backend reference-counts it (its own
 * Reshape shares data this way), so sharing the buffer is exact.
 */
import type * as tf from '@tensorflow/tfjs';
import { backendIncRef } from '../internals.js';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend };

export function sharedIdentity(stock: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return stock(args as never) as tf.TensorInfo;
    backendIncRef(args.backend, x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
