/**
 * A Fourier parameterization that starts at a given image (feature accentuation: Hamblin et al.
 * 2024, "Feature Accentuation: Revealing 'What' Features Respond to in Natural Images"; Horama's
 * inverse_image_spectrum): the image is taken back through the sigmoid (logit of its place in the
 * input range, clipped ε = 1e-3 from the ends) and the colour decorrelation, and its real-FFT
 * spectrum is the starting variable. Through `bounded` (with decorrelate for colour) the first image
 * is the given image, up to the ε clip.
 *
 * The variable is the spectrum divided by a 1/f^decay scale (Horama: decay 1.5), so a step of the
 * same size moves low frequencies more: accentuation changes the start image's shapes before its texture.
 */
import * as tf from '@tensorflow/tfjs';
import { irfft2d, rfftFrequencies } from './fourier.js';
import { toDecorrelated } from './phase.js';
import type { Param } from './pixels.js';
import { rfft2, spectrumCols } from './spectrum.js';

export interface FromImageArgs {
  /** The start images [n, H, W, C], in `range`. Read, not kept. */
  readonly images: tf.Tensor4D;
  readonly range: readonly [number, number];
  readonly channelOrder?: 'rgb' | 'bgr';
  /** Spectrum scale 1/f^decay; default 1.5. */
  readonly decay?: number;
}

const EPS = 1e-3;

/** n images [n, H, W, C] of unbounded values whose `bounded(…, { decorrelate: C = 3 })` image starts at `images`. */
export function fromImageSpectrum(args: FromImageArgs): Param {
  const [n, h, w, c] = args.images.shape;
  const [lo, hi] = args.range;
  const wf = spectrumCols(w);
  const freqs = rfftFrequencies(h, w);
  const scaleValues = freqs.map((f) => 1 / Math.max(f, 1 / Math.max(h, w)) ** (args.decay ?? 1.5));
  const top = Math.max(...scaleValues);
  const scale = tf.keep(
    tf.tensor3d(
      scaleValues.map((v) => v / top),
      [1, h, wf],
    ),
  );
  const px = args.images.dataSync();
  const basis = c === 3 ? toDecorrelated(args.channelOrder ?? 'rgb') : null;
  const re = new Float32Array(n * c * h * wf);
  const im = new Float32Array(n * c * h * wf);
  const plane = new Float32Array(c * h * w);
  const one = new Float32Array(c);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < h * w; p++) {
      for (let k = 0; k < c; k++) {
        const t = Math.min(1 - EPS, Math.max(EPS, (px[(i * h * w + p) * c + k] - lo) / (hi - lo)));
        one[k] = Math.log(t / (1 - t));
      }
      const y = basis ? basis(one) : one;
      for (let k = 0; k < c; k++) plane[k * h * w + p] = y[k];
    }
    for (let k = 0; k < c; k++) {
      const s = rfft2(plane.subarray(k * h * w, (k + 1) * h * w), h, w);
      const off = (i * c + k) * h * wf;
      for (let j = 0; j < h * wf; j++) {
        re[off + j] = s.re[j] / (scaleValues[j] / top);
        im[off + j] = s.im[j] / (scaleValues[j] / top);
      }
    }
  }
  const own = (a: Float32Array) => {
    const t = tf.tensor3d(a, [n * c, h, wf]);
    const v = tf.variable(t, true);
    t.dispose();
    return v;
  };
  const vr = own(re);
  const vi = own(im);
  return {
    variables: [vr, vi],
    image: () =>
      tf.tidy(() => {
        const x = irfft2d(vr.mul(scale) as tf.Tensor3D, vi.mul(scale) as tf.Tensor3D, w);
        return x.reshape([n, c, h, w]).transpose([0, 2, 3, 1]) as tf.Tensor4D;
      }),
    dispose: () => {
      for (const t of [vr, vi, scale]) t.dispose();
    },
  };
}
