/**
 * MaCo's robustness (Fel et al. 2023; Xplique's maco_optimisation_step): every step, k random
 * square crops of each canvas, resized to the model's input, plus Gaussian and uniform noise. The
 * crops' centres are 0.5 + N(0, 0.15) of the side, their size N(box, 0.05) clipped to [0.05, 1] of
 * the side, with `box` shrinking over the run — early steps shape the whole canvas, late ones its
 * details. Outside the canvas a crop reads `fill` (Xplique: 0, its neutral value).
 *
 * The k boxes of a step are shared by all images of the batch (one gather pattern for the batch;
 * each image is its own problem, so sharing the random draws costs nothing). Output is item-major:
 * view j of image i is row i·k + j, as the loop's multi-view contract expects.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../engine/rng.js';

export interface CropArgs {
  /** Crops per image per step (Xplique: 32). */
  readonly count: number;
  /** Mean crop side as a fraction of the canvas side, at this step. */
  readonly box: (step: number) => number;
  /** Model input size [h, w] every crop is resized to. */
  readonly size: readonly [number, number];
  /** Noise standard deviation in pixel units at this step (uniform noise of width σ is added too). */
  readonly noise: (step: number) => number;
  readonly fill: number;
  readonly rng: Rng;
}

export interface Box {
  /** Top-left corner and side, as fractions of the canvas (y, x, side). */
  readonly y: number;
  readonly x: number;
  readonly side: number;
}

export function drawBoxes(rng: Rng, count: number, box: number): Box[] {
  return Array.from({ length: count }, () => {
    const cy = 0.5 + 0.15 * rng.normal();
    const cx = 0.5 + 0.15 * rng.normal();
    const side = Math.min(1, Math.max(0.05, box + 0.05 * rng.normal()));
    return { y: cy - side / 2, x: cx - side / 2, side };
  });
}

/**
 * Bilinear crop-and-resize of x [N, H, W, C] through `boxes` → [N·k, h, w, C] (tf.image.cropAndResize
 * has no gradient in tfjs): a gather of four neighbours and a weighted sum, whose gradient is a
 * scatter-add. Sample points as cropAndResize: corners of the box map to corners of the output.
 */
export function cropResize(x: tf.Tensor4D, boxes: readonly Box[], size: readonly [number, number], fill: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, H, W, c] = x.shape;
    const [h, w] = size;
    const k = boxes.length;
    const hw = H * W;
    const m = k * h * w;
    const idx = new Int32Array(4 * m);
    const wts = new Float32Array(4 * m);
    boxes.forEach((b, j) => {
      for (let yy = 0; yy < h; yy++) {
        const sy = (b.y + (h > 1 ? (yy / (h - 1)) * b.side : b.side / 2)) * (H - 1);
        for (let xx = 0; xx < w; xx++) {
          const sx = (b.x + (w > 1 ? (xx / (w - 1)) * b.side : b.side / 2)) * (W - 1);
          const x0 = Math.floor(sx);
          const y0 = Math.floor(sy);
          const fx = sx - x0;
          const fy = sy - y0;
          const o = 4 * ((j * h + yy) * w + xx);
          const corners: [number, number, number][] = [[x0, y0, (1 - fx) * (1 - fy)], [x0 + 1, y0, fx * (1 - fy)], [x0, y0 + 1, (1 - fx) * fy], [x0 + 1, y0 + 1, fx * fy]];
          corners.forEach(([px, py, wt], q) => {
            const inside = px >= 0 && px < W && py >= 0 && py < H;
            idx[o + q] = inside ? py * W + px : hw;
            wts[o + q] = wt;
          });
        }
      }
    });
    const flat = tf.concat([x.reshape([n, hw, c]), tf.fill([n, 1, c], fill)], 1);
    const g = flat.gather(tf.tensor1d(idx, 'int32'), 1).mul(tf.tensor3d(wts, [1, 4 * m, 1]));
    return g.reshape([n, m, 4, c]).sum(2).reshape([n * k, h, w, c]) as tf.Tensor4D;
  });
}

/** The loop's transform hook for MaCo: (canvases, step) → k noisy crops per canvas. */
export function randomCrops(args: CropArgs): (x: tf.Tensor4D, step: number) => tf.Tensor4D {
  return (x, step) =>
    tf.tidy(() => {
      const views = cropResize(x, drawBoxes(args.rng, args.count, args.box(step)), args.size, args.fill);
      const s = args.noise(step);
      if (s <= 0) return views;
      const gauss = tf.randomNormal(views.shape, 0, s, 'float32', args.rng.seed());
      const unif = tf.randomUniform(views.shape, -s / 2, s / 2, 'float32', args.rng.seed());
      return views.add(gauss).add(unif) as tf.Tensor4D;
    });
}
