/**
 * Style representation (Gatys, Ecker & Bethge 2015, "A Neural Algorithm of Artistic Style"; seed
 * 001 §1): the Gram matrix of a layer's feature maps, G_ij = Σ_p F_pi·F_pj / P over the P spatial
 * positions — which features occur together, wherever they are. Matching it from white noise
 * reconstructs the layer's "texture" of an image with its spatial arrangement discarded.
 * The score is minus the normalized error ‖G(x) − G(x0)‖² / ‖G(x0)‖², one per batch item.
 */
import * as tf from '@tensorflow/tfjs';
import { tidyData } from '../engine/read.js';
import { DeepvisError } from '../errors.js';
import type { LayerInfo } from '../model/types.js';
import { Objective } from './objective.js';

/** Gram matrices [N, C, C] of activations [N, H, W, C] (or [N, C]: one position); caller disposes. */
export function gram(acts: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const n = acts.shape[0];
    const c = acts.shape[acts.shape.length - 1];
    const f = acts.reshape([n, -1, c]) as tf.Tensor3D;
    return tf.matMul(f, f, true, false).div(f.shape[1]) as tf.Tensor3D;
  });
}

/** `target` is φ(x0) with a batch dimension of 1 (the objective owns its Gram matrix; call dispose()). */
export function styleMatch(layer: LayerInfo, target: tf.Tensor): Objective & { dispose(): void } {
  const want = [1, ...layer.outputShape].join('×');
  if (target.shape.join('×') !== want) {
    throw new DeepvisError(
      `target representation has shape ${target.shape.join('×')}, layer '${layer.name}' gives ${want}`,
    );
  }
  const g0 = tf.keep(gram(target));
  const norm2 = tf.tidy(() => g0.square().sum().dataSync()[0]);
  if (!(norm2 > 0))
    throw new DeepvisError(
      `the image's feature maps at layer '${layer.name}' are all zeros: no style to match`,
    );
  const obj = new Objective(
    [layer.name],
    (acts) => {
      const g = gram(acts.get(layer.name)!);
      return g.sub(g0).square().reshape([g.shape[0], -1]).sum(1).div(norm2).neg() as tf.Tensor1D;
    },
    `${layer.name} Gram (style) match`,
  );
  return Object.assign(obj, { dispose: () => g0.dispose() });
}

/** Normalized Gram error per item of a batch of reconstructions. */
export function styleError(acts: tf.Tensor, target: tf.Tensor): Float32Array {
  return tidyData(() => {
    const g = gram(acts);
    const g0 = gram(target);
    return g.sub(g0).square().reshape([g.shape[0], -1]).sum(1).div(g0.square().sum());
  });
}
