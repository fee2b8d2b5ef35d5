/**
 * A batch of images as one labelled grid: what a library user wants from a method's result
 * ([U, H, W, C], e.g. `featureVis.lucid(...).images`) to write a PNG in one line.
 */
import type * as tf from '@tensorflow/tfjs';
import { itemOf } from '../engine/read.js';
import { grid, type GridArgs } from './grid.js';
import { toImage, type Normalize, type RgbaImage } from './image.js';

/** Each image of `images` [N, H, W, C] as a tile (min-max scaled unless `norm` says otherwise), in a grid. */
export function imagesGrid(
  images: tf.Tensor4D,
  args: GridArgs & { norm?: Normalize } = {},
): RgbaImage {
  const [n, h, w, c] = images.shape;
  const values = images.dataSync();
  const tiles = Array.from({ length: n }, (_, i) =>
    toImage(itemOf(values, i, [h, w, c]), [h, w, c], args.norm),
  );
  return grid(tiles, args);
}
