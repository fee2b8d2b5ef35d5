/**
 * How attention carries information from the patch tokens to the class token, block after block:
 * - attention rollout (Abnar & Zuidema 2020): the heads fused (mean, max or min), the weakest
 *   `discard` share of each block's attention dropped (as the reference code, jacobgil's
 *   vit-explain, does; never the class token's attention to itself), the identity added for the
 *   residual stream, rows renormalized (the paper's rule; the reference code divides columns by
 *   row sums), and the blocks multiplied in order;
 * - gradient-weighted attention (Chefer et al. 2021, "Generic Attention-model Explainability"):
 *   per block the mean over heads of clamp(∇A ⊙ A, 0), accumulated as R ← R + cam·R from R = I.
 * Both read a relevance row: the class token's (the model's output reads it) or, without prefix
 * tokens, the mean of all rows (a mean-pooled head); its patch columns are the map on the grid.
 * Attentions come as deepvis shows them: [N, T, T, heads] (queries, keys, heads).
 */
import * as tf from '@tensorflow/tfjs';
import type { TokenLayout } from '../model/tokens.js';

export type HeadFusion = 'mean' | 'max' | 'min';

/** [N, T, T, heads] → [N, T, T]. */
export function fuseHeads(a: tf.Tensor4D, fusion: HeadFusion): tf.Tensor3D {
  return (fusion === 'max' ? a.max(3) : fusion === 'min' ? a.min(3) : a.mean(3)) as tf.Tensor3D;
}

/**
 * Zeros the smallest `discard` share of each matrix's entries (ties broken by position, as topk
 * does), never the class token's attention to itself (flat index 0, which the reference code
 * keeps) when `keepFirst`.
 */
export function discardWeakest(a: tf.Tensor3D, discard: number, keepFirst: boolean): tf.Tensor3D {
  if (discard <= 0) return a;
  const [n, t] = a.shape;
  const count = Math.floor(t * t * discard);
  return tf.tidy(() => {
    const flat = a.reshape([n, t * t]);
    // The `count` smallest entries of each row: the top `count` of the negated values.
    const { indices } = tf.topk(flat.neg(), count, true);
    const idx = indices.arraySync() as number[][];
    const mask = new Float32Array(n * t * t).fill(1);
    idx.forEach((row, i) =>
      row.forEach((k) => {
        if (!keepFirst || k !== 0) mask[i * t * t + k] = 0;
      }),
    );
    return flat.mul(tf.tensor2d(mask, [n, t * t])).reshape([n, t, t]) as tf.Tensor3D;
  });
}

/** The joint attention over all blocks [N, T, T] (rows: output tokens, columns: input tokens). */
export function rollout(
  attentions: readonly tf.Tensor4D[],
  fusion: HeadFusion = 'mean',
  discard = 0.9,
  prefix = 1,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, t] = attentions[0].shape;
    const eye = tf.eye(t).expandDims(0);
    let r = tf.tile(eye, [n, 1, 1]) as tf.Tensor3D;
    for (const att of attentions) {
      const fused = discardWeakest(fuseHeads(att, fusion), discard, prefix > 0);
      const withResidual = fused.add(eye).div(2);
      const rows = withResidual.div(withResidual.sum(2, true)) as tf.Tensor3D;
      r = tf.matMul(rows, r);
    }
    return r;
  });
}

/** Chefer et al.: R ← R + mean_heads(clamp(∇A ⊙ A, 0))·R over the blocks, from R = I. */
export function gradientWeightedRollout(
  attentions: readonly tf.Tensor4D[],
  gradients: readonly tf.Tensor4D[],
): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, t] = attentions[0].shape;
    let r = tf.tile(tf.eye(t).expandDims(0), [n, 1, 1]) as tf.Tensor3D;
    attentions.forEach((a, i) => {
      const cam = gradients[i].mul(a).relu().mean(3) as tf.Tensor3D;
      r = r.add(tf.matMul(cam, r));
    });
    return r;
  });
}

/**
 * The relevance of the patch tokens as a map [N, h, w]: the class token's row of R (or the mean
 * of all rows when there is no prefix token), its patch columns on the grid, each image scaled to
 * a maximum of 1.
 */
export function patchRelevance(
  r: tf.Tensor3D,
  tokens: Pick<TokenLayout, 'prefix' | 'grid'>,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, t] = r.shape;
    const [h, w] = tokens.grid;
    const row = tokens.prefix > 0 ? tf.slice(r, [0, 0, 0], [n, 1, t]).reshape([n, t]) : r.mean(1);
    const patches = tf.slice(row, [0, tokens.prefix], [n, h * w]);
    const peak = patches.max(1, true);
    return patches.div(tf.maximum(peak, 1e-12)).reshape([n, h, w]) as tf.Tensor3D;
  });
}
