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
import { rewindPerStep, type Rng } from '../engine/rng.js';

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
 * 1-D bilinear weights [k, out, size] of each box along one axis (sample points as cropAndResize:
 * the box's ends map to the output's ends), and per row the weight that fell inside [k, out].
 */
function axisWeights(
  boxes: readonly Box[],
  pick: (b: Box) => number,
  out: number,
  size: number,
): { w: Float32Array; inside: Float32Array } {
  const k = boxes.length;
  const w = new Float32Array(k * out * size);
  const inside = new Float32Array(k * out);
  boxes.forEach((b, j) => {
    for (let o = 0; o < out; o++) {
      const s = (pick(b) + (out > 1 ? (o / (out - 1)) * b.side : b.side / 2)) * (size - 1);
      const p0 = Math.floor(s);
      const f = s - p0;
      for (const [p, wt] of [
        [p0, 1 - f],
        [p0 + 1, f],
      ] as const) {
        if (p >= 0 && p < size && wt > 0) {
          w[(j * out + o) * size + p] += wt;
          inside[j * out + o] += wt;
        }
      }
    }
  });
  return { w, inside };
}

/**
 * Bilinear crop-and-resize of x [N, H, W, C] through `boxes` → [N·k, h, w, C] (tf.image.cropAndResize
 * has no gradient in tfjs). Bilinear sampling is separable, so each crop is Ry·X·Rxᵀ per channel
 * with 1-D weight matrices — matrix products, fast and differentiable on every backend (a gather of
 * four neighbours was 20× slower on wasm) — plus `fill` times the weight that fell outside,
 * 1 − (Σ Ry)(Σ Rx), which is exactly what a four-corner gather with a fill pixel gives.
 */
export function cropResize(
  x: tf.Tensor4D,
  boxes: readonly Box[],
  size: readonly [number, number],
  fill: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, H, W, c] = x.shape;
    const [h, w] = size;
    const k = boxes.length;
    const ry = axisWeights(boxes, (b) => b.y, h, H);
    const rx = axisWeights(boxes, (b) => b.x, w, W);
    // [H, n·W·c] → rows: Ry_all [k·h, H] · X → [k·h, n·W·c]
    const cols = x.transpose([1, 0, 2, 3]).reshape([H, n * W * c]);
    const a = tf.matMul(tf.tensor2d(ry.w, [k * h, H]), cols).reshape([k, h, n, W, c]);
    // per crop: [k, (h·n·c), W] · Rx_jᵀ [k, W, w] → [k, h·n·c, w]
    const rows = a.transpose([0, 1, 2, 4, 3]).reshape([k, h * n * c, W]);
    const b = tf.matMul(rows, tf.tensor3d(rx.w, [k, w, W]), false, true).reshape([k, h, n, c, w]);
    const crops = b.transpose([2, 0, 1, 4, 3]);
    const outside = new Float32Array(k * h * w);
    for (let j = 0; j < k; j++)
      for (let yy = 0; yy < h; yy++)
        for (let xx = 0; xx < w; xx++)
          outside[(j * h + yy) * w + xx] = 1 - ry.inside[j * h + yy] * rx.inside[j * w + xx];
    const filled = fill === 0 ? crops : crops.add(tf.tensor4d(outside, [k, h, w, 1]).mul(fill));
    return filled.reshape([n * k, h, w, c]) as tf.Tensor4D;
  });
}

/** The loop's transform hook for MaCo: (canvases, step) → k noisy crops per canvas (the same for a step's second call). */
export function randomCrops(args: CropArgs): (x: tf.Tensor4D, step: number) => tf.Tensor4D {
  const rewind = rewindPerStep(args.rng);
  return (x, step) =>
    tf.tidy(() => {
      rewind(step);
      const views = cropResize(
        x,
        drawBoxes(args.rng, args.count, args.box(step)),
        args.size,
        args.fill,
      );
      const s = args.noise(step);
      if (s <= 0) return views;
      const gauss = tf.randomNormal(views.shape, 0, s, 'float32', args.rng.seed());
      const unif = tf.randomUniform(views.shape, -s / 2, s / 2, 'float32', args.rng.seed());
      return views.add(gauss).add(unif) as tf.Tensor4D;
    });
}

/** Canvases [N, cH, cW, C] at the model's [h, w]: an average pool for whole factors, else bilinear. Caller disposes. */
export function toModelSize(x: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [, ch, cw] = x.shape;
    const [h, w] = size;
    if (ch === h && cw === w) return x.clone();
    if (ch % h === 0 && cw % w === 0 && ch / h === cw / w)
      return tf.avgPool(x, ch / h, ch / h, 'valid') as tf.Tensor4D;
    return tf.image.resizeBilinear(x, [h, w]) as tf.Tensor4D;
  });
}
