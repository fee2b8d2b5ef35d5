/**
 * Ops that move axes: flatten, reshape, transpose, (un)squeeze, concat, pad, slice, gather,
 * softmax and reductions. Axis attributes are remapped for nhwc tensors at load; shapes and axes
 * given as inputs must be known at load (constant-folded), as they are in exported vision models.
 */
import * as tf from '@tensorflow/tfjs';
import { hostTensor, materialize, NHWC_AXIS, type RtMeta } from './layout.js';
import type { Compiled, OpCompiler, OpCtx } from './op_types.js';

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function computed(ctx: OpCtx): RtMeta {
  return ctx.meta(0) ?? ctx.fail('expects a computed input');
}

/** Axes from the attribute (older opsets) or from input i (newer ones). */
function axesOf(ctx: OpCtx, input: number, rank: number): number[] | null {
  const fromInput = ctx.node.inputs[input] ? ctx.hostInts(input) : undefined;
  if (ctx.node.inputs[input] && !fromInput) ctx.fail('its axes must be known at load');
  const axes = fromInput ?? (ctx.node.attrs.get('axes') as number[] | undefined) ?? null;
  return axes ? axes.map((a) => norm(a, rank)) : null;
}

/** Folded reshape target: 0 copies the input dim; entries derived from the batch size become -1. */
function reshapeTarget(ctx: OpCtx, meta: RtMeta): number[] {
  const inShape = meta.logical;
  const t = ctx.hostInts(1) ?? ctx.fail('its target shape must be known at load');
  const batch = ctx.batchMarks(1);
  const dims = t.map((d, i) => (d === 0 && !ctx.attr('allowzero', 0) ? inShape[i] : d));
  // A constant target (an export without dynamic axes) keeps a leading batch axis as it is.
  const copied = (i: number) =>
    (t[i] === 0 && !ctx.attr('allowzero', 0)) || (i === 0 && dims[0] === inShape[0]);
  const flagged = dims.map(
    (_, i) =>
      Boolean(batch?.[i]) ||
      (!batch && Boolean(meta.batched?.[i]) && i < inShape.length && copied(i)),
  );
  const total = inShape.reduce((a, b) => a * b, 1);
  const free = dims.findIndex((d) => d === -1);
  if (free >= 0 && flagged.some((f, i) => f && i !== free)) {
    const known = dims.reduce((a, d, i) => (i === free ? a : a * d), 1);
    dims[free] = total / known;
  }
  const nFlagged = flagged.filter(Boolean).length;
  if (nFlagged > 1)
    ctx.fail(`the target shape [${t.join(', ')}] depends on the batch size in more than one place`);
  return dims.map((d, i) => (flagged[i] ? -1 : d));
}

const reshape: OpCompiler = (ctx) => {
  const meta = computed(ctx);
  const target = reshapeTarget(ctx, meta);
  return { layout: 'plain', run: ([x]) => materialize(x!, meta).reshape(target) };
};

const flatten: OpCompiler = (ctx) => {
  const meta = computed(ctx);
  const axis = norm(ctx.attr('axis', 1), meta.logical.length);
  const [, c, h, w] = meta.logical;
  if (meta.layout === 'nhwc' && axis === 1) {
    // Physical HWC order; the consumer (Gemm) permutes its weights once, or a tap materializes.
    const flat = h * w === 1 || c === 1 ? 'plain' : 'flat';
    return { layout: flat, chw: [c, h, w], run: ([x]) => x!.reshape([x!.shape[0], c * h * w]) };
  }
  return {
    layout: 'plain',
    run: ([x]) => {
      const l = materialize(x!, meta);
      const lead = l.shape.slice(0, axis).reduce((a, b) => a * b, 1);
      return l.reshape([lead, -1]);
    },
  };
};

const transpose: OpCompiler = (ctx) => {
  const meta = computed(ctx);
  const rank = meta.logical.length;
  const perm = ctx.attr<number[]>('perm', [...Array(rank).keys()].reverse());
  if (meta.layout === 'nhwc') {
    const phys = perm.map((a) => NHWC_AXIS[a]);
    // [0, 2, 3, 1] on NCHW is the physical layout already: the result is that tensor, plain.
    return {
      layout: 'plain',
      run: ([x]) => (phys.every((p, i) => p === i) ? x! : tf.transpose(x!, phys)),
    };
  }
  // [0, 3, 1, 2] of a channels-last [N, H, W, C] gives NCHW whose NHWC form is that tensor: nhwc,
  // no copy (ConvNeXt's blocks permute back before the next convolution).
  if (meta.layout === 'plain' && rank === 4 && perm.join() === '0,3,1,2')
    return { layout: 'nhwc', run: ([x]) => x! };
  return { layout: 'plain', run: ([x]) => tf.transpose(materialize(x!, meta), perm) };
};

const squeeze: OpCompiler = (ctx) => {
  const meta = computed(ctx);
  const rank = meta.logical.length;
  // Without axes: the axes of size 1 at load that do not grow with the batch.
  const axes =
    axesOf(ctx, 1, rank) ??
    meta.logical.map((d, i) => (d === 1 && !meta.batched?.[i] ? i : -1)).filter((i) => i >= 0);
  if (axes.some((a) => meta.batched?.[a])) ctx.fail('squeezing the batch axis is not supported');
  return {
    layout: 'plain',
    run: ([x]) => (axes.length ? tf.squeeze(materialize(x!, meta), axes) : materialize(x!, meta)),
  };
};

const unsqueeze: OpCompiler = (ctx) => {
  const meta = computed(ctx);
  const count = (ctx.hostInts(1) ?? ctx.attr<number[]>('axes', [])).length;
  const axes = (axesOf(ctx, 1, meta.logical.length + count) ?? []).sort((p, q) => p - q);
  return {
    layout: 'plain',
    run: ([x]) => axes.reduce((t, a) => t.expandDims(a), materialize(x!, meta)),
  };
};

const concat: OpCompiler = (ctx) => {
  const n = ctx.node.inputs.length;
  const metas = Array.from({ length: n }, (_, i) => ctx.meta(i));
  const rank = ctx.shape(0).length;
  const axis = norm(ctx.attr('axis', 0), rank);
  const consts = Array.from({ length: n }, (_, i) =>
    ctx.host(i) ? ctx.keep(hostTensor(ctx.host(i)!)) : null,
  );
  if (metas.every((m) => m?.layout === 'nhwc')) {
    return { layout: 'nhwc', run: (xs) => tf.concat(xs as tf.Tensor[], NHWC_AXIS[axis]) };
  }
  return {
    layout: 'plain',
    run: (xs) =>
      tf.concat(
        xs.map((x, i) => consts[i] ?? materialize(x!, metas[i]!)),
        axis,
      ),
  };
};

/**
 * Reflection padding from slices, reversals and concatenation: tfjs's MirrorPad gradient keeps only
 * the centre of dy and drops what the reflected borders received.
 */
function reflectPad(x: tf.Tensor, pairs: readonly (readonly [number, number])[]): tf.Tensor {
  return pairs.reduce((t, [before, after], axis) => {
    if (before === 0 && after === 0) return t;
    const n = t.shape[axis];
    const part = (from: number, count: number) => {
      const begin = t.shape.map((_, a) => (a === axis ? from : 0));
      const size = t.shape.map((d, a) => (a === axis ? count : d));
      return tf.reverse(tf.slice(t, begin, size), axis);
    };
    const pieces = [
      ...(before ? [part(1, before)] : []),
      t,
      ...(after ? [part(n - 1 - after, after)] : []),
    ];
    return tf.concat(pieces, axis);
  }, x);
}

const pad: OpCompiler = (ctx) => {
  const meta = computed(ctx);
  const rank = meta.logical.length;
  const pads =
    (ctx.opset < 11 ? ctx.attr<number[]>('pads', []) : ctx.hostInts(1)) ??
    ctx.fail('its pads must be known at load');
  const value = ctx.opset < 11 ? ctx.attr('value', 0) : (ctx.host(2)?.data[0] ?? 0);
  const mode = ctx.attr('mode', 'constant');
  const axes = ctx.node.inputs[3]
    ? ctx.hostInts(3)!.map((a) => norm(a, rank))
    : [...Array(rank).keys()];
  const pairs: [number, number][] = Array.from({ length: rank }, () => [0, 0]);
  axes.forEach((a, i) => (pairs[a] = [pads[i], pads[i + axes.length]]));
  if (pairs.some(([a, b]) => a < 0 || b < 0))
    ctx.fail('negative pads (cropping) are not supported');
  const nhwc = meta.layout === 'nhwc';
  const phys = nhwc ? [pairs[0], pairs[2], pairs[3], pairs[1]] : pairs;
  const run = (x: tf.Tensor): tf.Tensor => {
    if (mode === 'constant') return tf.pad(x, phys, value);
    if (mode === 'reflect') return reflectPad(x, phys);
    return ctx.fail(`pad mode '${mode}' is not supported`);
  };
  if (mode !== 'constant' && mode !== 'reflect') ctx.fail(`pad mode '${mode}' is not supported`);
  return { layout: nhwc ? 'nhwc' : 'plain', run: ([x]) => run(nhwc ? x! : materialize(x!, meta)) };
};

const slice: OpCompiler = (ctx) => {
  const meta = computed(ctx);
  const shape = meta.logical;
  const rank = shape.length;
  const get = (i: number, name: string) =>
    ctx.opset < 10
      ? (ctx.node.attrs.get(name) as number[] | undefined)
      : ctx.node.inputs[i]
        ? ctx.hostInts(i)
        : undefined;
  const starts = get(1, 'starts') ?? ctx.fail('its starts must be known at load');
  const ends = get(2, 'ends') ?? ctx.fail('its ends must be known at load');
  const axes = (get(3, 'axes') ?? starts.map((_, i) => i)).map((a) => norm(a, rank));
  const steps =
    (ctx.opset >= 10 && ctx.node.inputs[4] ? ctx.hostInts(4) : undefined) ?? axes.map(() => 1);
  if (axes.some((a) => meta.batched?.[a])) ctx.fail('slicing the batch axis is not supported');
  // Per sliced axis, the indices taken (ONNX's clamping; negative steps walk backwards).
  const picks = axes.map((a, i) => {
    const n = shape[a],
      st = steps[i];
    if (st === 0) ctx.fail('a slice step of 0 is not allowed');
    const wrap = (v: number) => (v < 0 ? v + n : v);
    const [lo, hi] = st > 0 ? [0, n] : [-1, n - 1];
    const b = Math.max(lo, Math.min(hi, wrap(starts[i]))),
      e = Math.max(lo, Math.min(hi, wrap(ends[i])));
    const idx: number[] = [];
    for (let k = b; st > 0 ? k < e : k > e; k += st) idx.push(k);
    return { axis: a, idx };
  });
  // tfjs's StridedSlice has no gradient: a contiguous run is a slice (unsliced axes whole, -1), a
  // strided or reversed one a gather of constant indices.
  const begin = shape.map(() => 0),
    size = shape.map(() => -1);
  const gathers: Array<{ axis: number; indices: tf.Tensor1D }> = [];
  for (const { axis, idx } of picks) {
    const contiguous = idx.every((v, k) => v === idx[0] + k);
    if (contiguous) {
      begin[axis] = idx[0] ?? 0;
      size[axis] = idx.length;
    } else gathers.push({ axis, indices: ctx.keep(tf.tensor1d(idx, 'int32')) });
  }
  const sliced = begin.some((v) => v !== 0) || size.some((v, a) => v !== -1 && v !== shape[a]);
  return {
    layout: 'plain',
    run: ([x]) => {
      const l = materialize(x!, meta);
      return gathers.reduce(
        (t, g) => tf.gather(t, g.indices, g.axis),
        sliced ? tf.slice(l, begin, size) : l,
      );
    },
  };
};

const gather: OpCompiler = (ctx) => {
  const meta = computed(ctx);
  const axis = norm(ctx.attr('axis', 0), meta.logical.length);
  const idx = ctx.host(1) ?? ctx.fail('its indices must be known at load');
  if (meta.batched?.[axis]) ctx.fail('gathering along the batch axis is not supported');
  const indices = ctx.keep(
    tf.tensor(
      Int32Array.from(idx.data, (v) => (v < 0 ? v + meta.logical[axis] : v)),
      [...idx.dims],
      'int32',
    ),
  );
  return { layout: 'plain', run: ([x]) => tf.gather(materialize(x!, meta), indices, axis) };
};

function softmax(log: boolean): OpCompiler {
  return (ctx) => {
    const meta = computed(ctx);
    const rank = meta.logical.length;
    const axis = norm(ctx.attr('axis', ctx.opset < 13 ? 1 : -1), rank);
    const fn = (x: tf.Tensor) => (log ? tf.logSoftmax(x) : tf.softmax(x));
    if (meta.layout === 'nhwc' && axis === 1) return { layout: 'nhwc', run: ([x]) => fn(x!) };
    return {
      layout: 'plain',
      run: ([x]) => {
        const l = materialize(x!, meta);
        if (ctx.opset < 13)
          return fn(l.reshape([l.shape.slice(0, axis).reduce((a, b) => a * b, 1), -1])).reshape(
            l.shape,
          );
        if (axis === rank - 1) return fn(l);
        const perm = [...Array(rank).keys()].filter((a) => a !== axis).concat(axis);
        const back = perm.map((_, i) => perm.indexOf(i));
        return tf.transpose(fn(tf.transpose(l, perm)), back);
      },
    };
  };
}

type ReduceKind = 'mean' | 'max' | 'min' | 'sum' | 'prod' | 'l1' | 'l2' | 'sumSquare' | 'logSumExp';

const REDUCERS: Record<ReduceKind, (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor> = {
  mean: (x, a, k) => tf.mean(x, a, k),
  max: (x, a, k) => tf.max(x, a, k),
  min: (x, a, k) => tf.min(x, a, k),
  sum: (x, a, k) => tf.sum(x, a, k),
  prod: (x, a, k) => tf.prod(x, a, k),
  l1: (x, a, k) => tf.sum(tf.abs(x), a, k),
  // The norm's gradient at an all-zero slice is taken as 0 (as PyTorch does), not 0/0.
  l2: (x, a, k) => tf.sqrt(tf.maximum(tf.sum(tf.square(x), a, k), 1e-30)),
  sumSquare: (x, a, k) => tf.sum(tf.square(x), a, k),
  logSumExp: (x, a, k) => tf.logSumExp(x, a, k),
};

function reduce(kind: ReduceKind): OpCompiler {
  return (ctx) => {
    const meta = computed(ctx);
    const rank = meta.logical.length;
    // ReduceSum takes axes as an input from opset 13, the others from 18.
    const asInput = kind === 'sum' ? ctx.opset >= 13 : ctx.opset >= 18;
    const fn = REDUCERS[kind];
    const axes =
      (asInput
        ? axesOf(ctx, 1, rank)
        : ((ctx.node.attrs.get('axes') as number[] | undefined)?.map((a) => norm(a, rank)) ??
          null)) ?? (ctx.attr('noop_with_empty_axes', 0) ? [] : [...Array(rank).keys()]);
    const keep = ctx.attr('keepdims', 1) === 1;
    const op = (x: tf.Tensor, ax: number[], k: boolean) => (ax.length === 0 ? x : fn(x, ax, k));
    if (meta.layout === 'nhwc') {
      const phys = axes.map((a) => NHWC_AXIS[a]);
      if (keep) return { layout: 'nhwc', run: ([x]) => op(x!, phys, true) };
      const left = [0, 1, 2, 3].filter((a) => !axes.includes(a));
      const physLeft = left.map((a) => NHWC_AXIS[a]).sort();
      const order = left.map((a) => physLeft.indexOf(NHWC_AXIS[a]));
      const identity = order.every((o, i) => o === i);
      return {
        layout: 'plain',
        run: ([x]) => (identity ? op(x!, phys, false) : tf.transpose(op(x!, phys, false), order)),
      };
    }
    return { layout: 'plain', run: ([x]) => op(materialize(x!, meta), axes, keep) };
  };
}

export const SHAPE_OPS: Record<string, OpCompiler> = {
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Pad: pad,
  Slice: slice,
  Gather: gather,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  ReduceMean: reduce('mean'),
  ReduceMax: reduce('max'),
  ReduceMin: reduce('min'),
  ReduceSum: reduce('sum'),
  ReduceProd: reduce('prod'),
  ReduceL1: reduce('l1'),
  ReduceL2: reduce('l2'),
  ReduceSumSquare: reduce('sumSquare'),
  ReduceLogSumExp: reduce('logSumExp'),
};

export type { Compiled };
