/**
 * Noise, made measurable (the maximising-images paper §3–4, where the step count of the data-driven method is "the
 * average maximum step before any noise appears"): at step t the step-filtered image has
 * *isolated* on-pixels — on, with none of its 8 neighbours on — that the step-filtered start did
 * not have; noise has appeared once there are at least `minIsolated` (default 2) of them. Strokes
 * grow as connected regions, speckle appears as isolated pixels, and only what passes the final
 * filter counts. A plain function over the images a run reports (StepInfo.image).
 */
import type * as tf from '@tensorflow/tfjs';
import { itemOf } from '../engine/read.js';
import type { StepInfo } from '../optimize/loop.js';

/** Isolated on-pixels (channel mean above `level`, no 8-neighbour on) of one image [H, W, C]. */
export function isolatedPixels(
  values: ArrayLike<number>,
  shape: readonly [number, number, number],
  level: number,
): number {
  const [h, w, c] = shape;
  const on = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += values[p * c + k];
    on[p] = s / c > level ? 1 : 0;
  }
  let isolated = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!on[y * w + x]) continue;
      let neighbours = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const [yy, xx] = [y + dy, x + dx];
          if ((dx || dy) && yy >= 0 && yy < h && xx >= 0 && xx < w) neighbours += on[yy * w + xx];
        }
      }
      if (neighbours === 0) isolated++;
    }
  }
  return isolated;
}

/** Watches a run from `start` [N, H, W, C]: `onStep` records, per image, the first step at which noise appeared (−1: never). */
export function noiseOnsets(
  start: tf.Tensor4D,
  level: number,
  minIsolated = 2,
): { onsets: number[]; onStep: (info: StepInfo) => void } {
  const [n, ...rest] = start.shape;
  const shape = rest as [number, number, number];
  const v0 = start.dataSync() as Float32Array;
  const base = Array.from({ length: n }, (_, i) =>
    isolatedPixels(itemOf(v0, i, shape), shape, level),
  );
  const onsets = new Array<number>(n).fill(-1);
  const onStep = (info: StepInfo) => {
    if (onsets.every((s) => s >= 0)) return;
    const v = info.image().dataSync() as Float32Array;
    for (let i = 0; i < n; i++) {
      if (
        onsets[i] < 0 &&
        isolatedPixels(itemOf(v, i, shape), shape, level) - base[i] >= minIsolated
      )
        onsets[i] = info.step + 1;
    }
  };
  return { onsets, onStep };
}
