/**
 * Feature matching for inversion (Mahendran & Vedaldi 2015, Cavojska 2015 §7): the score is minus the
 * normalized representation error ‖φ(x) − φ(x0)‖² / ‖φ(x0)‖², so every batch item reconstructs
 * the same target representation from its own start.
 */
import { tidyData } from '../engine/read.js';
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { LayerInfo } from '../model/types.js';
import { Objective } from './objective.js';

/** `target` is φ(x0) with a batch dimension of 1 (the objective owns a copy; call dispose()). */
export function featureMatch(layer: LayerInfo, target: tf.Tensor): Objective & { dispose(): void } {
  const want = [1, ...layer.outputShape].join('×');
  if (target.shape.join('×') !== want) {
    throw new DeepvisError(
      `target representation has shape ${target.shape.join('×')}, layer '${layer.name}' gives ${want}`,
    );
  }
  const t = tf.keep(target.clone());
  const norm2 = tf.tidy(() => t.square().sum().dataSync()[0]);
  if (!(norm2 > 0))
    throw new DeepvisError(
      `the image's representation at layer '${layer.name}' is all zeros: nothing to invert`,
    );
  const obj = new Objective(
    [layer.name],
    (acts) => {
      const a = acts.get(layer.name)!;
      return a.sub(t).square().reshape([a.shape[0], -1]).sum(1).div(norm2).neg() as tf.Tensor1D;
    },
    `${layer.name} feature match`,
  );
  return Object.assign(obj, { dispose: () => t.dispose() });
}

/** Normalized representation error per item of a batch of reconstructions (reported by invert). */
export function representationError(acts: tf.Tensor, target: tf.Tensor): Float32Array {
  return tidyData(() => {
    const n = acts.shape[0];
    return acts.sub(target).square().reshape([n, -1]).sum(1).div(target.square().sum());
  });
}
