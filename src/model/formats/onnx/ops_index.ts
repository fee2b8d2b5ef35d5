/**
 * Ops that broadcast, repeat, split and scatter, as transformer exports use them: a class token
 * expanded to the batch, qkv split into three, a window mask scattered into place, causal masks
 * (Trilu), running sums, arg-max. Shapes and indices given as inputs must be known at load; an
 * entry derived from the batch size (a folded Shape chain) is scaled to the run's batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from './decode.js';
import { broadcastTo, hostTensor, materialize, NHWC_AXIS, type RtMeta } from './layout.js';
import { atBatch, type Compiled, type OpCompiler, type OpCtx } from './op_types.js';

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The input as a tensor in logical order, whether computed (rt) or kept at load (host). */
function operand(
  ctx: OpCtx,
  i: number,
): { meta: RtMeta | undefined; get: (x: tf.Tensor | null) => tf.Tensor } {
  const meta = ctx.meta(i);
  if (meta) return { meta, get: (x) => materialize(x!, meta) };
  const h = ctx.host(i) ?? ctx.fail(`input ${i + 1} is missing`);
  const kept = ctx.keep(hostTensor(h));
  return { meta: undefined, get: () => kept };
}

/** Ints of a constant input (with its batch marks), or a one-line refusal. */
function shapeInput(
  ctx: OpCtx,
  i: number,
  what: string,
): { v: number[]; marks: readonly boolean[] | undefined } {
  const v = ctx.hostInts(i) ?? ctx.fail(`its ${what} must be known at load`);
  return { v, marks: ctx.batchMarks(i) };
}

/** ONNX's bidirectional broadcast of an input shape with a target (Expand). */
function expandedShape(input: readonly number[], target: readonly number[], ctx: OpCtx): number[] {
  const rank = Math.max(input.length, target.length);
  const a = [...Array(rank - input.length).fill(1), ...input];
  const b = [...Array(rank - target.length).fill(1), ...target];
  return a.map((d, k) => {
    if (d === b[k] || b[k] === 1) return d;
    if (d === 1) return b[k];
    return ctx.fail(`cannot expand [${input.join(', ')}] to [${target.join(', ')}]`);
  });
}

const expand: OpCompiler = (ctx) => {
  const x = operand(ctx, 0);
  const { v, marks } = shapeInput(ctx, 1, 'target shape');
  return {
    layout: 'plain',
    run: ([t], batch) => {
      const input = x.get(t);
      return broadcastTo(input, expandedShape(input.shape, atBatch(v, marks, batch), ctx));
    },
  };
};

const tile: OpCompiler = (ctx) => {
  const x = operand(ctx, 0);
  const { v, marks } = shapeInput(ctx, 1, 'repeats');
  return { layout: 'plain', run: ([t], batch) => tf.tile(x.get(t), atBatch(v, marks, batch)) };
};

const constantOfShape: OpCompiler = (ctx) => {
  const { v, marks } = shapeInput(ctx, 0, 'shape');
  const value = ctx.node.attrs.get('value') as HostTensor | undefined;
  const fill = value ? Number(value.data[0]) : 0;
  const dtype =
    value?.dtype === 'float32' || !value ? 'float32' : value.dtype === 'bool' ? 'bool' : 'int32';
  return { layout: 'plain', run: (_, batch) => tf.fill(atBatch(v, marks, batch), fill, dtype) };
};

/** Range whose limit derives from the batch size (a folded one is a host op). */
const range: OpCompiler = (ctx) => {
  const [start, limit, delta] = [0, 1, 2].map(
    (i) => ctx.host(i) ?? ctx.fail('its start, limit and delta must be known at load'),
  );
  const scaled = ctx.batchMarks(1)?.[0] ?? false;
  const [s0, l0, d0] = [start, limit, delta].map((h) => Number(h.data[0]));
  const dtype = start.dtype === 'float32' ? 'float32' : 'int32';
  return { layout: 'plain', run: (_, batch) => tf.range(s0, scaled ? l0 * batch : l0, d0, dtype) };
};

const split: OpCompiler = (ctx) => {
  const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
  const rank = meta.logical.length;
  const axis = norm(ctx.attr('axis', 0), rank);
  const n = ctx.node.outputs.length;
  const total = meta.logical[axis];
  const given =
    ctx.opset >= 13
      ? ctx.node.inputs[1]
        ? (ctx.hostInts(1) ?? ctx.fail('its split sizes must be known at load'))
        : undefined
      : (ctx.node.attrs.get('split') as number[] | undefined);
  // num_outputs (opset 18): equal parts, the last one smaller when the axis does not divide.
  const part = Math.ceil(total / n);
  const sizes =
    given ?? Array.from({ length: n }, (_, k) => Math.max(0, Math.min(part, total - k * part)));
  if (sizes.length !== n || sizes.reduce((a, b) => a + b, 0) !== total)
    ctx.fail(`split sizes [${sizes.join(', ')}] do not cover the axis of ${total}`);
  if (meta.batched?.[axis]) ctx.fail('splitting the batch axis is not supported');
  const nhwc = meta.layout === 'nhwc';
  const phys = nhwc ? NHWC_AXIS[axis] : axis;
  return {
    layout: nhwc ? 'nhwc' : 'plain',
    run: ([x]) => tf.split(nhwc ? x! : materialize(x!, meta), sizes, phys),
  };
};

/**
 * ScatterND with constant indices: each output element is the data's or one update's, so the
 * result is a gather from [data, updates] (differentiable in both, unlike tfjs's ScatterNd); with
 * reduction 'add' the updates are summed in.
 */
const scatterND: OpCompiler = (ctx) => {
  const data = operand(ctx, 0),
    updates = operand(ctx, 2);
  const idx = ctx.host(1) ?? ctx.fail('its indices must be known at load');
  const reduction = ctx.attr('reduction', 'none');
  if (reduction !== 'none' && reduction !== 'add')
    ctx.fail(`reduction '${reduction}' is not supported`);
  const k = idx.dims[idx.dims.length - 1];
  const count = size(idx.dims.slice(0, -1));
  // The index for the shape seen at load is kept; another shape (a batch) builds its own per call.
  const loadShape = (data.meta?.logical ?? ctx.shape(0)).join(',');
  let kept: tf.Tensor | null = null;
  /** Per update element, its flat position in the data. */
  const targets = (shape: readonly number[]): Int32Array => {
    const inner = size(shape.slice(k));
    const out = new Int32Array(count * inner);
    for (let u = 0; u < count; u++) {
      let base = 0;
      for (let a = 0; a < k; a++) {
        const i = Number(idx.data[u * k + a]);
        base = base * shape[a] + (i < 0 ? i + shape[a] : i);
      }
      for (let j = 0; j < inner; j++) out[u * inner + j] = base * inner + j;
    }
    return out;
  };
  return {
    layout: 'plain',
    run: ([d, , u]) => {
      const x = data.get(d),
        up = updates.get(u);
      const n = x.size;
      const build = () => {
        const t = targets(x.shape);
        if (reduction === 'add') return tf.tensor1d(t, 'int32');
        const src = Int32Array.from({ length: n }, (_, i) => i);
        t.forEach((pos, j) => (src[pos] = n + j)); // the last write wins, as in the reference
        return tf.tensor1d(src, 'int32');
      };
      const atLoad = x.shape.join(',') === loadShape;
      const index = atLoad ? (kept ??= tf.keep(build())) : build();
      if (reduction === 'add')
        return x.add(
          tf.unsortedSegmentSum(up.reshape([-1]), index as tf.Tensor1D, n).reshape(x.shape),
        );
      return tf
        .gather(tf.concat([x.reshape([-1]), up.reshape([-1]).cast(x.dtype)]), index)
        .reshape(x.shape);
    },
    dispose: () => kept?.dispose(),
  };
};

const cumSum: OpCompiler = (ctx) => {
  const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
  const axis = norm(
    (ctx.hostInts(1) ?? ctx.fail('its axis must be known at load'))[0],
    meta.logical.length,
  );
  const exclusive = ctx.attr('exclusive', 0) === 1,
    reverse = ctx.attr('reverse', 0) === 1;
  const nhwc = meta.layout === 'nhwc';
  return {
    layout: nhwc ? 'nhwc' : 'plain',
    run: ([x]) =>
      tf.cumsum(
        nhwc ? x! : materialize(x!, meta),
        nhwc ? NHWC_AXIS[axis] : axis,
        exclusive,
        reverse,
      ),
  };
};

/** Upper (j − i ≥ k) or lower (j − i ≤ k) triangle of the last two axes, a mask made at load. */
const trilu: OpCompiler = (ctx) => {
  const x = operand(ctx, 0);
  const k = ctx.node.inputs[1]
    ? (ctx.hostInts(1) ?? ctx.fail('its k must be known at load'))[0]
    : 0;
  const upper = ctx.attr('upper', 1) === 1;
  const shape = x.meta?.logical ?? ctx.shape(0);
  if (shape.length < 2) ctx.fail('expects a tensor of rank 2 or more');
  const [r, c] = shape.slice(-2);
  const keep = Float32Array.from({ length: r * c }, (_, q) => {
    const d = (q % c) - Math.floor(q / c);
    return (upper ? d >= k : d <= k) ? 1 : 0;
  });
  const m = ctx.keep(tf.tensor2d(keep, [r, c]));
  return {
    layout: 'plain',
    run: ([t]) => {
      const v = x.get(t);
      return v.dtype === 'float32' ? v.mul(m) : tf.where(m.cast('bool'), v, tf.zerosLike(v));
    },
  };
};

function argExtreme(kind: 'max' | 'min'): OpCompiler {
  return (ctx) => {
    const x = operand(ctx, 0);
    const rank = (x.meta?.logical ?? ctx.shape(0)).length;
    const axis = norm(ctx.attr('axis', 0), rank);
    const keep = ctx.attr('keepdims', 1) === 1,
      lastIndex = ctx.attr('select_last_index', 0) === 1;
    const fn = kind === 'max' ? tf.argMax : tf.argMin;
    return {
      layout: 'plain',
      run: ([t]) => {
        const v = x.get(t);
        const i = lastIndex
          ? tf.sub(v.shape[axis] - 1, fn(tf.reverse(v, axis), axis))
          : fn(v, axis);
        return keep ? i.expandDims(axis) : i;
      },
    };
  };
}

export const INDEX_OPS: Record<string, OpCompiler> = {
  Expand: expand,
  Tile: tile,
  ConstantOfShape: constantOfShape,
  Range: range,
  Split: split,
  ScatterND: scatterND,
  CumSum: cumSum,
  Trilu: trilu,
  ArgMax: argExtreme('max'),
  ArgMin: argExtreme('min'),
};

export type { Compiled };
