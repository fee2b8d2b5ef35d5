/**
 * Randomisation checks of Quantus (Sixt et al. 2020; Hedström et al. 2023), each with Quantus's
 * defaults, on the per-pixel heat:
 * - random logit (Sixt et al. 2020): the map for the target against the map for a random other
 *   class of the same layer, compared by SSIM (scikit-image's, over the flattened maps, window 7,
 *   as Quantus calls it), maps normalised by their maximum — lower is better;
 * - smooth MPRT (Hedström et al. 2023): MPRT with each map averaged over 50 noisy copies of the
 *   input (σ = 0.1 × the image's value range; the last copy noiseless), normalised by the square
 *   root of the mean square and made absolute; Spearman's ρ between the maps of the model and of the
 *   model with every parameter layer randomized (randomization.ts) — |ρ|, lower is better;
 * - efficient MPRT (Hedström et al. 2023): the relative rise of the map's complexity (the
 *   discrete entropy of its 100-bin histogram) from the model to the fully randomized one,
 *   (H_random − H) / H — higher is better.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import type { ResolvedTarget } from '../objectives/target.js';
import {
  elapsed,
  type Explainer,
  type MetricContext,
  type MetricResult,
} from './metric_context.js';
import { parameterLayers, randomizeLayer } from './randomization.js';
import { entropy } from './complexity.js';
import { spearman } from './stats.js';

/** scikit-image's structural_similarity of two 1-D signals (window 7, K1 0.01, K2 0.03, sample covariance, data range of both). */
export function ssim1d(a: ArrayLike<number>, b: ArrayLike<number>, win = 7): number {
  const n = a.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, a[i], b[i]);
    hi = Math.max(hi, a[i], b[i]);
  }
  const range = hi - lo;
  if (range === 0) return 1;
  const [c1, c2] = [(0.01 * range) ** 2, (0.03 * range) ** 2];
  const norm = win / (win - 1);
  const pad = (win - 1) / 2;
  let total = 0;
  let count = 0;
  for (let i = pad; i < n - pad; i++) {
    let [ux, uy, uxx, uyy, uxy] = [0, 0, 0, 0, 0];
    for (let k = i - pad; k <= i + pad; k++) {
      ux += a[k];
      uy += b[k];
      uxx += a[k] * a[k];
      uyy += b[k] * b[k];
      uxy += a[k] * b[k];
    }
    [ux, uy, uxx, uyy, uxy] = [ux / win, uy / win, uxx / win, uyy / win, uxy / win];
    const [vx, vy, vxy] = [norm * (uxx - ux * ux), norm * (uyy - uy * uy), norm * (uxy - ux * uy)];
    total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    count++;
  }
  return total / count;
}

const byMax = (h: Float32Array): Float32Array => {
  const m = h.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
  return m > 0 ? h.map((v) => v / m) : h;
};
const bySecondMoment = (h: Float32Array): Float32Array => {
  const r = Math.sqrt(h.reduce((s, v) => s + v * v, 0) / h.length);
  return r > 0 ? h.map((v) => v / r) : h;
};
const perImage = <T>(heat: Float32Array, n: number, f: (h: Float32Array, i: number) => T): T[] =>
  Array.from({ length: n }, (_, i) =>
    f(heat.subarray((i * heat.length) / n, ((i + 1) * heat.length) / n), i),
  );

export function randomLogit(ctx: MetricContext, explain: Explainer): MetricResult {
  const started = performance.now();
  const n = ctx.x.shape[0];
  const classes = ctx.t.layer.units;
  const rng = new Rng(ctx.seed ?? 0);
  const others = ctx.t.units.map((u) => {
    const k = rng.int(classes - 1);
    return k >= u ? k + 1 : k;
  });
  const other = explain(ctx.model, ctx.x, { ...ctx.t, units: others }).heat;
  const scores = perImage(ctx.maps.heat, n, (h, i) =>
    ssim1d(byMax(h), byMax(other.subarray(i * h.length, (i + 1) * h.length))),
  );
  return {
    metric: 'random-logit',
    scores,
    higherIsBetter: false,
    seconds: elapsed(started),
    params: {
      similarity: 'SSIM (scikit-image, flattened maps, window 7)',
      normalise: 'by the maximum',
      otherClass: 'uniform among the other units of the target layer',
      seed: ctx.seed ?? 0,
      reference: 'Sixt et al. 2020; Quantus RandomLogit',
    },
  };
}

/** fn with every parameter layer of the model randomized (cascading), restored after. */
function withRandomModel<T>(model: VisModel, seed: number, fn: () => T): T {
  const rng = new Rng(seed);
  const restores: Array<() => void> = [];
  try {
    for (const layer of parameterLayers(model)) restores.push(randomizeLayer(model, layer, rng));
    return fn();
  } finally {
    while (restores.length) restores.pop()!();
  }
}

/** The mean heat over `samples` noisy copies of x (σ = noise × each image's value range; the last copy noiseless). */
function smoothHeat(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  explain: Explainer,
  samples: number,
  noise: number,
  seed: number,
): Float32Array {
  const [n, h, w, c] = x.shape;
  const rng = new Rng(seed);
  const pixels = x.dataSync();
  const size = h * w * c;
  const sigma = Array.from({ length: n }, (_, i) => {
    const v = pixels.subarray(i * size, (i + 1) * size);
    return noise * (Math.max(...v) - Math.min(...v));
  });
  const sum = new Float32Array(n * h * w);
  for (let s = 0; s < samples; s++) {
    const noisy =
      s === samples - 1
        ? x
        : tf.tensor4d(
            Float32Array.from(pixels, (v, k) => v + sigma[Math.floor(k / size)] * rng.normal()),
            [n, h, w, c],
          );
    const heat = explain(model, noisy, t).heat;
    if (noisy !== x) noisy.dispose();
    heat.forEach((v, k) => (sum[k] += v / samples));
  }
  return sum;
}

export function smoothMprt(
  ctx: MetricContext,
  explain: Explainer,
  args: { samples?: number; noise?: number } = {},
): MetricResult {
  const started = performance.now();
  const samples = args.samples ?? 50;
  const noise = args.noise ?? 0.1;
  const n = ctx.x.shape[0];
  const seed = ctx.seed ?? 0;
  const prep = (h: Float32Array) => bySecondMoment(h).map(Math.abs);
  const original = smoothHeat(ctx.model, ctx.x, ctx.t, explain, samples, noise, seed);
  const random = withRandomModel(ctx.model, seed, () =>
    smoothHeat(ctx.model, ctx.x, ctx.t, explain, samples, noise, seed),
  );
  const scores = perImage(original, n, (h, i) => {
    const r = spearman(prep(h), prep(random.subarray(i * h.length, (i + 1) * h.length)));
    return Number.isNaN(r) ? 0 : Math.abs(r);
  });
  return {
    metric: 'smooth-mprt',
    scores,
    higherIsBetter: false,
    seconds: elapsed(started),
    params: {
      samples,
      noise: `${noise} × each image's value range, the last copy noiseless`,
      similarity: 'spearman',
      normalise: 'square root of the mean square',
      abs: true,
      randomization: 'every parameter layer (cascading, bottom-up)',
      score: '|ρ| with the whole model randomized',
      seed,
      reference: 'Hedström et al. 2023; Quantus SmoothMPRT',
    },
  };
}

/** The discrete entropy of v's histogram in `bins` equal bins over [min, max] (numpy.histogram, scipy.stats.entropy). */
export function histogramEntropy(v: ArrayLike<number>, bins = 100): number {
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
  }
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const counts = new Float64Array(bins);
  for (let i = 0; i < v.length; i++)
    counts[Math.min(bins - 1, Math.floor(((v[i] - lo) / (hi - lo)) * bins))]++;
  return entropy(counts.filter((c) => c > 0));
}

export function efficientMprt(ctx: MetricContext, explain: Explainer): MetricResult {
  const started = performance.now();
  const n = ctx.x.shape[0];
  const seed = ctx.seed ?? 0;
  const random = withRandomModel(ctx.model, seed, () => explain(ctx.model, ctx.x, ctx.t).heat);
  const scores = perImage(ctx.maps.heat, n, (h, i) => {
    const before = histogramEntropy(h);
    return before > 0
      ? (histogramEntropy(random.subarray(i * h.length, (i + 1) * h.length)) - before) / before
      : NaN;
  });
  return {
    metric: 'efficient-mprt',
    scores,
    higherIsBetter: true,
    seconds: elapsed(started),
    params: {
      complexity: 'discrete entropy of a 100-bin histogram',
      normalise: false,
      abs: false,
      randomization: 'every parameter layer',
      score: '(H_random − H) / H',
      seed,
      reference: 'Hedström et al. 2023; Quantus EfficientMPRT',
    },
  };
}
