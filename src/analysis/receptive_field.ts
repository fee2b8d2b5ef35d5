/**
 * Receptive fields computed from the layer chain itself: the input pixels a spatial neuron can
 * depend on are the support of its gradient once every ReLU passes the signal whatever its state
 * and max-pooling spreads it over the whole window (rules.ts) — then no data, dead unit or pooling
 * switch can hide part of the field, and the same code serves layers models and graph models
 * (strides, padding, dilations, depthwise and separable convolutions, pooling, whatever the ops).
 *
 * For conv/pool chains the field of neuron (x, y) is X(x) × Y(y): one batched backward pass over
 * one row and one column of neurons gives every position's box, borders and padding included.
 *
 * After attention (a ViT's token layers) every token depends on every pixel: the field is the
 * whole image at every position, which says nothing about where a token looks. There the boxes
 * are the effective receptive field instead (Luo et al. 2016): per row and column, the band around
 * the gradient's peak that holds 90% of its magnitude (from the same pass), and `effective` says so.
 */
import { tidyData } from '../engine/read.js';
import * as tf from '@tensorflow/tfjs';
import { withRules } from '../engine/rules.js';
import { oneHot } from '../engine/one_hot.js';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';

export interface Box {
  /** Inclusive top-left, exclusive bottom-right, in input pixels. */
  y0: number;
  x0: number;
  y1: number;
  x1: number;
}

export interface ReceptiveFields {
  readonly layer: string;
  /** Per output row y: [y0, y1) in input pixels; per output column x: [x0, x1). */
  readonly rows: Array<[number, number]>;
  readonly cols: Array<[number, number]>;
  /** Size and stride of an interior field (the largest field; the step between neighbours). */
  readonly size: [number, number];
  readonly stride: [number, number];
  /** Set when the true field is the whole image at every position and the boxes hold this share of the gradient's magnitude instead. */
  readonly effective?: { readonly mass: number };
}

/** Share of the gradient's magnitude an effective receptive field holds. */
export const EFFECTIVE_MASS = 0.9;

export function boxAt(rf: ReceptiveFields, x: number, y: number): Box {
  const [y0, y1] = rf.rows[Math.min(y, rf.rows.length - 1)];
  const [x0, x1] = rf.cols[Math.min(x, rf.cols.length - 1)];
  return { y0, x0, y1, x1 };
}

/**
 * The band [lo, hi) of rows or columns around the peak of copy `copy`'s gradient magnitude that
 * holds `mass` of it: grown from the peak row (column) toward the heavier neighbour.
 */
function massExtent(
  g: ArrayLike<number>,
  h: number,
  w: number,
  copy: number,
  axis: 'y' | 'x',
  mass: number,
): [number, number] {
  const n = axis === 'y' ? h : w;
  const marginal = new Float64Array(n);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) marginal[axis === 'y' ? y : x] += g[copy * h * w + y * w + x];
  const total = marginal.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return [0, n];
  let lo = marginal.indexOf(Math.max(...marginal));
  let hi = lo + 1;
  let acc = marginal[lo];
  while (acc < mass * total && (lo > 0 || hi < n)) {
    if (hi >= n || (lo > 0 && marginal[lo - 1] >= marginal[hi])) acc += marginal[--lo];
    else acc += marginal[hi++];
  }
  return [lo, hi];
}

function extent(
  mask: ArrayLike<number>,
  h: number,
  w: number,
  copy: number,
  axis: 'y' | 'x',
): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[copy * h * w + y * w + x]) continue;
      const v = axis === 'y' ? y : x;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v + 1);
    }
  }
  return hi > lo ? [lo, hi] : [0, axis === 'y' ? h : w];
}

export function receptiveFields(model: VisModel, layerName: string, seed = 0): ReceptiveFields {
  const layer = model.layer(layerName);
  const [h, w, c] = model.input.shape;
  // A flat layer, or attention probabilities (queries × keys, not image positions): the whole image.
  if (layer.outputShape.length !== 3 || layer.attention) {
    return { layer: layer.name, rows: [[0, h]], cols: [[0, w]], size: [h, w], stride: [0, 0] };
  }
  const [oh, ow] = layer.outputShape;
  const cy = Math.floor(oh / 2);
  const cx = Math.floor(ow / 2);
  // Copies 0..ow−1: neurons (x, cy); copies ow..ow+oh−1: neurons (cx, y).
  const where = [
    ...Array.from({ length: ow }, (_, x) => cy * ow + x),
    ...Array.from({ length: oh }, (_, y) => y * ow + cx),
  ];
  const n = where.length;
  const [lo, hi] = model.input.range;
  const mask = withRules({ relu: 'linear', unpool: 'nearest' }, () =>
    tidyData(() => {
      const x = tf.randomUniform([n, h, w, c], lo, hi, 'float32', new Rng(seed).seed());
      const at = oneHot(where, oh * ow).reshape([n, oh, ow, 1]);
      const g = tf.grad((xi: tf.Tensor) => {
        const [act] = model.activations(xi as tf.Tensor4D, [layer.name]);
        return act.mul(at).sum();
      })(x);
      return g.abs().sum(3);
    }),
  );
  let cols = Array.from({ length: ow }, (_, x) => extent(mask, h, w, x, 'x'));
  let rows = Array.from({ length: oh }, (_, y) => extent(mask, h, w, ow + y, 'y'));
  const whole =
    oh * ow > 1 &&
    [...rows, ...cols].every(([a, b], i) => a === 0 && b === (i < rows.length ? h : w));
  if (whole) {
    cols = Array.from({ length: ow }, (_, x) => massExtent(mask, h, w, x, 'x', EFFECTIVE_MASS));
    rows = Array.from({ length: oh }, (_, y) =>
      massExtent(mask, h, w, ow + y, 'y', EFFECTIVE_MASS),
    );
  }
  const size: [number, number] = [
    Math.max(...rows.map(([a, b]) => b - a)),
    Math.max(...cols.map(([a, b]) => b - a)),
  ];
  // Clipping at a border only shortens a field: the larger of the two edge steps is the stride.
  const step = (r: Array<[number, number]>, i: number) => {
    if (r.length < 2) return 0;
    const a = Math.min(i, r.length - 2);
    return Math.max(r[a + 1][0] - r[a][0], r[a + 1][1] - r[a][1]);
  };
  const stride: [number, number] = [step(rows, Math.floor(oh / 2)), step(cols, Math.floor(ow / 2))];
  return {
    layer: layer.name,
    rows,
    cols,
    size,
    stride,
    ...(whole ? { effective: { mass: EFFECTIVE_MASS } } : {}),
  };
}

/**
 * The one crop of a receptive field: the values inside `box` [h, w, c] — or, with `size` (the
 * layer's interior field size, so every crop of a layer has the same size and border neurons keep
 * their place), a window of that size anchored on the box: a border field clipped on one side is
 * anchored on the side that was not clipped, and the parts outside the image are `fill`.
 */
export function crop(
  values: ArrayLike<number>,
  shape: readonly [number, number, number],
  box: Box,
  size: readonly [number, number] = [box.y1 - box.y0, box.x1 - box.x0],
  fill = 0,
): { values: Float32Array; shape: [number, number, number] } {
  const [h, w, c] = shape;
  const [sh, sw] = size;
  const y0 = box.y0 === 0 && box.y1 - box.y0 < sh ? box.y1 - sh : box.y0;
  const x0 = box.x0 === 0 && box.x1 - box.x0 < sw ? box.x1 - sw : box.x0;
  const out = new Float32Array(sh * sw * c).fill(fill);
  for (let y = 0; y < sh; y++) {
    const sy = y + y0;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < sw; x++) {
      const sx = x + x0;
      if (sx < 0 || sx >= w) continue;
      for (let k = 0; k < c; k++) out[(y * sw + x) * c + k] = values[(sy * w + sx) * c + k];
    }
  }
  return { values: out, shape: [sh, sw, c] };
}
