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

function tables(h: number, w: number) {
  const wf = Math.floor(w / 2) + 1;
  const ch = new Float32Array(h * h);
  const sh = new Float32Array(h * h);
  for (let a = 0; a < h; a++) {
    for (let u = 0; u < h; u++) {
      ch[a * h + u] = Math.cos((2 * Math.PI * u * a) / h);
      sh[a * h + u] = Math.sin((2 * Math.PI * u * a) / h);
    }
  }
  const cw = new Float32Array(wf * w);
  const sw = new Float32Array(wf * w);
  for (let v = 0; v < wf; v++) {
    const c = v === 0 || (w % 2 === 0 && v === w / 2) ? 1 : 2;
    for (let b = 0; b < w; b++) {
      cw[v * w + b] = (c * Math.cos((2 * Math.PI * v * b) / w)) / (h * w);
      sw[v * w + b] = (c * Math.sin((2 * Math.PI * v * b) / w)) / (h * w);
    }
  }
  return {
    ch: tf.tensor2d(ch, [h, h]),
    sh: tf.tensor2d(sh, [h, h]),
    cw: tf.tensor2d(cw, [wf, w]),
    sw: tf.tensor2d(sw, [wf, w]),
  };
}

/**
 * Inverse real 2-D DFT of spectra re, im [B, H, Wf] → [B, H, W] (irfft2d), differentiable on
 * every backend. Exposed for the parity test against tf.irfft.
 */
export function irfft2d(
  re: tf.Tensor3D,
  im: tf.Tensor3D,
  w: number,
  t = tables(re.shape[1], w),
): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, wf] = re.shape;
    const cols = (x: tf.Tensor3D) => x.transpose([1, 0, 2]).reshape([h, b * wf]);
    const r = cols(re);
    const i = cols(im);
    const back = (y: tf.Tensor2D) =>
      y
        .reshape([h, b, wf])
        .transpose([1, 0, 2])
        .reshape([b * h, wf]);
    const yr = back(tf.matMul(t.ch, r).sub(tf.matMul(t.sh, i)) as tf.Tensor2D);
    const yi = back(tf.matMul(t.sh, r).add(tf.matMul(t.ch, i)) as tf.Tensor2D);
    return tf.matMul(yr, t.cw).sub(tf.matMul(yi, t.sw)).reshape([b, h, w]) as tf.Tensor3D;
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
  const scale = tf.keep(tf.tensor3d(scaleValues, [1, h, wf]));
  const t = tables(h, w);
  for (const k of Object.values(t)) tf.keep(k);
  const init = (seed: number) => {
    const t = tf.randomNormal([n * c, h, wf], 0, sd, 'float32', seed);
    const v = tf.variable(t, true);
    t.dispose();
    return v;
  };
  const re = init(args.rng.seed());
  const im = init(args.rng.seed());
  return {
    variables: [re, im],
    image: () =>
      tf.tidy(() => {
        // Lucid divides by 4 so that the sigmoid that follows starts in its linear part.
        const x = irfft2d(re.mul(scale) as tf.Tensor3D, im.mul(scale) as tf.Tensor3D, w, t).div(4);
        return x.reshape([n, c, h, w]).transpose([0, 2, 3, 1]) as tf.Tensor4D;
      }),
    dispose: () => {
      for (const k of [re, im, scale, ...Object.values(t)]) k.dispose();
    },
  };
}
