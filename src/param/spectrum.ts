/**
 * Magnitude spectra for the phase-only (MaCo) parameterization: a spectrum is the mean |DFT| of
 * images, per channel, on the real-FFT grid [C, H, ⌊W/2⌋+1]; colour spectra are measured in the
 * decorrelated colour basis (bounded.ts), because that is where the phase-only image lives before
 * its colours are recorrelated (Fel et al. 2023; Xplique's spectrum_decorrelated).
 *
 * Natural-image spectra are scale-free (≈ 1/f in cycles per image), so a spectrum measured at one
 * size serves another by resizing the grid, as Xplique and Horama do. Everything here is plain
 * arrays on the CPU: a spectrum is computed once per run, from a few hundred images at most.
 */
import { DeepvisError } from '../errors.js';

export interface Spectrum {
  /** [C, H, Wf] magnitudes, channel-major. */
  readonly values: Float32Array;
  readonly channels: number;
  /** Height H and width W of the image grid the spectrum describes (Wf = ⌊W/2⌋+1). */
  readonly height: number;
  readonly width: number;
  /** Where it came from, for the JSON. */
  readonly source: string;
}

export const spectrumCols = (w: number) => Math.floor(w / 2) + 1;

/** rfft2 of one channel x [H, W] (row-major) → re, im [H, Wf], separable: rows, then columns. */
export function rfft2(
  x: ArrayLike<number>,
  h: number,
  w: number,
): { re: Float32Array; im: Float32Array } {
  const wf = spectrumCols(w);
  const rr = new Float64Array(h * wf);
  const ri = new Float64Array(h * wf);
  for (let a = 0; a < h; a++) {
    for (let v = 0; v < wf; v++) {
      let re = 0;
      let im = 0;
      for (let b = 0; b < w; b++) {
        const t = (-2 * Math.PI * v * b) / w;
        re += x[a * w + b] * Math.cos(t);
        im += x[a * w + b] * Math.sin(t);
      }
      rr[a * wf + v] = re;
      ri[a * wf + v] = im;
    }
  }
  const outRe = new Float32Array(h * wf);
  const outIm = new Float32Array(h * wf);
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < wf; v++) {
      let re = 0;
      let im = 0;
      for (let a = 0; a < h; a++) {
        const t = (-2 * Math.PI * u * a) / h;
        const c = Math.cos(t);
        const s = Math.sin(t);
        re += rr[a * wf + v] * c - ri[a * wf + v] * s;
        im += rr[a * wf + v] * s + ri[a * wf + v] * c;
      }
      outRe[u * wf + v] = re;
      outIm[u * wf + v] = im;
    }
  }
  return { re: outRe, im: outIm };
}

/** |rfft2| of one channel x [H, W] → [H, Wf]. */
export function rfftMagnitude(x: ArrayLike<number>, h: number, w: number): Float32Array {
  const { re, im } = rfft2(x, h, w);
  return re.map((r, i) => Math.hypot(r, im[i]));
}

/**
 * Mean magnitude spectrum of `count` images [N, H, W, C] (channel-last, as data sets hold them).
 * `toBasis` maps one pixel's channels into the basis the spectrum is measured in (the inverse
 * colour decorrelation for RGB); default identity.
 */
export function meanSpectrum(
  images: Float32Array,
  count: number,
  shape: readonly [number, number, number],
  source: string,
  toBasis?: (px: Float32Array) => Float32Array,
): Spectrum {
  const [h, w, c] = shape;
  if (count < 1)
    throw new DeepvisError(`a magnitude spectrum needs at least one image (${source} has none)`);
  const wf = spectrumCols(w);
  const sum = new Float32Array(c * h * wf);
  const plane = new Float32Array(c * h * w);
  const px = new Float32Array(c);
  for (let i = 0; i < count; i++) {
    const off = i * h * w * c;
    for (let p = 0; p < h * w; p++) {
      for (let k = 0; k < c; k++) px[k] = images[off + p * c + k];
      const y = toBasis ? toBasis(px) : px;
      for (let k = 0; k < c; k++) plane[k * h * w + p] = y[k];
    }
    for (let k = 0; k < c; k++) {
      const m = rfftMagnitude(plane.subarray(k * h * w, (k + 1) * h * w), h, w);
      for (let j = 0; j < h * wf; j++) sum[k * h * wf + j] += m[j] / count;
    }
  }
  return { values: sum, channels: c, height: h, width: w, source };
}

/**
 * The spectrum on another image grid [C, h, ⌊w/2⌋+1], by bilinear interpolation of the
 * unshifted grid (align-corners off, as tf.image.resize), then made Hermitian-consistent: on the
 * columns that are their own conjugate (DC, and Nyquist for even w) the magnitude at row u and
 * row −u must agree, or no real image has it.
 */
export function resizeSpectrum(s: Spectrum, h: number, w: number): Float32Array {
  const wf = spectrumCols(w);
  const [H, WF] = [s.height, spectrumCols(s.width)];
  const out = new Float32Array(s.channels * h * wf);
  const at = (k: number, y: number, x: number) => s.values[k * H * WF + y * WF + x];
  for (let k = 0; k < s.channels; k++) {
    for (let u = 0; u < h; u++) {
      const sy = Math.min(H - 1, Math.max(0, (u + 0.5) * (H / h) - 0.5));
      const y0 = Math.floor(sy);
      const y1 = Math.min(H - 1, y0 + 1);
      const fy = sy - y0;
      for (let v = 0; v < wf; v++) {
        const sx = Math.min(WF - 1, Math.max(0, (v + 0.5) * (WF / wf) - 0.5));
        const x0 = Math.floor(sx);
        const x1 = Math.min(WF - 1, x0 + 1);
        const fx = sx - x0;
        out[k * h * wf + u * wf + v] =
          (1 - fy) * ((1 - fx) * at(k, y0, x0) + fx * at(k, y0, x1)) +
          fy * ((1 - fx) * at(k, y1, x0) + fx * at(k, y1, x1));
      }
    }
  }
  // Exact grids need no resize: keep them exact (the test of the parameterization relies on it).
  if (H === h && s.width === w) out.set(s.values);
  for (const v of hermitianColumns(w)) {
    for (let k = 0; k < s.channels; k++) {
      for (let u = 1; u < h; u++) {
        const a = k * h * wf + u * wf + v;
        const b = k * h * wf + ((h - u) % h) * wf + v;
        if (u < h - u) out[a] = out[b] = (out[a] + out[b]) / 2;
      }
    }
  }
  return out;
}

/** Columns of the real-FFT grid whose values must be Hermitian along H: DC, and Nyquist for even widths. */
export function hermitianColumns(w: number): number[] {
  return w % 2 === 0 && w > 1 ? [0, w / 2] : [0];
}

/**
 * A 1/f magnitude spectrum [C, H, ⌊W/2⌋+1] on the unshifted grid: 1 / max(f, 1/max(H, W)), f the
 * frequency in cycles per pixel (Lucid's Fourier scaling, Olah et al. 2017) — what natural images
 * have on average (Field 1987), for a phase-only image when no data set gives its own spectrum.
 */
export function oneOverF(channels: number, h: number, w: number): Spectrum {
  const wf = spectrumCols(w);
  const values = new Float32Array(channels * h * wf);
  const floor = 1 / Math.max(h, w);
  for (let u = 0; u < h; u++) {
    const fy = Math.min(u, h - u) / h;
    for (let v = 0; v < wf; v++) {
      const m = 1 / Math.max(Math.hypot(fy, v / w), floor);
      for (let k = 0; k < channels; k++) values[k * h * wf + u * wf + v] = m;
    }
  }
  return { values, channels, height: h, width: w, source: '1/f (no data set given)' };
}
