/**
 * Occlusion sensitivity (Zeiler & Fergus 2014 §4.2; the maximising-images paper §1): slide a square of a fill value
 * over the input and record how much the target (a class score, a unit, or one spatial neuron)
 * drops. The occluded copies go through the model in batches. The target's unit and neuron are
 * fixed on the unoccluded image, so every copy is scored on the same neuron.
 */
import { itemOf, tidyData } from '../engine/read.js';
import { batchRanges } from '../data/dataset.js';
import { windowOrigins } from '../transforms/tiles.js';
import * as tf from '@tensorflow/tfjs';
import { resolveTarget, targetScores, type TargetSpec } from '../objectives/target.js';
import { DeepvisError } from '../errors.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';

export interface OcclusionArgs extends TargetSpec {
  /** Side of the square, in input pixels. */
  readonly size?: number;
  readonly stride?: number;
  /**
   * Value painted in the square; default the model's neutral value: Zeiler's grey square for
   * colour images, the dark background for one-channel data such as MNIST (where grey would add
   * ink rather than remove it).
   */
  readonly fill?: number;
  readonly batchSize?: number;
}

export interface OcclusionMap {
  readonly layer: string;
  readonly unit: number;
  readonly neuron?: [number, number];
  readonly size: number;
  readonly stride: number;
  readonly fill: number;
  /** The target on the unoccluded image. */
  readonly base: number;
  /** Drop (base − occluded score) per square position [rows][cols], square top-left at (c·stride, r·stride). */
  readonly drops: number[][];
  /** Per pixel [H·W]: the mean drop over the squares that cover it. */
  readonly heat: Float32Array;
  readonly seconds: number;
}

export function occlusion(
  model: VisModel,
  image: tf.Tensor3D | tf.Tensor4D,
  args: OcclusionArgs = {},
): OcclusionMap {
  const started = performance.now();
  const [h, w, c] = model.input.shape;
  const size = args.size ?? Math.max(2, Math.round(Math.min(h, w) / 4));
  const stride = args.stride ?? Math.max(1, Math.floor(size / 2));
  const fill = args.fill ?? neutral(model);
  if (!(size >= 1 && size <= Math.min(h, w)))
    throw new DeepvisError(`occlusion square of ${size} px does not fit a ${h}×${w} input`);
  if (!(stride >= 1)) throw new DeepvisError(`occlusion stride must be at least 1; got ${stride}`);
  const x = (image.rank === 3 ? image.expandDims(0) : image.clone()) as tf.Tensor4D;
  try {
    if (x.shape[0] !== 1) throw new DeepvisError(`occlusion takes one image; got ${x.shape[0]}`);
    const t = resolveTarget(model, x, args);
    const base = tf.tidy(() => targetScores(model, x, t).dataSync()[0]);
    const ys = windowOrigins(h, size, stride);
    const xs = windowOrigins(w, size, stride);
    const squares = ys.flatMap((y0) => xs.map((x0) => [y0, x0] as const));
    const pixels = x.dataSync();
    const scores = new Float32Array(squares.length);
    for (const [from, to] of batchRanges(squares.length, args.batchSize ?? 128)) {
      const part = squares.slice(from, to);
      const batch = new Float32Array(part.length * h * w * c);
      part.forEach(([y0, x0], i) => {
        const img = itemOf(batch, i, [h, w, c]);
        img.set(pixels);
        for (let y = y0; y < y0 + size; y++)
          img.fill(fill, (y * w + x0) * c, (y * w + x0 + size) * c);
      });
      const s = tidyData(() => targetScores(model, tf.tensor4d(batch, [part.length, h, w, c]), t));
      scores.set(s, from);
    }
    const drops = ys.map((_, r) => xs.map((__, col) => base - scores[r * xs.length + col]));
    const sum = new Float32Array(h * w);
    const count = new Float32Array(h * w);
    squares.forEach(([y0, x0], i) => {
      for (let y = y0; y < y0 + size; y++) {
        for (let xx = x0; xx < x0 + size; xx++) {
          sum[y * w + xx] += base - scores[i];
          count[y * w + xx]++;
        }
      }
    });
    const heat = sum.map((v, i) => (count[i] ? v / count[i] : 0));
    return {
      layer: t.layer.name,
      unit: t.units[0],
      neuron: t.neurons?.[0],
      size,
      stride,
      fill,
      base,
      drops,
      heat,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    x.dispose();
  }
}
