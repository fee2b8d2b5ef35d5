/**
 * Resize (opsets 10–19) as one interpolation matrix per resized axis, applied with a matrix
 * product: nearest, linear and cubic (with antialias and exclude_outside), every coordinate
 * transformation but tf_crop_and_resize. The matrices follow the ONNX reference (neighbours of
 * x_original with edge padding, the ratio in (0, 1]), are built once at load and differentiate
 * like any product — which is what a position-embedding interpolation needs.
 */
import * as tf from '@tensorflow/tfjs';
import { materialize, NHWC_AXIS } from './layout.js';
import type { OpCompiler, OpCtx } from './op_types.js';

export interface ResizeAttrs {
  readonly mode: string;
  readonly transform: string;
  readonly nearest: string;
  readonly a: number;
  readonly excludeOutside: boolean;
  readonly antialias: boolean;
}

function originalCoordinate(
  x: number,
  scale: number,
  inSize: number,
  outSize: number,
  transform: string,
): number {
  const outWidth = scale * inSize; // the reference divides by the float width
  switch (transform) {
    case 'align_corners':
      return outWidth === 1 ? 0 : (x * (inSize - 1)) / (outWidth - 1);
    case 'asymmetric':
      return x / scale;
    case 'pytorch_half_pixel':
      return outWidth === 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const offset = (inSize / 2) * (1 - outSize / outWidth);
      return offset + (x + 0.5) / scale - 0.5;
    }
    default:
      return (x + 0.5) / scale - 0.5; // half_pixel
  }
}

function cubicAt(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
  if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
  return 0;
}

/** Coefficients on neighbours base + start … for a ratio in (0, 1], as the reference computes them. */
function coefficients(
  ratio: number,
  scale: number,
  at: ResizeAttrs,
): { start: number; c: number[] } {
  if (at.mode === 'nearest') {
    if (Number.isInteger(ratio)) return { start: 0, c: [0, 1] };
    const up =
      at.nearest === 'ceil' ||
      (at.nearest === 'round_prefer_ceil' ? ratio >= 0.5 : at.nearest !== 'floor' && ratio > 0.5);
    return { start: 0, c: up ? [0, 1] : [1, 0] };
  }
  const s = at.antialias ? Math.min(scale, 1) : 1;
  if (at.mode === 'linear') {
    if (s === 1) return { start: 0, c: [1 - ratio, ratio] };
    const start = Math.floor(-1 / s) + 1;
    const c = Array.from({ length: 2 - 2 * start }, (_, k) =>
      Math.max(0, Math.min(1, 1 - Math.abs((start + k - ratio) * s))),
    );
    const sum = c.reduce((p, q) => p + q, 0);
    return { start, c: c.map((v) => v / sum) };
  }
  if (s === 1) return { start: -1, c: [-1, 0, 1, 2].map((k) => cubicAt(k - ratio, at.a)) };
  const start = Math.floor(-2 / s) + 1;
  const c = Array.from({ length: 2 - 2 * start }, (_, k) => cubicAt(s * (start + k - ratio), at.a));
  const sum = c.reduce((p, q) => p + q, 0);
  return { start, c: c.map((v) => v / sum) };
}

/** The [outSize, inSize] matrix of one axis. */
export function interpolationMatrix(
  inSize: number,
  outSize: number,
  scale: number,
  at: ResizeAttrs,
): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let x = 0; x < outSize; x++) {
    const xo = originalCoordinate(x, scale, inSize, outSize, at.transform);
    const base = Number.isInteger(xo) ? xo - 1 : Math.floor(xo);
    const ratio = Number.isInteger(xo) ? 1 : xo - base;
    const { start, c } = coefficients(ratio, scale, at);
    // Linear and nearest take base and base + 1; cubic base − 1 … base + 2; antialias wider.
    const first = at.mode === 'cubic' || at.antialias ? base + start : base;
    const w = c.map((v, k) =>
      at.excludeOutside && (first + k < 0 || first + k >= inSize) ? 0 : v,
    );
    const sum = at.excludeOutside ? w.reduce((p, q) => p + q, 0) : 1;
    w.forEach((v, k) => {
      const i = Math.max(0, Math.min(inSize - 1, first + k)); // edge padding
      m[x * inSize + i] += v / sum;
    });
  }
  return m;
}

/** x with `matrix` [m, n] applied along `axis` (of size n). */
function along(x: tf.Tensor, axis: number, matrix: tf.Tensor2D): tf.Tensor {
  const last = x.rank - 1;
  const perm = [...Array(x.rank).keys()];
  [perm[axis], perm[last]] = [perm[last], perm[axis]];
  const moved = axis === last ? x : tf.transpose(x, perm);
  const n = moved.shape[last];
  const out = tf
    .matMul(moved.reshape([-1, n]), matrix, false, true)
    .reshape([...moved.shape.slice(0, -1), matrix.shape[0]]);
  return axis === last ? out : tf.transpose(out, perm);
}

/** What a Resize node does to a tensor of logical `shape`: per axis, the output size and scale, and the interpolation. */
export interface ResizePlan {
  readonly at: ResizeAttrs;
  readonly sizes: readonly number[];
  readonly scales: readonly number[];
  /** Axes whose size or scale changes. */
  readonly resized: readonly number[];
}

/**
 * The plan of a Resize node from its attributes and its constant scales / sizes (the importer's
 * compile and the gradient graph's VJP share it).
 */
export function resizePlan(
  shape: readonly number[],
  opset: number,
  attr: <T>(name: string, fallback: T) => T,
  fail: (why: string) => never,
  scalesIn: ArrayLike<number> | undefined,
  sizesIn: readonly number[] | undefined,
  axesAttr: readonly number[] | undefined,
): ResizePlan {
  const rank = shape.length;
  const mode = attr<string>('mode', 'nearest');
  const at: ResizeAttrs = {
    mode,
    transform:
      opset < 11 ? 'asymmetric' : attr<string>('coordinate_transformation_mode', 'half_pixel'),
    nearest: attr<string>('nearest_mode', 'round_prefer_floor'),
    a: attr<number>('cubic_coeff_a', -0.75),
    excludeOutside: attr<number>('exclude_outside', 0) === 1,
    antialias: attr<number>('antialias', 0) === 1 && mode !== 'nearest',
  };
  if (!['nearest', 'linear', 'cubic'].includes(at.mode)) fail(`mode '${at.mode}' is not supported`);
  if (at.transform === 'tf_crop_and_resize')
    fail("coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  const axes = axesAttr?.map((a) => (a < 0 ? a + rank : a)) ?? [...Array(rank).keys()];
  const scales = shape.map(() => 1),
    sizes = [...shape];
  if (sizesIn?.length) {
    let ratios = axes.map((a, k) => sizesIn[k] / shape[a]);
    const policy = attr<string>('keep_aspect_ratio_policy', 'stretch');
    if (policy !== 'stretch') {
      const r = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      ratios = ratios.map(() => r);
      axes.forEach((a) => (sizes[a] = Math.floor(r * shape[a] + 0.5)));
    } else axes.forEach((a, k) => (sizes[a] = sizesIn[k]));
    axes.forEach((a, k) => (scales[a] = ratios[k]));
  } else if (scalesIn && scalesIn.length) {
    axes.forEach((a, k) => {
      scales[a] = Number(scalesIn[k]);
      sizes[a] = Math.floor(shape[a] * scales[a]);
    });
  } else fail('has neither scales nor sizes');
  const resized = shape.map((d, a) => a).filter((a) => sizes[a] !== shape[a] || scales[a] !== 1);
  return { at, sizes, scales, resized };
}

const resize: OpCompiler = (ctx: OpCtx) => {
  const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
  const shape = meta.logical;
  const [scalesAt, sizesAt] = ctx.opset < 11 ? [1, -1] : [2, 3];
  const scalesIn = ctx.node.inputs[scalesAt] ? ctx.host(scalesAt) : undefined;
  const sizesIn = sizesAt > 0 && ctx.node.inputs[sizesAt] ? ctx.hostInts(sizesAt) : undefined;
  if (
    (ctx.node.inputs[scalesAt] && !scalesIn) ||
    (sizesAt > 0 && ctx.node.inputs[sizesAt] && !sizesIn)
  )
    ctx.fail('its scales or sizes must be known at load');
  const plan = resizePlan(
    shape,
    ctx.opset,
    (n, f) => ctx.attr(n, f as never) as never,
    (w) => ctx.fail(w),
    scalesIn?.data,
    sizesIn,
    ctx.node.attrs.get('axes') as number[] | undefined,
  );
  const { at, sizes, scales } = plan;
  // The batch axis keeps its size whatever the sizes input says (a folded Shape gives the probe's).
  const resized = plan.resized.filter((a) => !meta.batched?.[a]);
  const nhwc = meta.layout === 'nhwc';
  const mats = resized.map((a) => ({
    axis: nhwc ? NHWC_AXIS[a] : a,
    m: ctx.keep(
      tf.tensor2d(interpolationMatrix(shape[a], sizes[a], scales[a], at), [sizes[a], shape[a]]),
    ),
  }));
  return {
    layout: nhwc ? 'nhwc' : 'plain',
    run: ([x]) =>
      mats.reduce((t, { axis, m }) => along(t, axis, m), nhwc ? x! : materialize(x!, meta)),
  };
};

export const RESIZE_OPS: Record<string, OpCompiler> = { Resize: resize, Upsample: resize };
