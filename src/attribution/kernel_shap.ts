/**
 * KernelSHAP (Lundberg & Lee 2017) over interpretable features (superpixels): Shapley values as the
 * weighted linear regression of the model's score on coalitions of features (a feature off is set
 * to the model's neutral value), weighted by the Shapley kernel (M − 1) / (C(M, k) k (M − k)), with
 * efficiency as a constraint (as the shap library solves it: the last feature's value is
 * f(x) − f(∅) − the others', so the values always sum to f(x) − f(∅)). With few features every
 * coalition is enumerated and the values are exact; else `samples` coalitions are drawn (Xplique's
 * 800): a size k with probability ∝ (M − 1) / (k (M − k)), then k features uniformly, each with its
 * complement (paired sampling), at weight 1 — the kernel is in the sampling (Captum's scheme).
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

export const KERNEL_SHAP_DEFAULTS = { samples: 800 } as const;

/** The binomial coefficient C(m, k) as a float. */
const choose = (m: number, k: number): number => {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (m - k + i)) / i;
  return c;
};

/** Coalitions (rows × M, 1 = kept) and their regression weights: all of them when there are at most `samples`, else paired draws. */
export function shapleyCoalitions(
  m: number,
  samples: number,
  rng: Rng,
): { z: Uint8Array; weights: Float64Array; rows: number } {
  if (m <= 20 && 2 ** m - 2 <= samples) {
    const rows = 2 ** m - 2;
    const z = new Uint8Array(rows * m);
    const weights = new Float64Array(rows);
    for (let s = 1; s <= rows; s++) {
      let k = 0;
      for (let j = 0; j < m; j++) {
        if ((s >> j) & 1) {
          z[(s - 1) * m + j] = 1;
          k++;
        }
      }
      weights[s - 1] = (m - 1) / (choose(m, k) * k * (m - k));
    }
    return { z, weights, rows };
  }
  const sizes = Array.from({ length: m - 1 }, (_, i) => (m - 1) / ((i + 1) * (m - i - 1)));
  const total = sizes.reduce((a, b) => a + b, 0);
  const pairs = Math.max(1, Math.floor(samples / 2));
  const z = new Uint8Array(2 * pairs * m);
  for (let p = 0; p < pairs; p++) {
    let u = rng.next() * total;
    let k = 1;
    while (k < m - 1 && u >= sizes[k - 1]) u -= sizes[k++ - 1];
    const order = Array.from({ length: m }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(m - i);
      [order[i], order[j]] = [order[j], order[i]];
      z[2 * p * m + order[i]] = 1;
    }
    for (let j = 0; j < m; j++) z[(2 * p + 1) * m + j] = 1 - z[2 * p * m + j];
  }
  return { z, weights: new Float64Array(2 * pairs).fill(1), rows: 2 * pairs };
}

/** The Shapley values of the features of `seg` for one image; they sum to f(x) − f(∅). */
export function kernelShap(
  job: ImageJob,
  seg: Segmentation,
  samples: number,
  seed: number,
): Float64Array {
  const m = seg.count;
  const ends = new Uint8Array(2 * m).fill(1, 0, m);
  const [full, empty] = coalitionScores(job, seg, ends, 2);
  const delta = full - empty;
  if (m === 1) return Float64Array.of(delta);
  const { z, weights, rows } = shapleyCoalitions(m, samples, new Rng(seed));
  const f = coalitionScores(job, seg, z, rows);
  // Efficiency eliminates the last feature: y − f(∅) − z_M Δ = Σ_{j<M} φ_j (z_j − z_M).
  const x = new Float64Array(rows * (m - 1));
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const last = z[r * m + m - 1];
    for (let j = 0; j < m - 1; j++) x[r * (m - 1) + j] = z[r * m + j] - last;
    y[r] = f[r] - empty - last * delta;
  }
  const phi = weightedLeastSquares(x, y, weights, rows, m - 1, 1e-9);
  const out = new Float64Array(m);
  out.set(phi);
  out[m - 1] = delta - phi.reduce((a, b) => a + b, 0);
  return out;
}

export const kernelShapMethod = defineAttribution({
  name: 'kernel-shap',
  idea: "The image is cut into superpixels, many coalitions of them are kept or replaced by the baseline, and a weighted linear model is fitted to the target scores with the Shapley kernel's weights. Its coefficients are Shapley value estimates: they sum to the score of the input minus that of the baseline.",
  title: 'KernelSHAP',
  short: 'KSHAP',
  paper: 'Lundberg & Lee 2017',
  summary:
    "superpixels' Shapley values by the Shapley kernel's regression; they sum to p(x) − p(neutral)",
  signed: true,
  display: 'heat',
  access: 'forward',
  options: {
    ...FEATURE_OPTIONS,
    samples: {
      type: 'int',
      min: 2,
      help: 'coalitions per image (Xplique: 800; every coalition when there are fewer)',
      default: KERNEL_SHAP_DEFAULTS.samples,
    },
  },
  footprint: (o) => ({
    bytes: o.samples * (o.segments + 16) + 16 * o.segments ** 2,
    what: `with ${o.samples} coalitions of ${o.segments} features`,
    lower: 'fewer --samples or --segments',
  }),
  explain: (ctx) =>
    perImage(ctx, (job) => {
      const seg = featuresOf(ctx, ctx.options, job);
      return spread(seg, kernelShap(job, seg, ctx.options.samples, ctx.seed));
    }),
});
