/**
 * Yosinski, Clune, Nguyen, Fuchs & Lipson 2015, "Understanding Neural Networks Through Deep
 * Visualization" (Yosinski et al. 2015, §Regularized optimization): after each ascent step x ← r_θ(x), with
 * - L2 decay:            x ← (1 − θ_decay)·x            (towards `centre`, the image's neutral value)
 * - Gaussian blur:       every θ_every steps, blur with σ = θ_width (cheaper than every step)
 * - small-norm clipping: zero the pixels whose norm over channels is below the θ_n_pct percentile
 * - small-contribution clipping: zero the pixels whose linearized contribution |x ⊙ ∂a/∂x|, summed
 *   over channels, is below the θ_c_pct percentile (the paper's "linearizing" of |a(x) − a(x_j)|)
 * "Zero" is `centre`: 0 for the paper's mean-subtracted images, the background for ours.
 */
import * as tf from '@tensorflow/tfjs';
import type { Projection } from './projections.js';

export function decay(theta: number, centre = 0): Projection {
  return (x) =>
    x
      .sub(centre)
      .mul(1 - theta)
      .add(centre) as tf.Tensor4D;
}

export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Float32Array.from({ length: 2 * r + 1 }, (_, i) =>
    Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)),
  );
  const s = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / s);
}

/** Separable Gaussian blur with reflected borders (zero padding would darken the edges). */
export function blur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (sigma <= 0) return x.clone();
  return tf.tidy(() => {
    const k = gaussianKernel(sigma);
    const c = x.shape[3];
    const r = Math.min((k.length - 1) / 2, x.shape[1] - 1, x.shape[2] - 1);
    const kk = k.slice((k.length - 1) / 2 - r, (k.length - 1) / 2 + r + 1);
    const norm = kk.reduce((a, b) => a + b, 0);
    const taps = Array.from(kk, (v) => v / norm);
    const kx = tf.tensor4d(
      taps.flatMap((v) => Array(c).fill(v)),
      [1, taps.length, c, 1],
    );
    const ky = tf.tensor4d(
      taps.flatMap((v) => Array(c).fill(v)),
      [taps.length, 1, c, 1],
    );
    const padded = tf.mirrorPad(
      x,
      [
        [0, 0],
        [r, r],
        [r, r],
        [0, 0],
      ],
      'reflect',
    );
    return tf.depthwiseConv2d(
      tf.depthwiseConv2d(padded, kx, 1, 'valid'),
      ky,
      1,
      'valid',
    ) as tf.Tensor4D;
  });
}

export function blurEvery(sigma: number, every: number): Projection {
  return (x, { step }) => (sigma > 0 && every > 0 && (step + 1) % every === 0 ? blur(x, sigma) : x);
}

/** Per-image threshold: the value below which `pct`% of the image's pixels fall. */
function percentileMask(score: tf.Tensor3D, pct: number): tf.Tensor4D {
  const [n, h, w] = score.shape;
  const v = score.dataSync();
  const keep = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const s = v.slice(i * h * w, (i + 1) * h * w);
    const sorted = Float32Array.from(s).sort();
    const t = sorted[Math.min(sorted.length - 1, Math.floor((pct / 100) * sorted.length))];
    for (let j = 0; j < h * w; j++) keep[i * h * w + j] = pct > 0 && s[j] < t ? 0 : 1;
  }
  return tf.tensor4d(keep, [n, h, w, 1]);
}

export function clipSmallNorm(pct: number, centre = 0): Projection {
  return (x) =>
    pct <= 0
      ? x
      : tf.tidy(() => {
          const c = x.sub(centre);
          const m = percentileMask(c.square().sum(3).sqrt() as tf.Tensor3D, pct);
          return c.mul(m).add(centre) as tf.Tensor4D;
        });
}

export function clipSmallContribution(pct: number, centre = 0): Projection {
  return (x, { grad }) =>
    pct <= 0 || grad == null
      ? x
      : tf.tidy(() => {
          const c = x.sub(centre);
          const m = percentileMask(c.mul(grad).abs().sum(3) as tf.Tensor3D, pct);
          return c.mul(m).add(centre) as tf.Tensor4D;
        });
}
