/**
 * What the black-box methods share (RISE, Sobol, HSIC, LIME, KernelSHAP, feature ablation): they
 * read the model through forward passes only — perturbed copies of one image, built on the host a
 * chunk at a time and scored by the target's probability (the class's, for a logits target; the
 * reading itself otherwise: chunks.ts outputScores), which an ONNX model runs on onnxruntime. Each
 * image is explained on its own, with samples drawn from the call's seed alone, so an image's map
 * does not depend on its batch. A method's map is a heat per pixel, repeated over the channels.
 */
import * as tf from '@tensorflow/tfjs';
import { neutral } from '../model/neutral.js';
import type { ResolvedTarget } from '../objectives/target.js';
import type { Options } from '../options.js';
import { scoreFilled } from './chunks.js';
import type { ExplainContext, Explanation } from './method.js';
import {
  FEATURE_OPTIONS,
  gridSegments,
  maskSegments,
  slic,
  type Segmentation,
} from './segments.js';

/** One image as a black-box method sees it. */
export interface ImageJob {
  readonly index: number;
  /** [H·W·C] pixels. */
  readonly pixels: Float32Array;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** The value a removed pixel takes (the model's neutral value). */
  readonly base: number;
  /** Scores `rows` perturbed copies written by fill(row, dst) ([H·W·C] each). */
  score(rows: number, fill: (row: number, dst: Float32Array) => void): Float32Array;
}

export const imageTarget = (t: ResolvedTarget, i: number): ResolvedTarget => ({
  ...t,
  units: [t.units[i]],
  neurons: t.neurons ? [t.neurons[i]] : undefined,
});

/** Runs `one` on every image; its [H·W] heat becomes the heat and, repeated over channels, the map. */
export function perImage(ctx: ExplainContext, one: (job: ImageJob) => Float32Array): Explanation {
  const [n, h, w, c] = ctx.x.shape;
  const pixels = ctx.x.dataSync() as Float32Array;
  const heat = new Float32Array(n * h * w);
  const base = neutral(ctx.model);
  for (let i = 0; i < n; i++) {
    const t = imageTarget(ctx.target, i);
    const job: ImageJob = {
      index: i,
      pixels: pixels.subarray(i * h * w * c, (i + 1) * h * w * c),
      h,
      w,
      c,
      base,
      score: (rows, fill) =>
        scoreFilled(ctx.model, t, 1, rows, (_, r, dst) => fill(r, dst), { maxBatch: ctx.maxBatch }),
    };
    heat.set(one(job), i * h * w);
  }
  return tf.tidy(() => {
    const hm = tf.tensor3d(heat, [n, h, w]);
    return { heat: hm, map: hm.expandDims(3).tile([1, 1, 1, c]) as tf.Tensor4D };
  });
}

/** The image's interpretable features: the caller's mask, else SLIC or a grid. */
export function featuresOf(
  ctx: ExplainContext,
  o: Options<typeof FEATURE_OPTIONS>,
  job: ImageJob,
): Segmentation {
  if (ctx.featureMask) return maskSegments(ctx.featureMask, job.h, job.w);
  return o.features === 'grid'
    ? gridSegments(job.h, job.w, o.segments)
    : slic(job.pixels, job.h, job.w, job.c, ctx.model.input.range, o.segments);
}

/** Scores of coalitions (rows × count, 1 = the feature kept, 0 = set to the base value). */
export function coalitionScores(
  job: ImageJob,
  seg: Segmentation,
  coalitions: Uint8Array,
  rows: number,
): Float32Array {
  const { pixels, c, base } = job;
  return job.score(rows, (r, dst) => {
    const on = coalitions.subarray(r * seg.count, (r + 1) * seg.count);
    for (let p = 0; p < seg.labels.length; p++) {
      const keep = on[seg.labels[p]] === 1;
      for (let ch = 0; ch < c; ch++) dst[p * c + ch] = keep ? pixels[p * c + ch] : base;
    }
  });
}

/** Per-pixel heat from per-feature values. */
export const spread = (seg: Segmentation, values: ArrayLike<number>): Float32Array =>
  Float32Array.from(seg.labels, (l) => values[l]);

/** Solves the symmetric positive definite system A x = b (n × n, row-major) by Cholesky; A is overwritten. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] ** 2;
    d = Math.sqrt(Math.max(d, 1e-300));
    a[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= a[i * n + k] * y[k];
    y[i] = s / a[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= a[k * n + i] * y[k];
    y[i] = s / a[i * n + i];
  }
  return y;
}

/** Weighted least squares: min Σ w_r (y_r − x_r·β)² + ridge·|β|² (rows × n design, row-major); ridge > 0 keeps it solvable. */
export function weightedLeastSquares(
  x: Float64Array,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  n: number,
  ridge: number,
): Float64Array {
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const wr = w[r];
    if (wr === 0) continue;
    for (let i = 0; i < n; i++) {
      if (row[i] === 0) continue;
      const wi = wr * row[i];
      b[i] += wi * y[r];
      for (let j = 0; j <= i; j++) a[i * n + j] += wi * row[j];
    }
  }
  for (let i = 0; i < n; i++) {
    a[i * n + i] += ridge;
    for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  }
  return solveSpd(a, b, n);
}
