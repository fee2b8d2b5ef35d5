/**
 * The reference distributions of the Shapley family (DeepSHAP, GradientSHAP), as options: B images
 * uniform in the input range (the default: the "random background" of the shap and Captum
 * examples when no data set is at hand; seeded), the range's low end (black: DeepSHAP is then
 * DeepLIFT), or both ends of the range.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import type { Options, OptionSpecs } from '../options.js';

export const BASELINE_OPTIONS = {
  baselines: {
    type: 'string',
    help: 'reference distribution: images uniform in the input range, black, or black and white',
    choices: ['uniform', 'black', 'black-white'],
    default: 'uniform',
  },
  'baseline-count': {
    type: 'int',
    min: 1,
    help: 'references drawn for --baselines uniform',
    default: 8,
  },
} as const satisfies OptionSpecs;

/** The references [B, H, W, C] (caller disposes). */
export function baselineImages(
  model: VisModel,
  o: Options<typeof BASELINE_OPTIONS>,
  seed: number,
): tf.Tensor4D {
  const [h, w, c] = model.input.shape;
  const [lo, hi] = model.input.range;
  if (o.baselines === 'black') return tf.fill([1, h, w, c], lo) as tf.Tensor4D;
  if (o.baselines === 'black-white')
    return tf.concat([tf.fill([1, h, w, c], lo), tf.fill([1, h, w, c], hi)]) as tf.Tensor4D;
  const rng = new Rng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: o['baseline-count'] * h * w * c }, () => rng.uniform(lo, hi)),
    [o['baseline-count'], h, w, c],
  );
}
