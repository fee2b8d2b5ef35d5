/**
 * Canvases larger than the model's input: the image is cut into model-sized windows. One helper
 * places windows (DeepDream's tiles, occlusion's squares); `randomTiles` is the loop's transform
 * for a canvas — a random circular shift every step (so tile seams and pixel-grid artefacts do not
 * build up), then every tile of every canvas as one batch, item-major.
 */
import * as tf from '@tensorflow/tfjs';
import { rewindPerStep, type Rng } from '../engine/rng.js';

/** Origins of windows of `size` every `stride` along [0, extent); the last window is flush with the end. */
export function windowOrigins(extent: number, size: number, stride = size): number[] {
  const out: number[] = [];
  for (let s = 0; s + size <= extent; s += stride) out.push(s);
  if (out[out.length - 1] !== extent - size) out.push(extent - size);
  return out;
}

/** Circular shift of x [N, H, W, C] by (dy, dx), differentiable. */
export function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const sy = ((dy % h) + h) % h;
  const sx = ((dx % w) + w) % w;
  let y = x;
  if (sy) y = tf.concat([y.slice([0, h - sy], [-1, sy]), y.slice([0, 0], [-1, h - sy])], 1);
  if (sx)
    y = tf.concat([y.slice([0, 0, w - sx], [-1, -1, sx]), y.slice([0, 0, 0], [-1, -1, w - sx])], 2);
  return y;
}

/** Canvases [N, H, W, C] → tiles [N·T, th, tw, C] (item-major) after a random shift of up to a tile (the same for a step's second call). */
export function randomTiles(
  tile: readonly [number, number],
  rng: Rng,
): (x: tf.Tensor4D, step?: number) => tf.Tensor4D {
  const [th, tw] = tile;
  const rewind = rewindPerStep(rng);
  return (x, step) => {
    rewind(step);
    const [n, h, w, c] = x.shape;
    const rolled = roll(x, rng.int(th), rng.int(tw));
    const tiles: tf.Tensor4D[] = [];
    for (const oy of windowOrigins(h, th))
      for (const ox of windowOrigins(w, tw))
        tiles.push(rolled.slice([0, oy, ox, 0], [-1, th, tw, -1]));
    return (
      n === 1 ? tf.concat(tiles, 0) : tf.stack(tiles, 1).reshape([-1, th, tw, c])
    ) as tf.Tensor4D;
  };
}

/** Canvas sizes of `octaves` octaves, coarse to fine, each `scale`× the previous, the finest `size`, none smaller than `tile`. */
export function octaveSizes(
  size: readonly [number, number],
  tile: readonly [number, number],
  octaves: number,
  scale: number,
): [number, number][] {
  return Array.from({ length: octaves }, (_, o) => {
    const f = scale ** (octaves - 1 - o);
    return [Math.max(tile[0], Math.round(size[0] / f)), Math.max(tile[1], Math.round(size[1] / f))];
  });
}
