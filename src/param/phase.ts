/**
 * Phase-only Fourier parameterization (MaCo: Fel et al. 2023, "Unlocking Feature Visualization
 * for Deeper Networks with MAgnitude Constrained Optimization"; Xplique's
 * maco_image_parametrization): the variable is the phase φ of each image's real-FFT spectrum; the
 * magnitude M is fixed to that of natural images (spectrum.ts). Per image:
 *   φ ← (φ − mean φ) / std φ                  (as Xplique: lr 1.0 then means a fixed angle scale)
 *   x = irfft2d(M·cos φ, M·sin φ)              (the matmul inverse DFT of fourier.ts)
 *   x ← (x − mean x) / std x                  → then `bounded` recorrelates colour and applies the sigmoid
 * On the columns whose spectrum must be Hermitian along H (DC, and Nyquist for even widths) the
 * phase is made odd, φ(u) ← (φ(u) − φ(−u))/2: a real image has that symmetry, and without it the
 * inverse real DFT silently drops part of the spectrum, so the image would not have magnitude M.
 * With it, |rfft2(raw image)| = M exactly (the test checks it).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import { decorrelateColour } from './bounded.js';
import { irfft2d } from './fourier.js';
import type { Param } from './pixels.js';
import { hermitianColumns, resizeSpectrum, spectrumCols, type Spectrum } from './spectrum.js';

export interface PhaseArgs {
  /** Fixed magnitude, resized to the image's grid when it was measured at another size. */
  readonly magnitude: Spectrum;
  /** Standard deviation of the initial phase (Xplique: 1). */
  readonly sd?: number;
  readonly rng: Rng;
  /**
   * Free brightness and contrast per image and channel: the standardized image times a gain plus
   * an offset, both optimized (see `phaseOnly`). Default off: the image stays standardized.
   */
  readonly levels?: boolean;
}

/** The inverse of bounded.ts's colour decorrelation (RGB → decorrelated basis), as a per-pixel map. */
export function toDecorrelated(order: 'rgb' | 'bgr' = 'rgb'): (px: Float32Array) => Float32Array {
  // Column i of the basis B is what decorrelateColour makes of the unit colour e_i.
  const b = tf.tidy(() =>
    decorrelateColour(tf.eye(3).reshape([1, 1, 3, 3]) as tf.Tensor4D, order).dataSync(),
  );
  const m = [
    [b[0], b[3], b[6]],
    [b[1], b[4], b[7]],
    [b[2], b[5], b[8]],
  ];
  const det =
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const cof = (r: number, c: number) => {
    const rs = [0, 1, 2].filter((i) => i !== r);
    const cs = [0, 1, 2].filter((i) => i !== c);
    return (
      ((r + c) % 2 ? -1 : 1) *
      (m[rs[0]][cs[0]] * m[rs[1]][cs[1]] - m[rs[0]][cs[1]] * m[rs[1]][cs[0]])
    );
  };
  const inv = [0, 1, 2].map((r) => [0, 1, 2].map((c) => cof(c, r) / det));
  return (px) => Float32Array.from(inv, (row) => row[0] * px[0] + row[1] * px[1] + row[2] * px[2]);
}

/** Odd-symmetric phase on the Hermitian columns; phase [B, H, Wf]. Exposed for the test. */
export function hermitianPhase(phase: tf.Tensor3D, w: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [, h, wf] = phase.shape;
    const flip = tf.tensor1d(
      Array.from({ length: h }, (_, u) => (h - u) % h),
      'int32',
    );
    const odd = phase.sub(phase.gather(flip, 1)).div(2);
    const cols = new Float32Array(wf);
    for (const v of hermitianColumns(w)) cols[v] = 1;
    const mask = tf.tensor3d(cols, [1, 1, wf]);
    return odd.mul(mask).add(phase.mul(tf.scalar(1).sub(mask))) as tf.Tensor3D;
  });
}

/** (x − mean) / std over every axis but the first. */
function standardize<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
    const { mean, variance } = tf.moments(x, axes, true);
    return x.sub(mean).div(variance.sqrt().add(1e-5)) as T;
  });
}

/** The raw image [n, H, W, C] of phases [n·C, H, Wf] under magnitude [C, H, Wf] (before standardization). */
export function phaseImage(
  phase: tf.Tensor3D,
  magnitude: tf.Tensor3D,
  n: number,
  shape: readonly [number, number, number],
): tf.Tensor4D {
  return tf.tidy(() => {
    const [h, w, c] = shape;
    const wf = spectrumCols(w);
    const p = hermitianPhase(
      standardize(phase.reshape([n, c * h * wf])).reshape([n * c, h, wf]) as tf.Tensor3D,
      w,
    );
    const m = tf.tile(magnitude, [n, 1, 1]);
    const x = irfft2d(m.mul(p.cos()) as tf.Tensor3D, m.mul(p.sin()) as tf.Tensor3D, w);
    return x.reshape([n, c, h, w]).transpose([0, 2, 3, 1]) as tf.Tensor4D;
  });
}

/** n images [n, H, W, C] of standardized values (pass through `bounded` with decorrelate for colour). */
export function phaseOnly(
  n: number,
  shape: readonly [number, number, number],
  args: PhaseArgs,
): Param {
  const [h, w, c] = shape;
  if (args.magnitude.channels !== c) {
    throw new DeepvisError(
      `the magnitude spectrum (${args.magnitude.source}) has ${args.magnitude.channels} channels; the image has ${c}`,
    );
  }
  const wf = spectrumCols(w);
  const magnitude = tf.keep(tf.tensor3d(resizeSpectrum(args.magnitude, h, w), [c, h, wf]));
  const t = tf.randomNormal([n * c, h, wf], 0, args.sd ?? 1, 'float32', args.rng.seed());
  const phase = tf.variable(t, true);
  t.dispose();
  // Levels: gain exp(0.05·g) and offset 0.1·b, so Nadam's unit-sized steps move them gently.
  const zeros = () => tf.tidy(() => tf.variable(tf.zeros([n, 1, 1, c]), true));
  const levels = args.levels ? [zeros(), zeros()] : [];
  const raw = () => standardize(phaseImage(phase as unknown as tf.Tensor3D, magnitude, n, shape));
  return {
    variables: [phase, ...levels],
    image: () =>
      tf.tidy(() => {
        const x = raw();
        if (!levels.length) return x;
        const [g, b] = levels;
        return x.mul(g.mul(0.05).exp()).add(b.mul(0.1)) as tf.Tensor4D;
      }),
    dispose: () => {
      phase.dispose();
      tf.dispose(levels);
      magnitude.dispose();
    },
  };
}
