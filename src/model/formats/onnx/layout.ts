/**
 * The layout pass's vocabulary. ONNX image tensors are NCHW; deepvis keeps them NHWC (tfjs's
 * native layout, what methods see) and remembers, per tensor, how its physical layout relates to
 * the logical (ONNX, PyTorch) shape:
 * - 'nhwc': a logical [N, C, H, W] tensor stored as [N, H, W, C];
 * - 'flat': a logical [N, C·H·W] (Flatten of an nhwc tensor) stored in H, W, C order; a Gemm that
 *   reads it gets its weight rows permuted once at load, so PyTorch's flatten order is kept without a
 *   transpose per call;
 * - 'plain': physical = logical.
 * `materialize` gives the logical tensor when an op (or a tap) needs it.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from './decode.js';

export type Layout = 'nhwc' | 'flat' | 'plain';

export interface RtMeta {
  readonly layout: Layout;
  /** Logical (ONNX) shape, batch included, as seen in the probe run (batch 1). */
  readonly logical: readonly number[];
  /** For 'flat': the [C, H, W] it was flattened from. */
  readonly chw?: readonly [number, number, number];
  /** Per logical axis, whether its size scales with the batch (the batch axis, or B·heads). */
  readonly batched?: readonly boolean[];
}

export type Value =
  | {
      readonly kind: 'host';
      readonly t: HostTensor;
      /** entries derived from the batch size */ readonly batch?: readonly boolean[];
    }
  | { readonly kind: 'rt'; readonly meta: RtMeta };

/** Logical axis → physical axis of an nhwc tensor. */
export const NHWC_AXIS = [0, 3, 1, 2] as const;

export function logicalShape(
  physical: readonly number[],
  layout: Layout,
  chw?: readonly number[],
): number[] {
  if (layout === 'nhwc') return [physical[0], physical[3], physical[1], physical[2]];
  if (layout === 'flat' && chw) return [physical[0], chw[0] * chw[1] * chw[2]];
  return [...physical];
}

/** The logical (ONNX-order) tensor of a runtime value. */
export function materialize(t: tf.Tensor, meta: RtMeta): tf.Tensor {
  if (meta.layout === 'plain') return t;
  if (meta.layout === 'flat') {
    const [c, h, w] = meta.chw!;
    const n = t.shape[0];
    return materialize(t.reshape([n, h, w, c]), { layout: 'nhwc', logical: [n, c, h, w] }).reshape([
      n,
      c * h * w,
    ]);
  }
  const [n, h, w, c] = t.shape;
  // With one channel or a 1×1 map both orders hold the same sequence: a reshape, no copy.
  if (c === 1 || h * w === 1) return t.reshape([n, c, h, w]);
  return tf.transpose(t, [0, 3, 1, 2]);
}

/** A logical rank-≤4 tensor broadcast-aligned to [., C, H, W] and stored as NHWC. */
export function toNhwc(t: tf.Tensor): tf.Tensor {
  const s = t.shape;
  const four = [...Array(4 - s.length).fill(1), ...s];
  const r = t.reshape(four);
  if (four[1] === 1 || four[2] * four[3] === 1)
    return r.reshape([four[0], four[2], four[3], four[1]]);
  return tf.transpose(r, [0, 2, 3, 1]);
}

/** Host data in logical order → NHWC-aligned host data (for constants broadcast against nhwc tensors). */
export function hostToNhwc(t: HostTensor): { dims: number[]; data: HostTensor['data'] } {
  const four = [...Array(Math.max(0, 4 - t.dims.length)).fill(1), ...t.dims];
  const [a, c, h, w] = four;
  if (c === 1 || h * w === 1) return { dims: [a, h, w, c], data: t.data };
  const out = new (t.data.constructor as Float32ArrayConstructor)(t.data.length);
  for (let i = 0; i < a; i++)
    for (let ci = 0; ci < c; ci++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          out[((i * h + y) * w + x) * c + ci] = t.data[((i * c + ci) * h + y) * w + x];
  return { dims: [a, h, w, c], data: out };
}

export function hostTensor(t: HostTensor, dims: readonly number[] = t.dims): tf.Tensor {
  if (t.dtype === 'float32') return tf.tensor(t.data as Float32Array, [...dims], 'float32');
  if (t.dtype === 'bool') return tf.tensor(Uint8Array.from(t.data), [...dims], 'bool');
  return tf.tensor(Int32Array.from(t.data), [...dims], 'int32');
}

/**
 * tf.broadcastTo for any rank: tfjs runs it as Tile, whose gradient stops at rank 4 — an addition
 * of zeros broadcasts the same way and its gradient sums back at any rank.
 */
export function broadcastTo(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (tf.util.arraysEqual(x.shape, [...shape])) return x;
  return shape.length <= 4
    ? tf.broadcastTo(x, [...shape])
    : tf.add(x, tf.zeros([...shape], x.dtype));
}
