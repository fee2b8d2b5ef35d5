/**
 * The reference-difference family:
 * - DeepLIFT with the rescale rule (Shrikumar et al. 2017, as Captum's DeepLift): the input and its
 *   reference go through the network in one batch and every nonlinearity's gradient is replaced by
 *   its multiplier Δy/Δx (engine/rescale_rules.ts); the map (x − x′) ⊙ multiplier sums to
 *   score(x) − score(x′) exactly (summation to delta). Reference: the range's low end, as integrated
 *   gradients' baseline;
 * - DeepSHAP (Lundberg & Lee 2017; Captum's DeepLiftShap): DeepLIFT against each reference of a
 *   distribution, averaged — it sums to score(x) − the mean score over the references;
 * - GradientSHAP (Lundberg & Lee 2017; Captum's GradientShap, n_samples 5, stdevs 0): expected
 *   gradients, E[∂score/∂x at x′ + α(x − x′)] ⊙ (x − x′) over references x′ drawn from the
 *   distribution and α ~ U(0, 1).
 * The distribution (baselines.ts) and the draws are the same for every image of a call (seeded), so
 * an image's map does not depend on its batch. The targets are linear readings of a layer (unit,
 * sum, region): what summation to delta is about.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { withRules } from '../engine/rules.js';
import type { VisModel } from '../model/types.js';
import { targetScores, type ResolvedTarget } from '../objectives/target.js';
import { BASELINE_OPTIONS, baselineImages } from './baselines.js';
import { chunkedInputGradient, chunkRanges, defaultMaxBatch, rowTarget } from './chunks.js';
import { defineAttribution } from './method.js';

const LINEAR_READINGS = ['unit', 'sum', 'region'] as const;

/** DeepLIFT-rescale maps of rows x against references of the same shape, one target per row (caller disposes). */
export function deepLift(
  model: VisModel,
  x: tf.Tensor4D,
  references: tf.Tensor4D,
  t: ResolvedTarget,
): tf.Tensor4D {
  return tf.tidy(() => {
    const n = x.shape[0];
    const xs = tf.concat([x, references]) as tf.Tensor4D;
    const both: ResolvedTarget = {
      ...t,
      units: [...t.units, ...t.units],
      neurons: t.neurons ? [...t.neurons, ...t.neurons] : undefined,
    };
    const g = withRules({ relu: 'gradient', rescale: { from: xs } }, () =>
      tf.grad((xi: tf.Tensor) => targetScores(model, xi as tf.Tensor4D, both).sum())(xs),
    );
    return g.slice([0], [n]).mul(x.sub(references)) as tf.Tensor4D;
  });
}

/** DeepLIFT against every reference of `refs` [B, H, W, C], averaged per image; `maxBatch` rows (two per pair) at a time. */
export function deepShap(
  model: VisModel,
  x: tf.Tensor4D,
  refs: tf.Tensor4D,
  t: ResolvedTarget,
  maxBatch?: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const b = refs.shape[0];
  const pairs = Math.max(1, Math.floor((maxBatch ?? defaultMaxBatch(model, t.layer.name)) / 2));
  const parts: tf.Tensor[] = [];
  try {
    for (const [from, to] of chunkRanges(n * b, pairs)) {
      parts.push(
        tf.tidy(() => {
          const rows = tf.range(from, to, 1, 'int32');
          const xi = tf.gather(x, tf.floorDiv(rows, b).toInt()) as tf.Tensor4D;
          const ri = tf.gather(refs, rows.mod(b).toInt()) as tf.Tensor4D;
          return deepLift(model, xi, ri, rowTarget(t, b, from, to));
        }),
      );
    }
    return tf.tidy(() => tf.concat(parts).reshape([n, b, h, w, c]).mean(1) as tf.Tensor4D);
  } finally {
    tf.dispose(parts);
  }
}

export interface GradientShapArgs {
  /** Draws per image (Captum: 5). */
  readonly samples: number;
  /** σ of the noise added to the input, as a fraction of the range (Captum: stdevs 0). */
  readonly noise: number;
  readonly seed: number;
  readonly maxBatch?: number;
}

/** GradientSHAP: the mean over draws of ∂score/∂x at x′ + α(x + ε − x′), times (x − x′); caller disposes. */
export function gradientShap(
  model: VisModel,
  x: tf.Tensor4D,
  refs: tf.Tensor4D,
  t: ResolvedTarget,
  a: GradientShapArgs,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [lo, hi] = model.input.range;
  const rng = new Rng(a.seed);
  const pick = Array.from({ length: a.samples }, () => rng.int(refs.shape[0]));
  const alpha = Array.from({ length: a.samples }, () => rng.uniform(0, 1));
  const noise =
    a.noise > 0
      ? Float32Array.from(
          { length: a.samples * h * w * c },
          () => rng.normal() * a.noise * (hi - lo),
        )
      : null;
  return tf.tidy(() => {
    const base = tf.gather(refs, pick).expandDims(0); // [1, S, H, W, C]
    const eps = noise ? tf.tensor(noise, [1, a.samples, h, w, c]) : tf.scalar(0);
    const coef = tf.tensor(alpha, [1, a.samples, 1, 1, 1]);
    const xe = x.expandDims(1).add(eps);
    const points = base
      .add(xe.sub(base).mul(coef))
      .reshape([n * a.samples, h, w, c]) as tf.Tensor4D;
    const g = chunkedInputGradient(model, points, t, { relu: 'gradient' }, a.maxBatch).reshape([
      n,
      a.samples,
      h,
      w,
      c,
    ]);
    return g.mul(x.expandDims(1).sub(base)).mean(1) as tf.Tensor4D;
  });
}

export const deepLiftMethod = defineAttribution({
  name: 'deeplift',
  idea: "Each neuron's difference from its value on a reference input is attributed back in proportion to the input differences that caused it (the rescale rule), instead of by the local gradient. The attributions sum exactly to the difference of the target score between the input and the reference.",
  title: 'DeepLIFT',
  short: 'DeepLIFT',
  paper: 'Shrikumar et al. 2017',
  summary: "(x − x′) ⊙ the rescale rule's multipliers; sums to score(x) − score(x′)",
  signed: true,
  display: 'heat',
  access: 'rules',
  readings: LINEAR_READINGS,
  options: {
    baseline: { type: 'number', help: "reference pixel value (default: the range's low end)" },
  },
  expands: () => ({ rows: 2, what: 'input and reference', lower: 'images' }),
  timesInput: (model, o) => o.baseline ?? model.input.range[0],
  explain: ({ model, x, target, options }) => ({
    map: tf.tidy(() =>
      deepLift(
        model,
        x,
        tf.fill(x.shape, options.baseline ?? model.input.range[0]) as tf.Tensor4D,
        target,
      ),
    ),
  }),
});

export const deepShapMethod = defineAttribution({
  name: 'deepshap',
  idea: 'DeepLIFT averaged over a set of references drawn from a baseline distribution, which approximates SHAP values of the network. Averaging over many references removes the arbitrariness of one baseline image.',
  title: 'DeepSHAP',
  short: 'DeepSHAP',
  paper: 'Lundberg & Lee 2017',
  summary: 'DeepLIFT against each reference of a distribution, averaged',
  signed: true,
  display: 'heat',
  access: 'rules',
  readings: LINEAR_READINGS,
  options: BASELINE_OPTIONS,
  expands: (o) => ({
    rows: 2 * (o.baselines === 'uniform' ? o['baseline-count'] : 1),
    what: 'image–reference pairs',
    lower: '--baseline-count',
  }),
  explain: ({ model, x, target, options, seed, maxBatch }) => {
    const refs = baselineImages(model, options, seed);
    try {
      return { map: deepShap(model, x, refs, target, maxBatch) };
    } finally {
      refs.dispose();
    }
  },
});

export const gradientShapMethod = defineAttribution({
  name: 'gradient-shap',
  idea: "Integrated gradients with random baselines and a random point on each path, plus a little noise, averaged over samples (Captum's defaults: 5 samples). It approximates expected gradients, a SHAP-style attribution, at the cost of a few gradient passes.",
  title: 'GradientSHAP',
  short: 'GradSHAP',
  paper: 'Lundberg & Lee 2017',
  summary: 'expected gradients: E[∂score/∂x on the path from a drawn reference] ⊙ (x − x′)',
  signed: true,
  display: 'heat',
  access: 'gradient',
  options: {
    ...BASELINE_OPTIONS,
    samples: { type: 'int', min: 1, help: 'draws per image (Captum: 5)', default: 5 },
    noise: {
      type: 'number',
      help: 'σ of noise added to the input, a fraction of the range (Captum: 0)',
      default: 0,
    },
  },
  expands: (o) => ({ rows: o.samples, what: 'GradientSHAP draws', lower: '--samples' }),
  explain: ({ model, x, target, options, seed, maxBatch }) => {
    const refs = baselineImages(model, options, seed);
    try {
      return {
        map: gradientShap(model, x, refs, target, {
          samples: options.samples,
          noise: options.noise,
          seed: seed + 1,
          maxBatch,
        }),
      };
    } finally {
      refs.dispose();
    }
  },
});
