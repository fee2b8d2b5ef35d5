/**
 * Slice for wasm without copying the whole input. tfjs-backend-wasm 4.22's Slice starts with
 * readSync(x) — a copy of the entire source tensor — even when the slice is one contiguous block:
 * taking a batch of 256 digits out of a 10,000-image tensor cost 11 ms, the input's 31 MB copied
 * every batch. Contiguous slices (a range of the leading axis, the common case) are copied straight
 * from a view of the wasm heap, other float slices run by run (copyRuns); other dtypes go to the
 * stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { readFloats, writeFloats } from './host_memory.js';

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

export function contiguousSlice(stock: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    const { begin, size } = attrs as unknown as {
      begin: number | number[];
      size: number | number[];
    };
    if (x.dtype !== 'float32') return stock(args as never);
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    const strides = tf.util.computeStrides(x.shape);
    // The views are taken after the output is allocated: an allocation can grow the wasm heap,
    // which detaches views taken before it.
    if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
      const offset = tf.slice_util.computeFlatOffset(b, strides);
      const n = tf.util.sizeFromShape(s);
      return writeFloats(
        backend,
        s,
        (out) => out.set(readFloats(backend, x).subarray(offset, offset + n)),
        false,
      );
    }
    return writeFloats(
      backend,
      s,
      (out) => copyRuns(readFloats(backend, x), out, x.shape, strides, b, s),
      false,
    );
  }) as unknown as tf.KernelFunc;
}

/**
 * A window of a tensor (the gradient of a padding: a crop of every image) as runs of contiguous
 * memory: the axes after the last one that is cut are whole, so each run is that axis's slice
 * times the whole axes after it.
 */
function copyRuns(
  src: Float32Array,
  out: Float32Array,
  shape: number[],
  strides: number[],
  begin: number[],
  size: number[],
): void {
  const rank = shape.length;
  let cut = rank - 1;
  while (cut > 0 && begin[cut] === 0 && size[cut] === shape[cut]) cut--;
  const inner = cut + 1 < rank ? strides[cut] : 1;
  const run = size[cut] * inner;
  const outer = size.slice(0, cut);
  const count = outer.reduce((p, v) => p * v, 1);
  const idx = new Array<number>(cut).fill(0);
  const heap = src.buffer === out.buffer ? new Float32Array(out.buffer) : null;
  const srcAt = src.byteOffset / 4;
  const outAt = out.byteOffset / 4;
  for (let r = 0, dst = 0; r < count; r++, dst += run) {
    let from = begin[cut] * inner;
    for (let d = 0; d < cut; d++) from += (begin[d] + idx[d]) * strides[d];
    if (heap != null) heap.copyWithin(outAt + dst, srcAt + from, srcAt + from + run);
    else out.set(src.subarray(from, from + run), dst);
    for (let d = cut - 1; d >= 0; d--) {
      if (++idx[d] < outer[d]) break;
      idx[d] = 0;
    }
  }
}
