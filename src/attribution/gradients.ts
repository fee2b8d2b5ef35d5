/**
 * Gradient maps of a target with respect to the input pixels, batched over images:
 * - saliency (Simonyan et al. 2013; Cavojska 2015 §4): ∂score/∂x;
 * - guided backpropagation (Springenberg et al. 2015) and the deconvnet projection (Zeiler &
 *   Fergus 2014; Cavojska 2015 §5 and Agrawal & Balani §4.1): the same backward pass under other ReLU/pooling rules
 *   (rules.ts). The deconvnet projection starts from the unit's activation (not 1), so it is the
 *   activation "projected back to pixels" in the activation's own units;
 * - integrated gradients (Sundararajan et al. 2017): (x − x′) ⊙ the mean gradient along the
 *   straight path from a baseline x′, midpoint rule, all path points in one batch. Completeness:
 *   the map sums to score(x) − score(x′) up to the discretization error.
 * Each is also a registry value (the *Method constants); SmoothGrad and its kin wrap any of them
 * (noise_tunnel.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { chunkedInputGradient } from './chunks.js';
import { withRules, type BackwardRules, type Unpool } from '../engine/rules.js';
import { targetScores, targetWeights, type ResolvedTarget } from '../objectives/target.js';
import { defineAttribution } from './method.js';

function inputGradient(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  rules: BackwardRules,
): tf.Tensor4D {
  return withRules(
    rules,
    () =>
      tf.grad((xi: tf.Tensor) => targetScores(model, xi as tf.Tensor4D, t).sum())(x) as tf.Tensor4D,
  );
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
 * that signal is sent down (the gradient of Σ a ⊙ signal with the signal held constant).
 */
export function deconvnet(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  unpool: Unpool = 'switches',
): tf.Tensor4D {
  return tf.tidy(() => {
    const signal = tf.tidy(() => {
      const [a] = model.activations(x, [t.layer.name]);
      return a.mul(targetWeights(t, a.shape).notEqual(0));
    });
    return withRules(
      { relu: 'deconvnet', unpool },
      () =>
        tf.grad((xi: tf.Tensor) => {
          const [a] = model.activations(xi as tf.Tensor4D, [t.layer.name]);
          return a.mul(signal).sum();
        })(x) as tf.Tensor4D,
    );
  });
}

/** Integrated gradients' path length when none is given. */
export const INTEGRATED_GRADIENTS_DEFAULTS = { steps: 32 } as const;

export interface IntegratedGradientsArgs {
  /** Points on the path (midpoint rule). */
  readonly steps?: number;
  /** Baseline image value (default: the range's low end, a black image) or an image [1|N, H, W, C]. */
  readonly baseline?: number | tf.Tensor4D;
  /** Rows per gradient pass (chunks.ts); default: what fits the memory budget. */
  readonly maxBatch?: number;
}

export function integratedGradients(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  args: IntegratedGradientsArgs = {},
): tf.Tensor4D {
  const steps = args.steps ?? INTEGRATED_GRADIENTS_DEFAULTS.steps;
  if (!(steps >= 1))
    throw new DeepvisError(`integrated gradients needs at least 1 step; got ${steps}`);
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const base =
      args.baseline instanceof tf.Tensor
        ? args.baseline
        : tf.fill([1, h, w, c], args.baseline ?? model.input.range[0]);
    if (base.shape[0] !== 1 && base.shape[0] !== n)
      throw new DeepvisError(`baseline batch ${base.shape[0]} fits neither 1 nor ${n} images`);
    const diff = x.sub(base) as tf.Tensor4D;
    const alphas = tf
      .tensor1d(Array.from({ length: steps }, (_, k) => (k + 0.5) / steps))
      .reshape([1, steps, 1, 1, 1]);
    const path = base
      .expandDims(1)
      .add(diff.expandDims(1).mul(alphas))
      .reshape([n * steps, h, w, c]) as tf.Tensor4D;
    const g = chunkedInputGradient(model, path, t, { relu: 'gradient' }, args.maxBatch);
    return g.reshape([n, steps, h, w, c]).mean(1).mul(diff) as tf.Tensor4D;
  });
}

export const saliencyMethod = defineAttribution({
  name: 'saliency',
  title: 'saliency',
  short: 'saliency',
  paper: 'Simonyan et al. 2013',
  summary: '∂score/∂x, max |·| over channels',
  idea: "The gradient of the target's score with respect to each input pixel says how much a small change of that pixel would change the score. The map is its magnitude, the largest over the colour channels.",
  signed: false,
  display: 'heat',
  access: 'gradient',
  options: {},
  explain: ({ model, x, target }) => ({ map: saliency(model, x, target) }),
});

export const guidedMethod = defineAttribution({
  name: 'guided',
  title: 'guided backpropagation',
  short: 'guided',
  paper: 'Springenberg et al. 2015',
  summary: 'guided backpropagation: ReLUs pass only positive gradients of positive inputs',
  idea: 'Backpropagation in which every ReLU passes back only positive gradients, and only where its input was positive. The result is a sharp, image-like map of the features that raise the target, though it depends little on the upper layers.',
  signed: false,
  display: 'pixels',
  access: 'rules',
  options: {},
  explain: ({ model, x, target }) => ({ map: guidedBackprop(model, x, target) }),
});

export const deconvnetMethod = defineAttribution({
  name: 'deconvnet',
  title: 'the deconvnet',
  short: 'deconv',
  paper: 'Zeiler & Fergus 2014',
  summary: "the target's activations projected to pixels through the deconvnet",
  idea: "The target's activation is projected back to pixel space through the network, with ReLUs applied to the backward signal and max-pooling undone through the switches recorded on the way up. It shows which input pattern produced the activation (Zeiler & Fergus's figure 2).",
  signed: false,
  display: 'pixels',
  access: 'rules',
  readings: ['unit'],
  options: {
    unpool: {
      type: 'string',
      help: 'unpooling: through the max-pool switches, or spread to the whole window',
      choices: ['switches', 'nearest'],
      default: 'switches',
    },
  },
  explain: ({ model, x, target, options }) => ({
    map: deconvnet(model, x, target, options.unpool),
  }),
});

export const integratedGradientsMethod = defineAttribution({
  name: 'integrated-gradients',
  title: 'integrated gradients',
  short: 'IG',
  paper: 'Sundararajan et al. 2017',
  summary: '(x − x′) ⊙ the mean gradient on the straight path from a baseline x′',
  idea: "The gradient is averaged along a straight path from a baseline image (the range's low end by default) to the input and multiplied by the input's difference to the baseline. The map sums to the change of the score from the baseline to the input (completeness).",
  signed: true,
  display: 'heat',
  access: 'gradient',
  options: {
    'ig-steps': {
      type: 'int',
      min: 1,
      help: 'points on the path (midpoint rule)',
      default: INTEGRATED_GRADIENTS_DEFAULTS.steps,
    },
    baseline: { type: 'number', help: "baseline pixel value (default: the range's low end)" },
  },
  expands: (o) => ({ rows: o['ig-steps'], what: 'path steps', lower: '--ig-steps' }),
  timesInput: (model, o) => o.baseline ?? model.input.range[0],
  explain: ({ model, x, target, options, maxBatch }) => ({
    map: integratedGradients(model, x, target, {
      steps: options['ig-steps'],
      baseline: options.baseline,
      maxBatch,
    }),
  }),
});
