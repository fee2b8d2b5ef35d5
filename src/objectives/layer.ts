/**
 * Whole-layer objectives.
 * - deepDream (Mordvintsev et al. 2015, Cavojska 2015 §6): the mean squared activation of a layer —
 *   "enhance whatever the layer detected", every unit pushed in the direction it already fires.
 * - direction (Olah et al. 2017, "Feature Visualization"): a vector in the layer's channel space;
 *   the score is the mean over positions of the dot product with the unit-length direction, so a
 *   channel is the special case of a one-hot direction. With `cosine`, each position's dot product
 *   is divided by the activation's norm there: the cosine similarity to a reference embedding
 *   (a CLIP text embedding, another image's), which the image cannot raise by scale alone.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { LayerInfo } from '../model/types.js';
import { Objective } from './objective.js';

function perItemMean(t: tf.Tensor): tf.Tensor1D {
  return t.reshape([t.shape[0], -1]).mean(1) as tf.Tensor1D;
}

export function deepDream(layer: LayerInfo): Objective {
  return new Objective(
    [layer.name],
    (acts) => perItemMean(acts.get(layer.name)!.square()),
    `${layer.name} mean squared activation`,
  );
}

/** `directions` holds one vector per batch item, or a single one shared by the batch. */
export function direction(
  layer: LayerInfo,
  directions: readonly (readonly number[])[],
  args: { cosine?: boolean } = {},
): Objective {
  for (const d of directions) {
    if (d.length !== layer.units) {
      throw new DeepvisError(
        `${args.cosine ? 'the reference embedding' : 'direction'} has ${d.length} components but layer '${layer.name}' has ${layer.units} ${layer.outputShape.length === 3 ? 'channels' : 'units'}`,
      );
    }
    if (!d.some((v) => v !== 0)) throw new DeepvisError('direction is the zero vector');
  }
  const unit = directions.map((d) => {
    const n = Math.hypot(...d);
    return d.map((v) => v / n);
  });
  return new Objective(
    [layer.name],
    (acts) => {
      const a = acts.get(layer.name)!;
      const n = a.shape[0];
      if (unit.length !== 1 && unit.length !== n) {
        throw new DeepvisError(
          `objective has ${unit.length} directions but the batch has ${n} images`,
        );
      }
      const v = tf.tensor2d(unit.length === 1 ? Array(n).fill(unit[0]) : unit, [n, layer.units]);
      const flat = a.reshape([n, -1, layer.units]);
      const dot = flat.mul(v.expandDims(1)).sum(2);
      return (args.cosine ? dot.div(tf.maximum(flat.norm('euclidean', 2), 1e-12)) : dot).mean(
        1,
      ) as tf.Tensor1D;
    },
    `${layer.name} ${args.cosine ? 'cosine to a reference' : 'direction'}`,
  );
}
