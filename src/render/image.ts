/**
 * RgbaImage and the pure conversions from numbers to pixels: per-image normalization for
 * visualizations, a fixed range for data, and a diverging colormap (blue–white–red, zero = white)
 * for signed maps such as gradients. No I/O, no DOM: the same code draws in Node and the browser.
 */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
  /** A grid's or chart's layout as a figure (render/figure.ts), for the PNG and SVG writers. */
  readonly figure?: (o: import('./figure.js').FigureOptions) => import('./figure.js').Figure;
}

export function blank(
  width: number,
  height: number,
  rgb: [number, number, number] = [255, 255, 255],
): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([rgb[0], rgb[1], rgb[2], 255], i * 4);
  return { width, height, data };
}

export type Normalize =
  | { readonly mode: 'minmax' }
  | { readonly mode: 'range'; readonly range: readonly [number, number] }
  /** Centre at zero, scale by the largest |value|; with `percentile`, clip outliers first. */
  | { readonly mode: 'symmetric'; readonly percentile?: number };

function minMax(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export function percentileAbs(values: ArrayLike<number>, p: number): number {
  const abs = Float32Array.from(values, Math.abs).sort();
  if (abs.length === 0) return 0;
  return abs[Math.min(abs.length - 1, Math.floor((p / 100) * (abs.length - 1)))];
}

/**
 * Pixels [H, W, C] (C = 1 or 3) to an image. minmax stretches each image to full contrast (what
 * feature visualizations need: their scale is arbitrary); range maps a known data range.
 */
export function toImage(
  values: ArrayLike<number>,
  shape: readonly [number, number, number],
  norm: Normalize = { mode: 'minmax' },
): RgbaImage {
  const [h, w, c] = shape;
  let lo: number;
  let hi: number;
  if (norm.mode === 'range') [lo, hi] = norm.range;
  else if (norm.mode === 'symmetric') {
    const m = norm.percentile
      ? percentileAbs(values, norm.percentile)
      : Math.max(...minMax(values).map(Math.abs));
    [lo, hi] = [-m, m];
  } else [lo, hi] = minMax(values);
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const data = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) {
      const v = values[i * c + (c === 1 ? 0 : Math.min(k, c - 1))];
      data[i * 4 + k] = scale === 0 ? 128 : (v - lo) * scale;
    }
    data[i * 4 + 3] = 255;
  }
  return { width: w, height: h, data };
}

/** Signed map [H, W] to blue (negative) – white (0) – red (positive), scaled by the p-th |value| percentile. */
export function diverging(
  values: ArrayLike<number>,
  height: number,
  width: number,
  percentile = 99.5,
): RgbaImage {
  const m = percentileAbs(values, percentile) || 1;
  const data = new Uint8ClampedArray(height * width * 4);
  for (let i = 0; i < height * width; i++) {
    const t = Math.max(-1, Math.min(1, values[i] / m));
    const r = t < 0 ? 255 * (1 + t) : 255;
    const b = t > 0 ? 255 * (1 - t) : 255;
    const g = 255 * (1 - Math.abs(t));
    // Slightly darker extremes read better than pure primaries.
    data.set(
      [t < 0 ? r * 0.9 + 20 * -t : r - 40 * t, g, t > 0 ? b * 0.9 + 20 * t : b + 40 * t, 255],
      i * 4,
    );
  }
  return { width, height, data };
}

export function upscale(img: RgbaImage, factor: number): RgbaImage {
  if (factor === 1) return img;
  const w = img.width * factor;
  const h = img.height * factor;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (Math.floor(y / factor) * img.width + Math.floor(x / factor)) * 4;
      data.set(img.data.subarray(src, src + 4), (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}

export function blit(dst: RgbaImage, src: RgbaImage, x0: number, y0: number): void {
  for (let y = 0; y < src.height; y++) {
    const ty = y0 + y;
    if (ty < 0 || ty >= dst.height) continue;
    for (let x = 0; x < src.width; x++) {
      const tx = x0 + x;
      if (tx < 0 || tx >= dst.width) continue;
      const s = (y * src.width + x) * 4;
      dst.data.set(src.data.subarray(s, s + 4), (ty * dst.width + tx) * 4);
    }
  }
}
