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
import { rewindPerStep, type Rng } from '../engine/rng.js';

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
 * Where each output pixel samples the input through A: the flat input pixel of each of its four
 * bilinear neighbours (−1 outside the image) and their weights, 4 per output pixel, and whether
 * all four are inside.
 */
function samplingTable(h: number, w: number, a: Affine) {
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const idx = new Int32Array(4 * h * w);
  const wts = new Float32Array(4 * h * w);
  const inside = new Uint8Array(h * w);
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
      for (let k = 0; k < 4; k++) {
        const px = x0 + (k & 1);
        const py = y0 + (k >> 1);
        idx[o + k] = px >= 0 && px < w && py >= 0 && py < h ? py * w + px : -1;
        wts[o + k] = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy);
      }
      // All four inside when the top-left and bottom-right ones are.
      inside[y * w + xx] = idx[o] >= 0 && idx[o + 3] >= 0 ? 1 : 0;
    }
  }
  return { idx, wts, inside };
}

/** A sampling table and the image's geometry: what the two passes below read. */
interface Sampling {
  readonly idx: Int32Array;
  readonly wts: Float32Array;
  /** 1 where all four neighbours are inside: (j, j+1, j+w, j+w+1) from idx[4p] = j. */
  readonly inside: Uint8Array;
  readonly n: number;
  readonly hw: number;
  readonly w: number;
  readonly c: number;
}

// The two passes are top-level functions, so that V8 optimizes them once for every step's table.
function resample(s: Sampling, src: Float32Array, fill: number): Float32Array {
  const { idx, wts, inside, n, hw, c } = s;
  const rowStep = s.w * c;
  const out = new Float32Array(n * hw * c);
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let p = 0; p < hw; p++) {
      const o = base + p * c;
      const k = 4 * p;
      if (inside[p]) {
        const i = base + idx[k] * c;
        const w0 = wts[k],
          w1 = wts[k + 1],
          w2 = wts[k + 2],
          w3 = wts[k + 3];
        for (let ch = 0; ch < c; ch++) {
          const t = i + ch;
          out[o + ch] =
            w0 * src[t] + w1 * src[t + c] + w2 * src[t + rowStep] + w3 * src[t + rowStep + c];
        }
        continue;
      }
      for (let q = k; q < k + 4; q++) {
        const j = idx[q];
        const i = base + j * c;
        for (let ch = 0; ch < c; ch++) out[o + ch] += wts[q] * (j < 0 ? fill : src[i + ch]);
      }
    }
  }
  return out;
}

/** The transpose of resample (without the fill, a constant): each output's gradient back to its four neighbours. */
function scatter(s: Sampling, g: Float32Array): Float32Array {
  const { idx, wts, inside, n, hw, c } = s;
  const rowStep = s.w * c;
  const dx = new Float32Array(n * hw * c);
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let p = 0; p < hw; p++) {
      const o = base + p * c;
      const k = 4 * p;
      if (inside[p]) {
        const i = base + idx[k] * c;
        const w0 = wts[k],
          w1 = wts[k + 1],
          w2 = wts[k + 2],
          w3 = wts[k + 3];
        for (let ch = 0; ch < c; ch++) {
          const v = g[o + ch];
          const t = i + ch;
          dx[t] += w0 * v;
          dx[t + c] += w1 * v;
          dx[t + rowStep] += w2 * v;
          dx[t + rowStep + c] += w3 * v;
        }
        continue;
      }
      for (let q = k; q < k + 4; q++) {
        const j = idx[q];
        if (j < 0) continue;
        const i = base + j * c;
        for (let ch = 0; ch < c; ch++) dx[i + ch] += wts[q] * g[o + ch];
      }
    }
  }
  return dx;
}

/**
 * Bilinear resampling of x [N, H, W, C] through A (same matrix for the batch), `fill` outside. It
 * is a fixed sparse linear map (4 taps per output pixel), so it runs as one pass over host memory
 * each way: the forward gathers, the gradient scatter-adds through the same table. As tensor ops
 * (gather, then unsorted segment sum for the gradient) it cost 40% of a Lucid step at 224 px.
 */
export function warp(x: tf.Tensor4D, a: Affine, fill: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const hw = h * w;
  const s: Sampling = { ...samplingTable(h, w, a), n, hw, w, c };
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.tensor4d(resample(s, input.dataSync() as Float32Array, fill), [n, h, w, c]),
    gradFunc: (dy: tf.Tensor) =>
      tf.tensor4d(scatter(s, dy.dataSync() as Float32Array), [n, h, w, c]),
  })) as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => op(x.dtype === 'float32' ? x : x.toFloat()) as tf.Tensor4D);
}

/** The loop's transform hook: draw every transform, compose, resample once (the same draw for a step's second call). */
export function randomTransforms(
  list: readonly Transform[],
  rng: Rng,
  fill: number,
): (x: tf.Tensor4D, step?: number) => tf.Tensor4D {
  const rewind = rewindPerStep(rng);
  return (x, step) => {
    if (list.length === 0) return x;
    rewind(step);
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
