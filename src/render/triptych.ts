/**
 * Three rows per set of images: where a run started, where it ended, and the difference (the
 * channel sum of end − start on a diverging scale) — feature accentuation's picture (Hamblin et al.
 * 2024): what changed in *this* image to drive the unit.
 */
import * as tf from '@tensorflow/tfjs';
import { itemOf, tidyData } from '../engine/read.js';
import { grid } from './grid.js';
import { diverging, toImage, type RgbaImage } from './image.js';

/** `starts` and `ends` [N, H, W, C] in `range` (read, not kept); `labels` one per column. */
export function triptych(
  starts: tf.Tensor4D,
  ends: tf.Tensor4D,
  range: readonly [number, number],
  labels: readonly string[],
  title: string,
): RgbaImage {
  const [n, h, w, c] = starts.shape;
  const shape: [number, number, number] = [h, w, c];
  const s = starts.dataSync() as Float32Array;
  const e = ends.dataSync() as Float32Array;
  const diff = tidyData(() => ends.sub(starts).sum(3));
  const row = (v: Float32Array) =>
    Array.from({ length: n }, (_, i) =>
      toImage(itemOf(v, i, shape), shape, { mode: 'range', range }),
    );
  const diffs = Array.from({ length: n }, (_, i) => diverging(itemOf(diff, i, [h, w]), h, w));
  return grid([...row(s), ...row(e), ...diffs], {
    cols: n,
    labels: [...labels, ...labels, ...labels],
    rowLabels: ['start', 'accentuated', 'difference'],
    title,
    minTile: 84,
  });
}
