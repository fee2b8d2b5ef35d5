/**
 * Diversity (Olah et al. 2017, "Feature Visualization", §Diversity): penalize the batch's images
 * for being alike in a layer's eyes, so that several images of one unit show its different facets.
 * Similarity is the cosine between the items' Gram matrices (conv layers: style, not position) or
 * activation vectors (flat layers). Item i's score is minus its mean similarity to the other items
 * of its group (`groups[i]`, e.g. the unit it serves; default: one group, the whole batch) — images
 * of different units are already different and must not dilute the term.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerInfo } from '../model/types.js';
import { Objective } from './objective.js';

export function diversity(layer: LayerInfo, groups?: readonly number[]): Objective {
  return new Objective(
    [layer.name],
    (acts) => {
      const a = acts.get(layer.name)!;
      const n = a.shape[0];
      if (n < 2) return tf.zeros([n]) as tf.Tensor1D;
      let feats: tf.Tensor2D;
      if (a.rank === 4) {
        const flat = a.reshape([n, -1, a.shape[3]!]) as tf.Tensor3D;
        feats = tf.matMul(flat, flat, true, false).reshape([n, -1]) as tf.Tensor2D;
      } else feats = a.reshape([n, -1]) as tf.Tensor2D;
      const unit = feats.div(feats.norm('euclidean', 1, true).add(1e-8));
      const sim = tf.matMul(unit, unit, false, true);
      const same = Array.from({ length: n * n }, (_, k) => {
        const [i, j] = [Math.floor(k / n), k % n];
        return i !== j && (groups ? groups[i] === groups[j] : true) ? 1 : 0;
      });
      const mask = tf.tensor2d(same, [n, n]);
      // Mean similarity to the other members of the group (0 for an item alone in its group).
      return sim.mul(mask).sum(1).div(mask.sum(1).maximum(1)).neg() as tf.Tensor1D;
    },
    `diversity(${layer.name})`,
  );
}
