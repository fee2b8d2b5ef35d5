/**
 * Two faithfulness metrics with Quantus's defaults, on the per-pixel heat (a pixel's channels move
 * together; Quantus flips features of the map, which here is per pixel):
 * - pixel flipping (Bach et al. 2015): pixels set to black (the image's minimum, Quantus's "black")
 *   one at a time (features_in_step 1) in order of decreasing heat, the class probability read
 *   after each (softmax: True); the score is the area under that curve over the fraction flipped
 *   (trapezoid, as deletion's) — lower is better. `step` flips several pixels per forward pass
 *   (for large inputs; the curve has ⌈H·W / step⌉ points).
 * - faithfulness correlation (Bhatt et al. 2020): 100 random subsets of 224 pixels set to black;
 *   Pearson's r between the heat summed over a subset and the drop of the target's logit (softmax:
 *   False) — higher is better. Subsets drawn from the seed, the same for every method.
 */
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import {
  elapsed,
  scorePerturbed,
  type MetricContext,
  type MetricResult,
} from './metric_context.js';
import { auc, orderDescending, pearson } from './stats.js';

const imageMin = (pixels: ArrayLike<number>, from: number, to: number) => {
  let m = Infinity;
  for (let k = from; k < to; k++) m = Math.min(m, pixels[k]);
  return m;
};

export function pixelFlipping(ctx: MetricContext, args: { step?: number } = {}): MetricResult {
  const started = performance.now();
  const step = args.step ?? 1;
  if (!(Number.isInteger(step) && step >= 1))
    throw new DeepvisError(`pixel flipping needs a step of at least 1 pixel; got ${step}`);
  const [n, h, w, c] = ctx.x.shape;
  const features = h * w;
  const pixels = ctx.x.dataSync();
  const steps = Math.ceil(features / step);
  const orders = Array.from({ length: n }, (_, i) =>
    orderDescending(ctx.maps.heat.subarray(i * features, (i + 1) * features)),
  );
  const black = Array.from({ length: n }, (_, i) =>
    imageMin(pixels, i * features * c, (i + 1) * features * c),
  );
  const scores = scorePerturbed(ctx, n, steps + 1, (i, s, dst) => {
    dst.set(pixels.subarray(i * features * c, (i + 1) * features * c));
    for (let k = 0; k < Math.min(features, s * step); k++)
      dst.fill(black[i], orders[i][k] * c, orders[i][k] * c + c);
  });
  const curves = Array.from({ length: n }, (_, i) =>
    Array.from(scores.subarray(i * (steps + 1), (i + 1) * (steps + 1))),
  );
  return {
    metric: 'pixel-flipping',
    scores: curves.map(auc),
    curves,
    xs: Array.from({ length: steps + 1 }, (_, s) => Math.min(1, (s * step) / features)),
    params: {
      featuresInStep: step,
      baseline: "black: the image's minimum",
      order: 'heat, largest first',
      score: 'class probability (softmax)',
      reference: 'Bach et al. 2015; Quantus PixelFlipping',
    },
    higherIsBetter: false,
    seconds: elapsed(started),
  };
}

export function faithfulnessCorrelation(
  ctx: MetricContext,
  args: { runs?: number; subset?: number } = {},
): MetricResult {
  const started = performance.now();
  const runs = args.runs ?? 100;
  const [n, h, w, c] = ctx.x.shape;
  const features = h * w;
  const subset = Math.min(args.subset ?? 224, features);
  const rng = new Rng(ctx.seed ?? 0);
  const subsets = Array.from({ length: runs }, () => rng.permutation(features).slice(0, subset));
  const pixels = ctx.x.dataSync();
  const black = Array.from({ length: n }, (_, i) =>
    imageMin(pixels, i * features * c, (i + 1) * features * c),
  );
  const base = scorePerturbed(
    ctx,
    n,
    1,
    (i, _, dst) => dst.set(pixels.subarray(i * features * c, (i + 1) * features * c)),
    false,
  );
  const moved = scorePerturbed(
    ctx,
    n,
    runs,
    (i, r, dst) => {
      dst.set(pixels.subarray(i * features * c, (i + 1) * features * c));
      for (const p of subsets[r]) dst.fill(black[i], p * c, p * c + c);
    },
    false,
  );
  const scores = Array.from({ length: n }, (_, i) => {
    const heat = ctx.maps.heat.subarray(i * features, (i + 1) * features);
    const sums = subsets.map((s) => s.reduce((a, p) => a + heat[p], 0));
    const drops = Array.from({ length: runs }, (_, r) => base[i] - moved[i * runs + r]);
    const r = pearson(sums, drops);
    return Number.isNaN(r) ? 0 : r;
  });
  return {
    metric: 'faithfulness-correlation',
    scores,
    params: {
      runs,
      subsetSize: subset,
      baseline: "black: the image's minimum",
      correlation: 'pearson',
      score: 'target logit (softmax: False)',
      seed: ctx.seed ?? 0,
      reference: 'Bhatt et al. 2020; Quantus FaithfulnessCorrelation',
    },
    higherIsBetter: true,
    seconds: elapsed(started),
  };
}
