/**
 * Slice for wasm without copying the whole input. tfjs-backend-wasm 4.22's Slice starts with
 * readSync(x) — a copy of the entire source tensor — even when the slice is one contiguous block:
 * taking a batch of 256 digits out of a 10,000-image tensor cost 11 ms, the input's 31 MB copied
 * every batch. Contiguous slices (a range of the leading axis, the common case) are copied straight
 * from a view of the wasm heap; every other slice goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { readFloats, writeFloats } from './host_memory.js';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

export function contiguousSlice(stock: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
    if (x.dtype !== 'float32') return stock(args as never);
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    if (!tf.slice_util.isSliceContinous(x.shape, b, s)) return stock(args as never);
    const offset = tf.slice_util.computeFlatOffset(b, tf.util.computeStrides(x.shape));
    const n = tf.util.sizeFromShape(s);
    // The view is taken after the output is allocated: an allocation can grow the wasm heap,
    // which detaches views taken before it.
    return writeFloats(backend, s, (out) => out.set(readFloats(backend, x).subarray(offset, offset + n)), false);
  }) as unknown as tf.KernelFunc;
}
