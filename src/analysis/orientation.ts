/**
 * Are first-layer filters Gabor-like? Erhan et al. 2009 §6.1 (and the literature it cites: Olshausen & Field
 * 1996, Osindero & Hinton 2008) expects filters learned on whitened natural patches to be localized,
 * oriented edge detectors, and judges it by eye. This makes the judgement a number per filter:
 *  - orientation: the largest fraction of the filter's spectral energy (DC excluded) whose
 *    orientation lies within one 45° band (the band's centre searched in 11.25° steps). Isotropic
 *    noise puts ≈ 1/4 of its energy in any band; a Gabor nearly all of it;
 *  - localization: the fraction of the filter's squared weight inside a disk of radius side/3
 *    around its energy centroid (≈ 0.35 for noise or a grating spread over the patch; near 1 for a
 *    Gabor whose envelope fits in it; ≈ 2/3 for a thin edge running across the whole patch).
 * A filter is Gabor-like when both pass their thresholds (defaults below, set so that noise and
 * full-patch gratings fail and Gabors with envelopes up to a third of the side pass).
 */
import { DeepvisError } from '../errors.js';

export interface GaborArgs {
  /** Orientation fraction needed; default 0.6. */
  readonly orientation?: number;
  /** Localization fraction needed; default 0.6. */
  readonly localization?: number;
}
export const GABOR_DEFAULTS = { orientation: 0.6, localization: 0.6 } as const;

export interface FilterShape {
  readonly orientation: number;
  /** Dominant orientation of the wave vector, degrees in [0, 180) (0 = vertical stripes, 90 = horizontal). */
  readonly angle: number;
  readonly localization: number;
  readonly gaborLike: boolean;
}

const BAND = Math.PI / 4;
const STEPS = 16;

/** Spectral power of a mean-removed h×w filter at every frequency but DC, with its orientation. */
function spectrum(
  f: ArrayLike<number>,
  h: number,
  w: number,
): { power: number[]; theta: number[] } {
  let mean = 0;
  for (let i = 0; i < h * w; i++) mean += f[i] / (h * w);
  const power: number[] = [];
  const theta: number[] = [];
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < w; v++) {
      if (u === 0 && v === 0) continue;
      let re = 0;
      let im = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const a = -2 * Math.PI * ((u * y) / h + (v * x) / w);
          const val = f[y * w + x] - mean;
          re += val * Math.cos(a);
          im += val * Math.sin(a);
        }
      }
      // Signed frequencies (cycles per pixel), so the orientation is that of the wave vector.
      const fy = (u > h / 2 ? u - h : u) / h;
      const fx = (v > w / 2 ? v - w : v) / w;
      power.push(re * re + im * im);
      theta.push(((Math.atan2(fy, fx) % Math.PI) + Math.PI) % Math.PI);
    }
  }
  return { power, theta };
}

function orientationOf(
  f: ArrayLike<number>,
  h: number,
  w: number,
): { fraction: number; angle: number } {
  const { power, theta } = spectrum(f, h, w);
  const total = power.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return { fraction: 0, angle: 0 };
  let best = 0;
  // The dominant orientation: the energy-weighted circular mean of the doubled angles.
  let c2 = 0;
  let s2 = 0;
  for (let i = 0; i < power.length; i++) {
    c2 += power[i] * Math.cos(2 * theta[i]);
    s2 += power[i] * Math.sin(2 * theta[i]);
  }
  const mean = (Math.atan2(s2, c2) / 2 + Math.PI) % Math.PI;
  for (let s = 0; s < STEPS; s++) {
    const centre = (s * Math.PI) / STEPS;
    let e = 0;
    for (let i = 0; i < power.length; i++) {
      let d = Math.abs(theta[i] - centre) % Math.PI;
      if (d > Math.PI / 2) d = Math.PI - d;
      if (d <= BAND / 2 + 1e-9) e += power[i];
    }
    if (e > best) best = e;
  }
  return { fraction: best / total, angle: (mean * 180) / Math.PI };
}

function localizationOf(f: ArrayLike<number>, h: number, w: number): number {
  let mean = 0;
  for (let i = 0; i < h * w; i++) mean += f[i] / (h * w);
  let total = 0;
  let cy = 0;
  let cx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const e = (f[y * w + x] - mean) ** 2;
      total += e;
      cy += e * y;
      cx += e * x;
    }
  }
  if (!(total > 0)) return 0;
  cy /= total;
  cx /= total;
  const r2 = (Math.min(h, w) / 3) ** 2;
  let inside = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++)
      if ((y - cy) ** 2 + (x - cx) ** 2 <= r2) inside += (f[y * w + x] - mean) ** 2;
  }
  return inside / total;
}

/** One filter [h, w] (row-major, one channel). */
export function filterShape(
  filter: ArrayLike<number>,
  h: number,
  w: number,
  args: GaborArgs = {},
): FilterShape {
  if (filter.length !== h * w)
    throw new DeepvisError(`filter has ${filter.length} values, not ${h}×${w}`);
  const o = orientationOf(filter, h, w);
  const localization = localizationOf(filter, h, w);
  const gaborLike =
    o.fraction >= (args.orientation ?? GABOR_DEFAULTS.orientation) &&
    localization >= (args.localization ?? GABOR_DEFAULTS.localization);
  return { orientation: o.fraction, angle: o.angle, localization, gaborLike };
}

export interface GaborSummary {
  readonly filters: readonly FilterShape[];
  /** Fraction of filters that are Gabor-like. */
  readonly gaborFraction: number;
  readonly orientedFraction: number;
  readonly localizedFraction: number;
  readonly thresholds: Required<GaborArgs>;
}

export function gaborSummary(
  filters: readonly ArrayLike<number>[],
  h: number,
  w: number,
  args: GaborArgs = {},
): GaborSummary {
  const thresholds = { ...GABOR_DEFAULTS, ...args };
  const shapes = filters.map((f) => filterShape(f, h, w, thresholds));
  const frac = (p: (s: FilterShape) => boolean) =>
    shapes.length ? shapes.filter(p).length / shapes.length : 0;
  return {
    filters: shapes,
    gaborFraction: frac((s) => s.gaborLike),
    orientedFraction: frac((s) => s.orientation >= thresholds.orientation),
    localizedFraction: frac((s) => s.localization >= thresholds.localization),
    thresholds,
  };
}

/** A Gabor h×w: cos carrier of `period` pixels at `angleDeg`, Gaussian envelope σ, centred at (cy, cx). */
export function gabor(
  h: number,
  w: number,
  p: { angleDeg: number; period: number; sigma: number; phase?: number; cy?: number; cx?: number },
): Float32Array {
  const out = new Float32Array(h * w);
  const t = (p.angleDeg * Math.PI) / 180;
  const cy = p.cy ?? (h - 1) / 2;
  const cx = p.cx ?? (w - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dy = y - cy;
      const dx = x - cx;
      const along = dx * Math.cos(t) + dy * Math.sin(t);
      out[y * w + x] =
        Math.exp(-(dx * dx + dy * dy) / (2 * p.sigma ** 2)) *
        Math.cos((2 * Math.PI * along) / p.period + (p.phase ?? 0));
    }
  }
  return out;
}
