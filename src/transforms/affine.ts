/**
 * Transformation robustness (Olah et al. 2017, §Transformation robustness; Lucid's
 * standard_transforms; Mordvintsev's jitter): each step the image is padded, shifted, scaled and
 * rotated at random before the model sees it, so only features that survive small geometric
 * changes are rewarded and the high-frequency patterns that exploit exact pixel positions are not.
 *
 * deepvis models have fixed input sizes (dense layers), so every transform here keeps H×W: each one
 * is an affine map of the image plane, they compose into one 2×3 matrix per step, and the image is
 * resampled once (bilinear, `fill` outside). Padding by p is a shrink by H/(H+2p) with `fill`
 * around, which is what a fixed-size net sees of Lucid's pad-then-crop.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../engine/rng.js';

/** Output pixel (x, y) samples the input at A·[x, y, 1], coordinates relative to the centre. */
export type Affine = readonly [number, number, number, number, number, number];
export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

/** One transform: draws its matrix for this step (output → input coordinates). */
export interface Transform {
  readonly name: string;
  draw(rng: Rng, h: number, w: number): Affine;
}

/** a∘b: first b's output → input, then a's. Output coords of the pipeline go through the last transform first. */
export function compose(a: Affine, b: Affine): Affine {
  return [
    a[0] * b[0] + a[1] * b[3],
    a[0] * b[1] + a[1] * b[4],
    a[0] * b[2] + a[1] * b[5] + a[2],
    a[3] * b[0] + a[4] * b[3],
    a[3] * b[1] + a[4] * b[4],
    a[3] * b[2] + a[4] * b[5] + a[5],
  ];
}

const pick = <T>(rng: Rng, xs: readonly T[]): T =>
  xs[Math.min(xs.length - 1, Math.floor(rng.next() * xs.length))];

export function pad(p: number): Transform {
  return {
    name: `pad(${p})`,
    draw: (_, h, w) => {
      const s = (Math.max(h, w) + 2 * p) / Math.max(h, w);
      return [s, 0, 0, 0, s, 0];
    },
  };
}

/** Random integer shift of up to ±d pixels in each direction. */
export function jitter(d: number): Transform {
  return {
    name: `jitter(${d})`,
    draw: (rng) => [
      1,
      0,
      Math.round((rng.next() * 2 - 1) * d),
      0,
      1,
      Math.round((rng.next() * 2 - 1) * d),
    ],
  };
}

export function randomScale(scales: readonly number[]): Transform {
  return {
    name: `scale(${Math.min(...scales)}–${Math.max(...scales)})`,
    draw: (rng) => {
      const s = 1 / pick(rng, scales);
      return [s, 0, 0, 0, s, 0];
    },
  };
}

export function randomRotate(degrees: readonly number[]): Transform {
  return {
    name: `rotate(±${Math.max(...degrees.map(Math.abs))}°)`,
    draw: (rng) => {
      const a = (-pick(rng, degrees) * Math.PI) / 180;
      return [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0];
    },
  };
}

/**
 * Bilinear resampling of x [N, H, W, C] through A (same matrix for the batch), as a gather of the
 * four neighbours and a weighted sum: differentiable on every backend (its gradient is a scatter-add).
 */
export function warp(x: tf.Tensor4D, a: Affine, fill: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const cy = (h - 1) / 2;
    const cx = (w - 1) / 2;
    const hw = h * w;
    // Index hw is a fill pixel appended to the flattened image.
    const idx = new Int32Array(4 * hw);
    const wts = new Float32Array(4 * hw);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const ox = xx - cx;
        const oy = y - cy;
        const sx = a[0] * ox + a[1] * oy + a[2] + cx;
        const sy = a[3] * ox + a[4] * oy + a[5] + cy;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        const o = 4 * (y * w + xx);
        const corners: [number, number, number][] = [
          [x0, y0, (1 - fx) * (1 - fy)],
          [x0 + 1, y0, fx * (1 - fy)],
          [x0, y0 + 1, (1 - fx) * fy],
          [x0 + 1, y0 + 1, fx * fy],
        ];
        corners.forEach(([px, py, wt], k) => {
          const inside = px >= 0 && px < w && py >= 0 && py < h;
          idx[o + k] = inside ? py * w + px : hw;
          wts[o + k] = wt;
        });
      }
    }
    const flat = tf.concat([x.reshape([n, hw, c]), tf.fill([n, 1, c], fill)], 1);
    const g = flat.gather(tf.tensor1d(idx, 'int32'), 1).mul(tf.tensor3d(wts, [1, 4 * hw, 1]));
    return g.reshape([n, hw, 4, c]).sum(2).reshape([n, h, w, c]) as tf.Tensor4D;
  });
}

/** The loop's transform hook: draw every transform, compose, resample once. */
export function randomTransforms(
  list: readonly Transform[],
  rng: Rng,
  fill: number,
): (x: tf.Tensor4D) => tf.Tensor4D {
  return (x) => {
    if (list.length === 0) return x;
    const [, h, w] = x.shape;
    const a = list.reduce<Affine>((acc, t) => compose(acc, t.draw(rng, h, w)), IDENTITY);
    return warp(x, a, fill);
  };
}

/**
 * Per-input-size defaults. Lucid's (pad 12, jitter 8, scale ±5%·5, rotate ±10°, jitter 4) are for
 * 224-pixel ImageNet inputs; on a 28×28 digit an 8-pixel jitter moves the stroke off its receptive
 * fields. The sizes scale with the image: pad 5% and jitter 3.5% of the side (then half that);
 * scales 0.9–1.1 and rotations ±10° from 64 pixels up, 0.95–1.05 and ±5° below.
 */
export function defaultTransforms(h: number, w: number): Transform[] {
  const side = Math.max(h, w);
  const p = Math.max(1, Math.round(side * 0.05));
  const j = Math.max(1, Math.round(side * 0.035));
  return [
    pad(p),
    jitter(j),
    randomScale([0.9, 0.95, 1, 1.05, 1.1].map((s) => (side >= 64 ? s : 1 + (s - 1) / 2))),
    randomRotate(side >= 64 ? [-10, -5, 0, 0, 5, 10] : [-5, 0, 0, 5]),
    jitter(Math.max(1, Math.round(j / 2))),
  ];
}
