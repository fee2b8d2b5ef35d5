/**
 * The interpretable features of the black-box methods (LIME, KernelSHAP, feature ablation): a label
 * per pixel, from
 * - SLIC superpixels (Achanta et al. 2012), our own: k-means in (colour, position) from a grid of
 *   centres moved off edges, distance √(d_colour² + (d_xy / S)² · m²) searched in 2S × 2S windows,
 *   10 iterations, colour in CIELAB (grey levels as L), compactness m = 10 (scikit-image's default),
 *   then connectivity enforced (fragments under a quarter of the mean size join a neighbour);
 * - a square grid of ⌈√n⌉ × ⌈√n⌉ cells;
 * - the caller's own label map (`featureMask`: any integers, one per pixel).
 * Labels come back renumbered 0…count − 1 in order of first appearance.
 */
import { DeepvisError } from '../errors.js';
import type { OptionSpecs } from '../options.js';

export interface Segmentation {
  /** [H·W] labels 0…count − 1. */
  readonly labels: Int32Array;
  readonly count: number;
}

export const FEATURE_OPTIONS = {
  features: {
    type: 'string',
    help: 'interpretable features: SLIC superpixels or a square grid (--feature-mask PNG: your own)',
    choices: ['slic', 'grid'],
    default: 'slic',
  },
  segments: {
    type: 'int',
    min: 1,
    help: 'about how many features (SLIC segments, or grid cells)',
    default: 50,
  },
} as const satisfies OptionSpecs;

/** Labels renumbered 0… in order of first appearance. */
export function renumber(raw: ArrayLike<number>): Segmentation {
  const map = new Map<number, number>();
  const labels = Int32Array.from(raw, (v) => {
    let k = map.get(v);
    if (k == null) map.set(v, (k = map.size));
    return k;
  });
  return { labels, count: map.size };
}

export function gridSegments(h: number, w: number, cells: number): Segmentation {
  const g = Math.max(1, Math.min(Math.ceil(Math.sqrt(cells)), h, w));
  return renumber(
    Array.from(
      { length: h * w },
      (_, p) => Math.floor((Math.floor(p / w) * g) / h) * g + Math.floor(((p % w) * g) / w),
    ),
  );
}

/** A caller's label map checked against the input's size. */
export function maskSegments(mask: ArrayLike<number>, h: number, w: number): Segmentation {
  if (mask.length !== h * w)
    throw new DeepvisError(
      `the feature mask has ${mask.length} labels; the input has ${h}×${w} = ${h * w} pixels`,
    );
  return renumber(mask);
}

/** sRGB in [0, 1] → CIELAB (D65). */
function lab(r: number, g: number, b: number): [number, number, number] {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (t * 24389) / 27 / 116 + 16 / 116);
  const fx = f((0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047);
  const fy = f(0.2126 * R + 0.7152 * G + 0.0722 * B);
  const fz = f((0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** SLIC of one image [H, W, C] with values in `range`. */
export function slic(
  image: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  range: readonly [number, number],
  segments: number,
  compactness = 10,
): Segmentation {
  const [lo, hi] = range;
  const unit = (v: number) => Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1)));
  const k = Math.max(1, Math.min(segments, h * w));
  const dims = c === 3 ? 3 : 1;
  const col = new Float64Array(h * w * dims);
  for (let p = 0; p < h * w; p++) {
    if (dims === 3)
      col.set(lab(unit(image[p * c]), unit(image[p * c + 1]), unit(image[p * c + 2])), p * 3);
    else col[p] = 100 * unit(image[p * c]);
  }
  const step = Math.sqrt((h * w) / k);
  const centres: number[][] = [];
  for (let y = step / 2; y < h; y += step)
    for (let x = step / 2; x < w; x += step) centres.push(seed(Math.floor(y), Math.floor(x)));
  const labels = new Int32Array(h * w).fill(-1);
  const dist = new Float64Array(h * w);
  const m2 = (compactness / step) ** 2;
  for (let iter = 0; iter < 10; iter++) {
    dist.fill(Infinity);
    centres.forEach((ctr, j) => {
      const [cy, cx] = [ctr[dims], ctr[dims + 1]];
      for (let y = Math.max(0, Math.floor(cy - step)); y < Math.min(h, Math.ceil(cy + step)); y++) {
        for (
          let x = Math.max(0, Math.floor(cx - step));
          x < Math.min(w, Math.ceil(cx + step));
          x++
        ) {
          const p = y * w + x;
          let d = ((y - cy) ** 2 + (x - cx) ** 2) * m2;
          for (let q = 0; q < dims; q++) d += (col[p * dims + q] - ctr[q]) ** 2;
          if (d < dist[p]) [dist[p], labels[p]] = [d, j];
        }
      }
    });
    const sums = centres.map(() => new Float64Array(dims + 3));
    for (let p = 0; p < h * w; p++) {
      const s = sums[labels[p]];
      for (let q = 0; q < dims; q++) s[q] += col[p * dims + q];
      s[dims] += Math.floor(p / w);
      s[dims + 1] += p % w;
      s[dims + 2]++;
    }
    sums.forEach((s, j) => {
      if (s[dims + 2] > 0) centres[j] = Array.from(s.subarray(0, dims + 2), (v) => v / s[dims + 2]);
    });
  }
  return connected(labels, h, w, (h * w) / centres.length / 4);

  /** A centre at (y, x) moved to the lowest colour gradient in its 3×3 neighbourhood (off an edge). */
  function seed(y: number, x: number): number[] {
    let best = [y, x];
    let low = Infinity;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const [yy, xx] = [y + dy, x + dx];
        if (yy < 1 || xx < 1 || yy >= h - 1 || xx >= w - 1) continue;
        let g = 0;
        for (let q = 0; q < dims; q++)
          g +=
            (col[(yy * w + xx + 1) * dims + q] - col[(yy * w + xx - 1) * dims + q]) ** 2 +
            (col[((yy + 1) * w + xx) * dims + q] - col[((yy - 1) * w + xx) * dims + q]) ** 2;
        if (g < low) [low, best] = [g, [yy, xx]];
      }
    const p = best[0] * w + best[1];
    return [...Array.from(col.subarray(p * dims, (p + 1) * dims)), best[0], best[1]];
  }
}

/** Connected components (4-neighbour) of `labels`; components under `min` pixels join the neighbour met first. */
function connected(labels: Int32Array, h: number, w: number, min: number): Segmentation {
  const out = new Int32Array(h * w).fill(-1);
  let next = 0;
  const stack: number[] = [];
  for (let start = 0; start < h * w; start++) {
    if (out[start] >= 0) continue;
    const members = [start];
    out[start] = next;
    stack.push(start);
    let adjacent = -1;
    while (stack.length) {
      const p = stack.pop()!;
      const [y, x] = [Math.floor(p / w), p % w];
      for (const q of [
        x > 0 ? p - 1 : -1,
        x < w - 1 ? p + 1 : -1,
        y > 0 ? p - w : -1,
        y < h - 1 ? p + w : -1,
      ]) {
        if (q < 0) continue;
        if (out[q] >= 0 && out[q] !== next) adjacent = out[q];
        if (out[q] < 0 && labels[q] === labels[start]) {
          out[q] = next;
          members.push(q);
          stack.push(q);
        }
      }
    }
    if (members.length < min && adjacent >= 0) for (const p of members) out[p] = adjacent;
    else next++;
  }
  return renumber(out);
}
