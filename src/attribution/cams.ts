/**
 * The rest of the CAM family, on the same conv layer Grad-CAM reads (defaultCamLayer) and the same
 * ∂score/∂A (an offset on the layer's output). All return [N, H, W] ≥ 0 at the input's size
 * (bilinear, like Grad-CAM):
 * - Grad-CAM++ (Chattopadhay et al. 2018), in the closed form pytorch-grad-cam uses:
 *   α = g² / (2g² + Σ_ij A · g³), w_k = Σ_ij α · ReLU(g), map = ReLU(Σ_k w_k A_k);
 * - Layer-CAM (Jiang et al. 2021): ReLU(Σ_k ReLU(g) ⊙ A_k), a weight per position;
 * - Score-CAM (Wang et al. 2020), as the authors' code does it: each channel, upsampled and
 *   min–max normalized to [0, 1], masks the input (blended toward the model's neutral value, which
 *   is the authors' x ⊙ M on a zero-background input); w_k = the target's softmax probability on
 *   that masked input; map = ReLU(Σ_k w_k · upsampled A_k). K forward passes per image, chunked
 *   over channels (chunks.ts), so the answer does not depend on the chunk size.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { neutral } from '../model/neutral.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { targetScores, type ResolvedTarget } from '../objectives/target.js';
import { chunkRanges, defaultMaxBatch, outputScores } from './chunks.js';
import { defaultCamLayer } from './gradcam.js';

export function camLayerOf(model: VisModel, t: ResolvedTarget, camLayer?: string): LayerInfo {
  const layer = camLayer ? model.layer(camLayer) : defaultCamLayer(model, t);
  if (layer.outputShape.length !== 3) throw new DeepvisError(`CAM methods need a convolutional layer; '${layer.name}' is flat`);
  if (layer.index > t.layer.index) throw new DeepvisError(`CAM layer '${layer.name}' comes after the target layer '${t.layer.name}'`);
  return layer;
}

/** The layer's activations A and ∂score/∂A, both [N, h, w, K]. */
function activationAndGradient(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, layer: LayerInfo): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const [a] = model.activations(x, [layer.name]);
    const g = tf.grad((delta: tf.Tensor) => targetScores(model, x, t, { layer: layer.name, delta }).sum())(tf.zerosLike(a));
    return [a as tf.Tensor4D, g as tf.Tensor4D];
  });
}

const upsample = (cam: tf.Tensor4D, h: number, w: number) => tf.image.resizeBilinear(cam, [h, w], true);

export function gradCamPlusPlus(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, camLayer?: string): { map: tf.Tensor3D; layer: LayerInfo } {
  const layer = camLayerOf(model, t, camLayer);
  const [, h, w] = x.shape;
  const map = tf.tidy(() => {
    const [a, g] = activationAndGradient(model, x, t, layer);
    const g2 = g.square();
    const g3 = g2.mul(g);
    const sumA = a.sum([1, 2], true);
    const denom = g2.mul(2).add(sumA.mul(g3));
    // α is 0/0 where the gradient is 0; pytorch-grad-cam sets it to 0 there.
    const alpha = tf.where(g.notEqual(0), g2.div(tf.where(denom.notEqual(0), denom, tf.onesLike(denom))), tf.zerosLike(g));
    const weights = alpha.mul(g.relu()).sum([1, 2], true);
    const cam = a.mul(weights).sum(3, true).relu() as tf.Tensor4D;
    return upsample(cam, h, w).squeeze([3]) as tf.Tensor3D;
  });
  return { map, layer };
}

export function layerCam(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, camLayer?: string): { map: tf.Tensor3D; layer: LayerInfo } {
  const layer = camLayerOf(model, t, camLayer);
  const [, h, w] = x.shape;
  const map = tf.tidy(() => {
    const [a, g] = activationAndGradient(model, x, t, layer);
    const cam = g.relu().mul(a).sum(3, true).relu() as tf.Tensor4D;
    return upsample(cam, h, w).squeeze([3]) as tf.Tensor3D;
  });
  return { map, layer };
}

export interface ScoreCamArgs {
  readonly camLayer?: string;
  /** Masked images per forward pass; default: what fits the memory budget. */
  readonly maxBatch?: number;
}

export function scoreCam(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, args: ScoreCamArgs = {}): { map: tf.Tensor3D; layer: LayerInfo } {
  const layer = camLayerOf(model, t, args.camLayer);
  const [n, h, w] = x.shape;
  const k = layer.units;
  const chunk = args.maxBatch ?? defaultMaxBatch(model, t.layer.name);
  const base = neutral(model);
  const maps: tf.Tensor2D[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const xi = x.slice([i, 0, 0, 0], [1, -1, -1, -1]);
      const [ai] = model.activations(xi, [layer.name]);
      const ti: ResolvedTarget = { layer: t.layer, units: [t.units[i]], neurons: t.neurons ? [t.neurons[i]] : undefined };
      let sum = tf.zeros([h, w]) as tf.Tensor2D;
      for (const [from, to] of chunkRanges(k, chunk)) {
        const next = tf.tidy(() => {
          // [kc, H, W, 1]: channel k's map, upsampled, as one row per channel.
          const up = upsample(ai.slice([0, 0, 0, from], [1, -1, -1, to - from]) as tf.Tensor4D, h, w).transpose([3, 1, 2, 0]);
          const lo = up.min([1, 2, 3], true);
          const span = up.max([1, 2, 3], true).sub(lo);
          // A constant channel carries no location: its mask is empty (weight × map still counts).
          const mask = tf.where(span.greater(0), up.sub(lo).div(tf.where(span.greater(0), span, tf.onesLike(span))), tf.zerosLike(up));
          const masked = xi.sub(base).mul(mask).add(base) as tf.Tensor4D;
          const scores = outputScores(model, masked, ti);
          return sum.add(up.squeeze([3]).mul(scores.reshape([-1, 1, 1])).sum(0)) as tf.Tensor2D;
        });
        sum.dispose();
        sum = next;
      }
      maps.push(tf.tidy(() => sum.relu() as tf.Tensor2D));
      tf.dispose([xi, ai, sum]);
    }
    return { map: tf.stack(maps) as tf.Tensor3D, layer };
  } finally {
    tf.dispose(maps);
  }
}
