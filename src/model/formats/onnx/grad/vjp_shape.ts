/**
 * VJP rules of ops that move values around (reshape, transpose, concat, pad, slice, gather, split,
 * tile, expand, where) and of softmax, normalization and reductions. Shapes, pads and indices are
 * the constants the importer folds at load; the batch axis is never sliced or padded here.
 */
import type { Vjp, VjpRule, VjpTable } from './vjp_types.js';

const norm = (a: number, r: number) => (a < 0 ? a + r : a);
const BIG = 2 ** 62;

/** g reshaped back to its input's (runtime) shape. */
const reshapeBack: VjpRule = (v) => [v.op('Reshape', [v.dy, v.op('Shape', [v.x()])]), null];

/** Axes from the attribute or from input i (a constant), normalized; null when neither gives them. */
function axesOf(v: Vjp, i: number, rank: number): number[] | null {
  const name = v.node.inputs[i];
  if (name) {
    const t = v.value(name) ?? v.fail('its axes must be constants');
    return Array.from(t.data, (a) => norm(Number(a), rank));
  }
  const a = v.node.attrs.get('axes') as number[] | undefined;
  return a ? a.map((x) => norm(x, rank)) : null;
}

/** ReduceMean over axes with keepdims (attribute before opset 18, input from 18). */
export function reduceMean(v: Vjp, t: string, axes: readonly number[]): string {
  return v.opset >= 18
    ? v.op('ReduceMean', [t, v.ints(axes)], { keepdims: 1 })
    : v.op('ReduceMean', [t], { axes: [...axes], keepdims: 1 });
}
export const reduceSum = (v: Vjp, t: string, axes: readonly number[]) =>
  v.op('ReduceSum', [t, v.ints(axes)], { keepdims: 1 });

/** A reduction's reduced axes (all when none are given, none with noop_with_empty_axes). */
function reducedAxes(v: Vjp): number[] {
  const rank = v.shape(v.x()).length;
  const inputForm = v.node.op === 'ReduceSum' ? v.opset >= 13 : v.opset >= 18;
  const axes = inputForm
    ? axesOf(v, 1, rank)
    : ((v.node.attrs.get('axes') as number[] | undefined)?.map((a) => norm(a, rank)) ?? null);
  if (axes && axes.length) return axes;
  return v.attr('noop_with_empty_axes', 0) ? [] : [...Array(rank).keys()];
}

/** g (and y) with the reduced axes kept as ones, when the op dropped them. */
const kept = (v: Vjp, t: string, axes: readonly number[]) =>
  v.attr('keepdims', 1) || axes.length === 0 ? t : v.op('Unsqueeze', [t, v.ints(axes)]);

type Reduction = 'sum' | 'mean' | 'extreme' | 'l1' | 'l2' | 'sumsquare' | 'logsumexp' | 'prod';

function reduction(kind: Reduction): VjpRule {
  return (v) => {
    const axes = reducedAxes(v);
    if (axes.length === 0 && kind !== 'l1' && kind !== 'l2' && kind !== 'sumsquare')
      return [v.dy, null];
    const g = kept(v, v.dy, axes);
    const y = () => kept(v, v.y(), axes);
    const shape = v.op('Shape', [v.x()]);
    const spread = () => v.op('Expand', [g, shape]);
    switch (kind) {
      // tfjs's max/min gradient: every position equal to the extreme gets it.
      case 'extreme':
        return [v.op('Where', [v.op('Equal', [v.x(), y()]), spread(), v.floats([0], [])]), null];
      case 'mean': {
        const count = axes.reduce((a, i) => a * v.shape(v.x())[i], 1);
        return [v.op('Expand', [v.op('Mul', [g, v.floats([1 / count], [])]), shape]), null];
      }
      case 'l1':
        return [v.op('Mul', [g, v.op('Sign', [v.x()])]), null];
      case 'l2':
        return [v.op('Mul', [g, v.op('Div', [v.x(), y()])]), null];
      case 'sumsquare':
        return [v.op('Mul', [g, v.op('Mul', [v.x(), v.floats([2], [])])]), null];
      case 'logsumexp':
        return [v.op('Mul', [g, v.op('Exp', [v.op('Sub', [v.x(), y()])])]), null];
      case 'prod':
        return [v.op('Mul', [g, v.op('Div', [y(), v.x()])]), null];
      default:
        return [spread(), null];
    }
  };
}

function softmaxAxis(v: Vjp): number {
  if (v.opset < 13) v.fail('softmax before opset 13 should have been upgraded');
  return norm(v.attr('axis', -1), v.shape(v.x()).length);
}

/**
 * Inverse of a slice of one axis with step st ≥ 1: g's entries back at b, b + st, … of an axis of
 * n. `cur` is g's static shape (batch first), updated.
 */
function unslice(
  v: Vjp,
  g: string,
  cur: number[],
  axis: number,
  b: number,
  st: number,
  n: number,
  batchAxis: number,
): string {
  const rank = cur.length;
  let t = g;
  let len = cur[axis];
  if (st > 1) {
    // st − 1 zeros after each entry: [.., len, ..] → [.., len, st, ..] → [.., len·st, ..].
    t = v.op('Unsqueeze', [t, v.ints([axis + 1])]);
    const pads = Array(2 * (rank + 1)).fill(0);
    pads[rank + 1 + axis + 1] = st - 1;
    t = v.op('Pad', [t, v.ints(pads)]);
    len *= st;
    t = v.op('Reshape', [
      t,
      v.ints(cur.map((d, a) => (a === batchAxis ? -1 : a === axis ? len : d))),
    ]);
  }
  if (b + len > n) {
    t = v.op('Slice', [t, v.ints([0]), v.ints([n - b]), v.ints([axis])]);
    len = n - b;
  }
  cur[axis] = n;
  const pads = Array(2 * rank).fill(0);
  pads[axis] = b;
  pads[rank + axis] = n - b - len;
  return pads.every((p) => p === 0) ? t : v.op('Pad', [t, v.ints(pads)]);
}

/** The constant value of input i as numbers, or a one-line failure. */
const ints = (v: Vjp, i: number, what: string): number[] => {
  const t = v.value(v.node.inputs[i]) ?? v.fail(`its ${what} must be constants`);
  return Array.from(t.data, Number);
};

export const SHAPE_VJP: VjpTable = {
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: (v) => {
    const rank = v.shape(v.x()).length;
    const perm = v.attr<number[]>('perm', [...Array(rank).keys()].reverse());
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [v.op('Transpose', [v.dy], { perm: inverse })];
  },
  Concat: (v) => {
    const rank = v.shape(v.x()).length;
    const axis = norm(v.attr('axis', 0), rank);
    if (v.batched(v.y(), axis)) v.fail('concatenation along the batch axis is not supported');
    const sizes = v.node.inputs.map((name) => v.shape(name)[axis]);
    const parts = v.opN('Split', [v.dy, v.ints(sizes)], sizes.length, { axis });
    return parts.map((p, i) => (v.needs(i) ? p : null));
  },
  Split: (v) => {
    const rank = v.shape(v.x()).length;
    const axis = norm(v.attr('axis', 0), rank);
    const parts = v.node.outputs.map(
      (o, k) => v.dyOf(k) ?? v.op('ConstantOfShape', [v.op('Shape', [o])]),
    );
    return [v.op('Concat', parts, { axis }), null];
  },
  Pad: (v) => {
    const rank = v.shape(v.x()).length;
    const mode = v.attr('mode', 'constant');
    const pads = v.opset < 11 ? v.attr<number[]>('pads', []) : ints(v, 1, 'pads');
    const axes = v.node.inputs[3]
      ? ints(v, 3, 'axes').map((a) => norm(a, rank))
      : [...Array(rank).keys()];
    const pairs = axes
      .map((a, i) => [a, pads[i], pads[i + axes.length]] as const)
      .filter(([, b, e]) => b || e);
    if (pairs.some(([a, b, e]) => v.batched(v.x(), a) || b < 0 || e < 0))
      v.fail('padding the batch axis or cropping is not supported');
    const shape = v.shape(v.x());
    if (mode === 'constant') {
      const starts = pairs.map(([, b]) => b),
        ends = pairs.map(([a, b]) => b + shape[a]);
      return [
        v.op('Slice', [v.dy, v.ints(starts), v.ints(ends), v.ints(pairs.map(([a]) => a))]),
        null,
        null,
        null,
      ];
    }
    if (mode !== 'reflect') v.fail(`pad mode '${mode}' is not supported`);
    // Reflection: the centre, plus each border's gradient reversed and added where it was read from.
    let g = v.dy;
    for (const [a, b, e] of [...pairs].reverse()) {
      const n = shape[a];
      const sl = (s: number, t: number, step: number) =>
        v.op('Slice', [g, v.ints([s]), v.ints([t]), v.ints([a]), v.ints([step])]);
      const padAxis = (t: string, before: number, after: number) => {
        const p = Array(2 * rank).fill(0);
        p[a] = before;
        p[rank + a] = after;
        return v.op('Pad', [t, v.ints(p)]);
      };
      const parts = [sl(b, b + n, 1)];
      if (b) parts.push(padAxis(sl(b - 1, -BIG, -1), 1, n - 1 - b));
      if (e) parts.push(padAxis(sl(b + n + e - 1, b + n - 1, -1), n - 1 - e, 1));
      g = parts.length === 1 ? parts[0] : v.op('Sum', parts);
    }
    return [g, null, null, null];
  },
  Slice: (v) => {
    const shape = v.shape(v.x());
    const rank = shape.length;
    const starts = v.opset < 10 ? v.attr<number[]>('starts', []) : ints(v, 1, 'starts');
    const axes = (
      v.node.inputs[3]
        ? ints(v, 3, 'axes')
        : v.opset < 10
          ? v.attr<number[]>(
              'axes',
              starts.map((_, i) => i),
            )
          : starts.map((_, i) => i)
    ).map((a) => norm(a, rank));
    const steps = v.node.inputs[4] ? ints(v, 4, 'steps') : axes.map(() => 1);
    let g = v.dy;
    const cur = [...v.shape(v.y())];
    const batchAxis = cur.findIndex((_, a) => v.batched(v.y(), a));
    axes.forEach((a, i) => {
      const n = shape[a],
        st = steps[i];
      if (v.batched(v.x(), a)) v.fail('slicing the batch axis is not supported');
      if (st < 1) v.fail('a slice with a negative step is not supported');
      const b = Math.max(0, Math.min(n, starts[i] < 0 ? starts[i] + n : starts[i]));
      g = unslice(v, g, cur, a, b, st, n, batchAxis);
    });
    return [g, null, null, null, null];
  },
  Gather: (v) => {
    const shape = v.shape(v.x());
    const rank = shape.length;
    const axis = norm(v.attr('axis', 0), rank);
    if (v.batched(v.x(), axis)) v.fail('gathering along the batch axis is not supported');
    const idx = v.value(v.x(1)) ?? v.fail('its indices must be constants');
    const n = shape[axis];
    const at = Array.from(idx.data, (i) => norm(Number(i), n));
    if (idx.dims.length === 0) {
      const p = Array(2 * rank).fill(0);
      p[axis] = at[0];
      p[rank + axis] = n - 1 - at[0];
      return [v.op('Pad', [v.op('Unsqueeze', [v.dy, v.ints([axis])]), v.ints(p)]), null];
    }
    // Any index list: dy's index axes merged into one of k entries, times a k×n one-hot matrix
    // along that axis (repeated indices add up).
    const k = at.length;
    const onehot = new Float32Array(k * n);
    at.forEach((i, j) => (onehot[j * n + i] = 1));
    const target = v.reshapeTarget(v.x());
    const g = v.op('Reshape', [
      v.dy,
      v.ints([...target.slice(0, axis), k, ...target.slice(axis + 1)]),
    ]);
    const last = [...Array(rank).keys()].filter((a) => a !== axis).concat(axis);
    const moved = v.op('Transpose', [g], { perm: last });
    const spread = v.op('MatMul', [moved, v.floats(onehot, [k, n])]);
    return [v.op('Transpose', [spread], { perm: last.map((_, i) => last.indexOf(i)) }), null];
  },
  Expand: (v) => [v.reduceTo(v.dy, 0), null],
  Tile: (v) => {
    const shape = v.shape(v.x());
    const reps = ints(v, 1, 'repeats');
    if (shape.some((_, a) => v.batched(v.x(), a) && reps[a] !== 1))
      v.fail('tiling the batch axis is not supported');
    const split = shape.flatMap((d, a) => (v.batched(v.x(), a) ? [1, -1] : [reps[a], d]));
    const summed = v.op(
      'ReduceSum',
      [v.op('Reshape', [v.dy, v.ints(split)]), v.ints(shape.map((_, a) => 2 * a))],
      { keepdims: 0 },
    );
    return [v.op('Reshape', [summed, v.op('Shape', [v.x()])]), null];
  },
  Where: (v) => {
    const zero = v.floats([0], []);
    return [
      null,
      v.needs(1) ? v.reduceTo(v.op('Where', [v.x(0), v.dy, zero]), 1) : null,
      v.needs(2) ? v.reduceTo(v.op('Where', [v.x(0), zero, v.dy]), 2) : null,
    ];
  },
  Softmax: (v) => {
    const axis = softmaxAxis(v);
    const gy = v.op('Mul', [v.dy, v.y()]);
    return [v.op('Sub', [gy, v.op('Mul', [v.y(), reduceSum(v, gy, [axis])])])];
  },
  LogSoftmax: (v) => {
    const axis = softmaxAxis(v);
    return [v.op('Sub', [v.dy, v.op('Mul', [v.op('Exp', [v.y()]), reduceSum(v, v.dy, [axis])])])];
  },
  ReduceSum: reduction('sum'),
  ReduceMean: reduction('mean'),
  ReduceMax: reduction('extreme'),
  ReduceMin: reduction('extreme'),
  ReduceL1: reduction('l1'),
  ReduceL2: reduction('l2'),
  ReduceSumSquare: reduction('sumsquare'),
  ReduceLogSumExp: reduction('logsumexp'),
  ReduceProd: reduction('prod'),
  CumSum: (v) => [
    v.op('CumSum', [v.dy, v.x(1)], {
      exclusive: v.attr('exclusive', 0),
      reverse: v.attr('reverse', 0) ? 0 : 1,
    }),
    null,
  ],
  Trilu: (v) => [
    v.op('Trilu', v.node.inputs[1] ? [v.dy, v.x(1)] : [v.dy], { upper: v.attr('upper', 1) }),
    null,
  ],
  // Data: dy where no update landed (reduction 'add': everywhere); updates: dy gathered at their positions.
  ScatterND: (v) => {
    const add = v.attr('reduction', 'none') === 'add';
    const data = !v.needs(0)
      ? null
      : add
        ? v.dy
        : v.op('ScatterND', [v.dy, v.x(1), v.op('ConstantOfShape', [v.op('Shape', [v.x(2)])])]);
    return [data, null, v.needs(2) ? v.op('GatherND', [v.dy, v.x(1)]) : null];
  },
  Mod: (v) => {
    if (v.needs(1)) v.fail('a computed divisor is not supported');
    if (!v.attr('fmod', 0)) v.fail('integer Mod has no gradient');
    return [v.reduceTo(v.dy, 0), null];
  },
  Gelu: (v) => {
    const x = v.x();
    const c = (n: number) => v.floats([n], []);
    if (v.attr('approximate', 'none') === 'tanh') {
      const k = Math.sqrt(2 / Math.PI);
      const x2 = v.op('Mul', [x, x]);
      const t = v.op('Tanh', [
        v.op('Mul', [c(k), v.op('Add', [x, v.op('Mul', [c(0.044715), v.op('Mul', [x2, x])])])]),
      ]);
      const sech2 = v.op('Sub', [c(1), v.op('Mul', [t, t])]);
      const du = v.op('Mul', [c(k), v.op('Add', [c(1), v.op('Mul', [c(3 * 0.044715), x2])])]);
      const d = v.op('Add', [
        v.op('Mul', [c(0.5), v.op('Add', [c(1), t])]),
        v.op('Mul', [v.op('Mul', [c(0.5), x]), v.op('Mul', [sech2, du])]),
      ]);
      return [v.op('Mul', [v.dy, d])];
    }
    // Φ(x) + x·φ(x)
    const cdf = v.op('Mul', [
      c(0.5),
      v.op('Add', [c(1), v.op('Erf', [v.op('Mul', [x, c(Math.SQRT1_2)])])]),
    ]);
    const pdf = v.op('Mul', [
      c(1 / Math.sqrt(2 * Math.PI)),
      v.op('Exp', [v.op('Mul', [c(-0.5), v.op('Mul', [x, x])])]),
    ]);
    return [v.op('Mul', [v.dy, v.op('Add', [cdf, v.op('Mul', [x, pdf])])])];
  },
};
