/**
 * Fourier parameterization (Olah et al. 2017, "Feature Visualization", §Preconditioning; Lucid's
 * fft_image): the variable is an image's real-FFT spectrum, scaled by 1/frequency so that every
 * frequency band has equal say in a gradient step — plain pixels let high frequencies win, which
 * is where the noise of naive optimization comes from.
 *
 * The inverse real DFT is written as matrix products with fixed cos/sin tables instead of tf.irfft:
 * the wasm backend has no complex tensors, and matMul differentiates everywhere. For an H×W image
 * with Wf = ⌊W/2⌋+1 columns of spectrum (real part R, imaginary part I):
 *   along H (complex):  Yr = Ch·R − Sh·I,  Yi = Sh·R + Ch·I          Ch[h,u] = cos(2πuh/H)
 *   along W (Hermitian): x = (Yr·Cw − Yi·Sw) / (H·W)                   Cw[v,w] = c_v·cos(2πvw/W)
 * with c_v = 1 for the DC and Nyquist columns and 2 otherwise — exactly irfft2d.
 */
import * as tf from '@tensorflow/tfjs';
import { constMatMul } from '../engine/native_matmul.js';
import { recent } from '../engine/recent.js';
import type { Rng } from '../engine/rng.js';
import type { Param } from './pixels.js';

export interface FourierArgs {
  /** Standard deviation of the initial spectrum (Lucid: 0.01). */
  readonly sd?: number;
  /** Spectrum scale 1/f^decay (Lucid: 1). */
  readonly decay?: number;
  readonly rng: Rng;
}

/** |frequency| of each (u, v) cell of a real spectrum, in cycles per pixel. */
export function rfftFrequencies(h: number, w: number): Float32Array {
  const wf = Math.floor(w / 2) + 1;
  const f = new Float32Array(h * wf);
  for (let u = 0; u < h; u++) {
    const fy = (u < (h + 1) / 2 ? u : u - h) / h;
    for (let v = 0; v < wf; v++) f[u * wf + v] = Math.hypot(fy, v / w);
  }
  return f;
}

/**
 * The inverse DFT as two fixed matrices applied on the right (rows of the data):
 *   M1 [2H, 2H]: a column v's [R | I] over u → [Yr | Yi] over a, the complex transform along H;
 *   M2 [2Wf, W]: a row a's [Yr | Yi] over v → x over b, the Hermitian transform along W.
 * As x · M products they run on onnxruntime's GEMM where Node has it (engine/native_matmul.ts).
 */
function operators(h: number, w: number) {
  const wf = Math.floor(w / 2) + 1;
  const m1 = new Float32Array(4 * h * h);
  const row = 2 * h;
  for (let u = 0; u < h; u++) {
    for (let a = 0; a < h; a++) {
      const c = Math.cos((2 * Math.PI * u * a) / h);
      const s = Math.sin((2 * Math.PI * u * a) / h);
      m1[u * row + a] = c; // Yr += R·cos
      m1[u * row + h + a] = s; // Yi += R·sin
      m1[(h + u) * row + a] = -s; // Yr −= I·sin
      m1[(h + u) * row + h + a] = c; // Yi += I·cos
    }
  }
  const m2 = new Float32Array(2 * wf * w);
  for (let v = 0; v < wf; v++) {
    const c = v === 0 || (w % 2 === 0 && v === w / 2) ? 1 : 2;
    for (let b = 0; b < w; b++) {
      m2[v * w + b] = (c * Math.cos((2 * Math.PI * v * b) / w)) / (h * w);
      m2[(wf + v) * w + b] = -(c * Math.sin((2 * Math.PI * v * b) / w)) / (h * w);
    }
  }
  return { alongH: constMatMul(m1, 2 * h, 2 * h), alongW: constMatMul(m2, 2 * wf, w) };
}

/** Operators per image size, the few most recent (a run uses one; their sessions are reused across runs). */
const cache = new Map<string, ReturnType<typeof operators>>();
function operatorsFor(h: number, w: number) {
  return recent(
    cache,
    `${h}x${w}`,
    () => operators(h, w),
    4,
    (old) => {
      old.alongH.dispose();
      old.alongW.dispose();
    },
  );
}

/**
 * Inverse real 2-D DFT of spectra re, im [B, H, Wf] → [B, H, W] (irfft2d), differentiable on
 * every backend. Exposed for the parity test against tf.irfft.
 */
export function irfft2d(re: tf.Tensor3D, im: tf.Tensor3D, w: number): tf.Tensor3D {
  return tf.tidy(() =>
    irfftColumns(tf.stack([re.transpose([0, 2, 1]), im.transpose([0, 2, 1])], 2) as tf.Tensor4D, w),
  );
}

/**
 * irfft2d of spectra laid out by column, [B, Wf, 2, H] (each column's real then imaginary part
 * over the rows): the layout the first product reads, which the Fourier param keeps its variable
 * in so that no transpose precedes it.
 */
function irfftColumns(spec: tf.Tensor4D, w: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, wf, , h] = spec.shape;
    const { alongH, alongW } = operatorsFor(h, w);
    // → [B, H, 2, Wf]: each image row's transformed real then imaginary part.
    const rows = alongH(spec.reshape([b * wf, 2 * h]))
      .reshape([b, wf, 2, h])
      .transpose([0, 3, 2, 1])
      .reshape([b * h, 2 * wf]) as tf.Tensor2D;
    return alongW(rows).reshape([b, h, w]) as tf.Tensor3D;
  });
}

/** n images [n, H, W, C] of unbounded values (pass through `bounded` for a valid image). */
export function fourier(
  n: number,
  shape: readonly [number, number, number],
  args: FourierArgs,
): Param {
  const [h, w, c] = shape;
  const wf = Math.floor(w / 2) + 1;
  const sd = args.sd ?? 0.01;
  const freqs = rfftFrequencies(h, w);
  const scaleValues = freqs.map(
    (f) => Math.sqrt(h * w) / Math.max(f, 1 / Math.max(h, w)) ** (args.decay ?? 1),
  );
  // The spectrum and its scale by column ([·, Wf, 2, H], see irfftColumns); drawn by row as before.
  const scale = tf.tidy(() =>
    tf.keep(tf.tensor3d(scaleValues, [1, h, wf]).transpose([0, 2, 1]).expandDims(2)),
  );
  const spec = tf.tidy(() => {
    const draw = (seed: number) =>
      tf.randomNormal([n * c, h, wf], 0, sd, 'float32', seed).transpose([0, 2, 1]);
    const re = draw(args.rng.seed());
    return tf.variable(tf.stack([re, draw(args.rng.seed())], 2), true);
  });
  return {
    variables: [spec],
    image: () =>
      tf.tidy(() => {
        // Lucid divides by 4 so that the sigmoid that follows starts in its linear part.
        const x = irfftColumns(spec.mul(scale) as tf.Tensor4D, w).div(4);
        return x.reshape([n, c, h, w]).transpose([0, 2, 3, 1]) as tf.Tensor4D;
      }),
    dispose: () => {
      for (const k of [spec, scale]) k.dispose();
    },
  };
}
