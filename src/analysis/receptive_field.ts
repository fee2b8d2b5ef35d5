/**
 * The receptive field of one spatial neuron, measured rather than derived: the bounding box of the
 * input pixels whose gradient is non-zero, united over a few random inputs (so a ReLU that happens
 * to be off cannot hide part of it). Works the same for layers models and graph models.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';

export interface Box {
  /** Inclusive top-left, exclusive bottom-right, in input pixels. */
  y0: number;
  x0: number;
  y1: number;
  x1: number;
}

export function measuredReceptiveField(
  model: VisModel, layerName: string, neuron: readonly [number, number], probes = 3, seed = 0,
): Box {
  const layer = model.layer(layerName);
  const [h, w, c] = model.input.shape;
  const [lo, hi] = model.input.range;
  const rng = new Rng(seed);
  const support = tf.tidy(() => {
    const x = tf.randomUniform([probes, h, w, c], lo, hi, 'float32', rng.seed()) as tf.Tensor4D;
    const g = tf.grad((xi: tf.Tensor) => {
      const [act] = model.activations(xi as tf.Tensor4D, [layer.name]);
      if (act.rank !== 4) return act.sum();
      return (act as tf.Tensor4D).slice([0, neuron[1], neuron[0], 0], [-1, 1, 1, -1]).sum();
    })(x);
    return g.abs().sum([0, 3]).greater(0);
  });
  const mask = support.dataSync();
  support.dispose();
  let box: Box = { y0: h, x0: w, y1: 0, x1: 0 };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      box = { y0: Math.min(box.y0, y), x0: Math.min(box.x0, x), y1: Math.max(box.y1, y + 1), x1: Math.max(box.x1, x + 1) };
    }
  }
  return box.y1 > box.y0 ? box : { y0: 0, x0: 0, y1: h, x1: w };
}

/** Crops [H, W, C] pixel values to a box. */
export function cropValues(values: ArrayLike<number>, shape: readonly [number, number, number], box: Box): Float32Array {
  const [, w, c] = shape;
  const bh = box.y1 - box.y0;
  const bw = box.x1 - box.x0;
  const out = new Float32Array(bh * bw * c);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      for (let k = 0; k < c; k++) out[(y * bw + x) * c + k] = values[((y + box.y0) * w + (x + box.x0)) * c + k];
    }
  }
  return out;
}
