/**
 * LIME (Ribeiro et al. 2016) over interpretable features, with Xplique's defaults: 150 coalitions
 * per image, each feature kept with probability 0.5 (a removed one set to the model's neutral
 * value), weighted by the exponential kernel exp(−d² / w²) of the Euclidean distance d between the
 * image and its perturbed copy (w = 45), and an interpretable linear model fitted to the scores:
 * ridge (α = 2, with an intercept, as Xplique's default Ridge(alpha=2)) or the lasso (coordinate
 * descent on scikit-learn's objective (1/2n)·Σ w r² + α·|β|₁, α = 0.001). The map is the
 * coefficients, spread over their features.
 */
import { Rng } from '../engine/rng.js';
import {
  coalitionScores,
  featuresOf,
  perImage,
  spread,
  weightedLeastSquares,
  type ImageJob,
} from './black_box.js';
import { defineAttribution } from './method.js';
import { FEATURE_OPTIONS, type Segmentation } from './segments.js';

export const LIME_DEFAULTS = { samples: 150, width: 45, ridge: 2, lasso: 0.001 } as const;

export interface LimeArgs {
  readonly samples: number;
  readonly width: number;
  readonly model: 'ridge' | 'lasso';
  readonly alpha: number;
  readonly seed: number;
}

/** Weighted lasso with an intercept: β minimizing (1/2n)·Σ w_r (y_r − b − x_r·β)² + α|β|₁, weights rescaled to sum to n. */
function lasso(
  x: Float64Array,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  m: number,
  alpha: number,
): Float64Array {
  const total = Array.from(w).reduce((a, b) => a + b, 0);
  const ws = Float64Array.from(w, (v) => (v * rows) / total);
  const mean = (get: (r: number) => number) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += ws[r] * get(r);
    return s / rows;
  };
  const xm = Float64Array.from({ length: m }, (_, j) => mean((r) => x[r * m + j]));
  const ym = mean((r) => y[r]);
  const xc = Float64Array.from(x, (v, k) => v - xm[k % m]);
  const res = Float64Array.from({ length: rows }, (_, r) => y[r] - ym);
  const beta = new Float64Array(m);
  const norm = Float64Array.from({ length: m }, (_, j) => mean((r) => xc[r * m + j] ** 2));
  for (let iter = 0; iter < 1000; iter++) {
    let change = 0;
    for (let j = 0; j < m; j++) {
      if (norm[j] === 0) continue;
      const rho = mean((r) => xc[r * m + j] * (res[r] + xc[r * m + j] * beta[j]));
      const next = (Math.sign(rho) * Math.max(0, Math.abs(rho) - alpha)) / norm[j];
      if (next !== beta[j]) {
        for (let r = 0; r < rows; r++) res[r] -= xc[r * m + j] * (next - beta[j]);
        change = Math.max(change, Math.abs(next - beta[j]));
        beta[j] = next;
      }
    }
    if (change < 1e-6) break;
  }
  return beta;
}

/** Ridge with an intercept: centre x and y by their weighted means, then solve. */
function ridge(
  x: Float64Array,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  m: number,
  alpha: number,
): Float64Array {
  const total = Array.from(w).reduce((a, b) => a + b, 0);
  const xm = new Float64Array(m);
  let ym = 0;
  for (let r = 0; r < rows; r++) {
    ym += (w[r] * y[r]) / total;
    for (let j = 0; j < m; j++) xm[j] += (w[r] * x[r * m + j]) / total;
  }
  return weightedLeastSquares(
    Float64Array.from(x, (v, k) => v - xm[k % m]),
    Float64Array.from(y, (v) => v - ym),
    w,
    rows,
    m,
    alpha,
  );
}

/** LIME's coefficients per feature for one image. */
export function lime(job: ImageJob, seg: Segmentation, a: LimeArgs): Float64Array {
  const m = seg.count;
  const rng = new Rng(a.seed);
  const z = Uint8Array.from({ length: a.samples * m }, () => (rng.next() < 0.5 ? 1 : 0));
  const f = coalitionScores(job, seg, z, a.samples);
  // d² = Σ over the removed features of their squared change.
  const cost = new Float64Array(m);
  for (let p = 0; p < seg.labels.length; p++)
    for (let ch = 0; ch < job.c; ch++)
      cost[seg.labels[p]] += (job.pixels[p * job.c + ch] - job.base) ** 2;
  let w = Float64Array.from({ length: a.samples }, (_, r) => {
    let d2 = 0;
    for (let j = 0; j < m; j++) if (z[r * m + j] === 0) d2 += cost[j];
    return Math.exp(-d2 / a.width ** 2);
  });
  if (w.every((v) => v === 0)) w = w.fill(1); // Xplique: all similarities zero → uniform weights
  const x = Float64Array.from(z);
  return a.model === 'lasso'
    ? lasso(x, f, w, a.samples, m, a.alpha)
    : ridge(x, f, w, a.samples, m, a.alpha);
}

export const limeMethod = defineAttribution({
  name: 'lime',
  idea: "Random subsets of superpixels are kept and the rest replaced by the baseline; a sparse linear model, weighted by how close each sample is to the full image, is fitted to the target scores. Its coefficients say which regions the model's decision depends on near this input.",
  title: 'LIME',
  short: 'LIME',
  paper: 'Ribeiro et al. 2016',
  summary:
    "a linear model's coefficients on superpixels, fitted to perturbed copies near the image",
  signed: true,
  display: 'heat',
  access: 'forward',
  options: {
    ...FEATURE_OPTIONS,
    samples: {
      type: 'int',
      min: 2,
      help: 'perturbed copies per image (Xplique: 150)',
      default: LIME_DEFAULTS.samples,
    },
    'kernel-width': {
      type: 'number',
      help: 'width w of the similarity exp(−d²/w²) (Xplique: 45)',
      default: LIME_DEFAULTS.width,
    },
    'linear-model': {
      type: 'string',
      help: 'the interpretable model',
      choices: ['ridge', 'lasso'],
      default: 'ridge',
    },
    alpha: {
      type: 'number',
      help: 'its regularization (default: ridge 2, as Xplique; lasso 0.001)',
    },
  },
  footprint: (o) => ({
    bytes: o.samples * (9 * o.segments + 16) + 16 * o.segments ** 2,
    what: `with ${o.samples} samples of ${o.segments} features`,
    lower: 'fewer --samples or --segments',
  }),
  explain: (ctx) =>
    perImage(ctx, (job) => {
      const o = ctx.options;
      const seg = featuresOf(ctx, o, job);
      const alpha =
        o.alpha ?? (o['linear-model'] === 'lasso' ? LIME_DEFAULTS.lasso : LIME_DEFAULTS.ridge);
      return spread(
        seg,
        lime(job, seg, {
          samples: o.samples,
          width: o['kernel-width'],
          model: o['linear-model'],
          alpha,
          seed: ctx.seed,
        }),
      );
    }),
});
