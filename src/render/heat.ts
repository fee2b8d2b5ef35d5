/**
 * Heat maps over images: an unsigned map (saliency, occlusion drop, Grad-CAM) in a black–red–
 * yellow–white ramp blended over a dimmed grey copy of the input, so the eye finds both the hot
 * pixels and what they are on; a signed map (integrated gradients) on the blue–white–red scale.
 */
import { diverging, percentileAbs, type RgbaImage } from './image.js';

function hot(t: number): [number, number, number] {
  const u = Math.max(0, Math.min(1, t));
  return [
    255 * Math.min(1, u * 2.5),
    255 * Math.max(0, Math.min(1, u * 2.5 - 1)),
    (255 * Math.max(0, u * 2.5 - 1.5)) / 1,
  ];
}

/** heat [H·W] over base (H×W): unsigned → hot ramp, alpha = heat; signed → diverging, half blend. */
export function heatOverlay(
  base: RgbaImage,
  heat: ArrayLike<number>,
  args: { signed?: boolean; percentile?: number } = {},
): RgbaImage {
  const { width, height } = base;
  const data = new Uint8ClampedArray(width * height * 4);
  if (args.signed) {
    const d = diverging(heat, height, width, args.percentile ?? 99.5);
    for (let i = 0; i < width * height; i++) {
      const g = (base.data[i * 4] + base.data[i * 4 + 1] + base.data[i * 4 + 2]) / 3;
      for (let k = 0; k < 3; k++) data[i * 4 + k] = 0.7 * d.data[i * 4 + k] + 0.3 * g;
      data[i * 4 + 3] = 255;
    }
    return { width, height, data };
  }
  let m = percentileAbs(heat, args.percentile ?? 99.5);
  if (!(m > 0)) m = 1;
  for (let i = 0; i < width * height; i++) {
    const t = Math.max(0, Math.min(1, heat[i] / m));
    const g = 0.45 * ((base.data[i * 4] + base.data[i * 4 + 1] + base.data[i * 4 + 2]) / 3);
    const c = hot(t);
    const a = Math.sqrt(t);
    for (let k = 0; k < 3; k++) data[i * 4 + k] = (1 - a) * g + a * c[k];
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

/** The map alone: unsigned in the hot ramp, signed on the diverging scale. */
export function heatImage(
  heat: ArrayLike<number>,
  height: number,
  width: number,
  args: { signed?: boolean; percentile?: number } = {},
): RgbaImage {
  if (args.signed) return diverging(heat, height, width, args.percentile ?? 99.5);
  const black = {
    width,
    height,
    data: new Uint8ClampedArray(width * height * 4).fill(0).map((_, i) => (i % 4 === 3 ? 255 : 0)),
  };
  return heatOverlay(black, heat, args);
}
