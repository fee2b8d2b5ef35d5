/**
 * Gradient maps of a target with respect to the input pixels, batched over images:
 * - saliency (Simonyan et al. 2013; seed 001 §4): ∂score/∂x;
 * - guided backpropagation (Springenberg et al. 2015) and the deconvnet projection (Zeiler &
 *   Fergus 2014; seeds 001 §5 and 003 §4.1): the same backward pass under other ReLU/pooling rules
 *   (rules.ts). The deconvnet projection is seeded with the unit's activation (not 1), so it is the
 *   activation "projected back to pixels" in the activation's own units;
 * - SmoothGrad (Smilkov et al. 2017): the mean map over noisy copies (all copies in one batch);
 * - integrated gradients (Sundararajan et al. 2017): (x − x′) ⊙ the mean gradient along the
 *   straight path from a baseline x′, midpoint rule, all path points in one batch. Completeness:
 *   the map sums to score(x) − score(x′) up to the discretization error.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { chunkedInputGradient } from './chunks.js';
import { withRules, type BackwardRules, type Unpool } from '../engine/rules.js';
import { targetScores, targetWeights, type ResolvedTarget } from '../objectives/target.js';

function inputGradient(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, rules: BackwardRules): tf.Tensor4D {
  return withRules(rules, () => tf.grad((xi: tf.Tensor) => targetScores(model, xi as tf.Tensor4D, t).sum())(x) as tf.Tensor4D);
}

export function saliency(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget): tf.Tensor4D {
  return inputGradient(model, x, t, { relu: 'gradient' });
}

export function guidedBackprop(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget): tf.Tensor4D {
  return inputGradient(model, x, t, { relu: 'guided' });
}

/**
 * Zeiler & Fergus's projection: the target's activations — one neuron, or the whole feature map
 * for a channel — are kept with their values, every other activation of the layer is zeroed, and
 * that signal is sent down (the gradient of Σ a ⊙ seed with the seed held constant).
 */
export function deconvnet(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, unpool: Unpool = 'switches'): tf.Tensor4D {
  return tf.tidy(() => {
    const seed = tf.tidy(() => {
      const [a] = model.activations(x, [t.layer.name]);
      return a.mul(targetWeights(t, a.shape).notEqual(0));
    });
    return withRules({ relu: 'deconvnet', unpool }, () =>
      tf.grad((xi: tf.Tensor) => {
        const [a] = model.activations(xi as tf.Tensor4D, [t.layer.name]);
        return a.mul(seed).sum();
      })(x) as tf.Tensor4D,
    );
  });
}

/** SmoothGrad's and integrated gradients' settings when none are given (the CLI shows these too). */
export const SMOOTHGRAD_DEFAULTS = { samples: 25, noise: 0.15 } as const;
export const INTEGRATED_GRADIENTS_DEFAULTS = { steps: 32 } as const;

export interface SmoothGradArgs {
  /** Noisy copies per image. */
  readonly samples?: number;
  /** Noise σ as a fraction of the input range (Smilkov et al. recommend 10–20%). */
  readonly noise?: number;
  /** The map averaged: plain gradient or guided backpropagation. */
  readonly base?: 'gradient' | 'guided';
  readonly seed?: number;
  /**
   * How the noisy maps combine: 'mean' (SmoothGrad), 'square' (SmoothGrad², the mean of squared
   * maps) or 'variance' (VarGrad: their variance), after Hooker et al. 2019 and Adebayo et al. 2018.
   */
  readonly aggregate?: 'mean' | 'square' | 'variance';
  /** Rows per gradient pass (chunks.ts); default: what fits the memory budget. */
  readonly maxBatch?: number;
}

export function smoothGrad(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, args: SmoothGradArgs = {}): tf.Tensor4D {
  const samples = args.samples ?? SMOOTHGRAD_DEFAULTS.samples;
  if (!(samples >= 1)) throw new DeepvisError(`SmoothGrad needs at least 1 sample; got ${samples}`);
  const [lo, hi] = model.input.range;
  const sigma = (args.noise ?? SMOOTHGRAD_DEFAULTS.noise) * (hi - lo);
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const copies = x.expandDims(1).tile([1, samples, 1, 1, 1]).reshape([n * samples, h, w, c]);
    // Through Rng: tfjs's randomNormal takes seed 0 as "no seed" (Math.random), so seed 0 was not reproducible.
    const noisy = copies.add(tf.randomNormal(copies.shape, 0, sigma, 'float32', new Rng(args.seed ?? 0).seed())) as tf.Tensor4D;
    const g = chunkedInputGradient(model, noisy, t, { relu: args.base === 'guided' ? 'guided' : 'gradient' }, args.maxBatch).reshape([n, samples, h, w, c]);
    if (args.aggregate === 'square') return g.square().mean(1) as tf.Tensor4D;
    if (args.aggregate === 'variance') return tf.moments(g, 1).variance as tf.Tensor4D;
    return g.mean(1) as tf.Tensor4D;
  });
}

export interface IntegratedGradientsArgs {
  /** Points on the path (midpoint rule). */
  readonly steps?: number;
  /** Baseline image value (default: the range's low end, a black image) or an image [1|N, H, W, C]. */
  readonly baseline?: number | tf.Tensor4D;
  /** Rows per gradient pass (chunks.ts); default: what fits the memory budget. */
  readonly maxBatch?: number;
}

export function integratedGradients(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, args: IntegratedGradientsArgs = {}): tf.Tensor4D {
  const steps = args.steps ?? INTEGRATED_GRADIENTS_DEFAULTS.steps;
  if (!(steps >= 1)) throw new DeepvisError(`integrated gradients needs at least 1 step; got ${steps}`);
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const base = args.baseline instanceof tf.Tensor ? args.baseline : tf.fill([1, h, w, c], args.baseline ?? model.input.range[0]);
    if (base.shape[0] !== 1 && base.shape[0] !== n) throw new DeepvisError(`baseline batch ${base.shape[0]} fits neither 1 nor ${n} images`);
    const diff = x.sub(base) as tf.Tensor4D;
    const alphas = tf.tensor1d(Array.from({ length: steps }, (_, k) => (k + 0.5) / steps)).reshape([1, steps, 1, 1, 1]);
    const path = base.expandDims(1).add(diff.expandDims(1).mul(alphas)).reshape([n * steps, h, w, c]) as tf.Tensor4D;
    const g = chunkedInputGradient(model, path, t, { relu: 'gradient' }, args.maxBatch);
    return g.reshape([n, steps, h, w, c]).mean(1).mul(diff) as tf.Tensor4D;
  });
}
