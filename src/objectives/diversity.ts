/**
 * Diversity (Olah et al. 2017, "Feature Visualization", §Diversity): penalize the batch's images
 * for being alike in a layer's eyes, so that several images of one unit show its different facets.
 * Similarity is the cosine between the items' Gram matrices (conv layers: style, not position) or
 * activation vectors (flat layers). Item i's score is minus its mean similarity to the others.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerInfo } from '../model/types.js';
import { Objective } from './objective.js';

export function diversity(layer: LayerInfo): Objective {
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
      // Off-diagonal mean per row.
      const off = sim.sub(tf.eye(n).mul(sim)).sum(1).div(n - 1);
      return off.neg() as tf.Tensor1D;
    },
    `diversity(${layer.name})`,
  );
}
