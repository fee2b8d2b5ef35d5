/**
 * Patch-token similarity (the DINO papers' picture, Caron et al. 2021; Oquab et al. 2023): the
 * cosine similarity of every patch token of a layer to one query — a patch [x, y] of the grid, or
 * the class token — shown on the patch grid and brought to the input's size. On a self-supervised
 * model it segments the object the query patch lies on; on any ViT it shows what a layer groups.
 * Works on any spatial layer (a conv map's positions are its "tokens").
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';

/** A grid position [x, y], or the class token ('cls'). */
export type TokenQuery = readonly [number, number] | 'cls';

/** [N, H, W] cosine similarities in [−1, 1] at the input's size (bilinear from the grid). */
export function tokenSimilarity(
  model: VisModel,
  x: tf.Tensor4D,
  layer: LayerInfo,
  query: TokenQuery,
): tf.Tensor3D {
  if (layer.outputShape.length !== 3)
    throw new DeepvisError(
      `token similarity needs a spatial or token layer; '${layer.name}' is flat`,
    );
  const [h, w] = layer.outputShape;
  if (
    query !== 'cls' &&
    !(
      query[0] >= 0 &&
      query[0] < w &&
      query[1] >= 0 &&
      query[1] < h &&
      Number.isInteger(query[0]) &&
      Number.isInteger(query[1])
    )
  ) {
    throw new DeepvisError(
      `query patch ${query.join(',')} is outside the ${w}×${h} grid of '${layer.name}'`,
    );
  }
  if (query === 'cls' && !(layer.tokens && layer.tokens.prefix > 0))
    throw new DeepvisError(`'${layer.name}' has no class token to compare the patches with`);
  return tf.tidy(() => {
    const [map, cls] =
      query === 'cls'
        ? model.activations(x, [layer.name, `${layer.name}:cls`])
        : [model.activations(x, [layer.name])[0], null];
    const n = map.shape[0];
    const c = map.shape[3]!;
    const tokens = map.reshape([n, h * w, c]);
    const q =
      cls ??
      tf
        .slice(tokens, [0, query === 'cls' ? 0 : query[1] * w + query[0], 0], [n, 1, c])
        .reshape([n, c]);
    const unit = (t: tf.Tensor) => t.div(tf.maximum(t.norm('euclidean', -1, true), 1e-12));
    const sim = tf.matMul(unit(tokens), unit(q).expandDims(2)).reshape([n, h, w, 1]) as tf.Tensor4D;
    return tf.image.resizeBilinear(sim, [x.shape[1], x.shape[2]]).squeeze([3]) as tf.Tensor3D;
  });
}
