/**
 * A first layer's weights as pictures (the filters of a convolution on the image, as Krizhevsky et
 * al. 2012's fig. 3 and Zeiler & Fergus 2014 show them): one image per filter, each scaled on its
 * own (per-filter normalization, zero weight mid-grey; a BGR model's in RGB order), with each
 * filter's L2 norm beside it.
 */
import { firstLayerFilters } from '../analysis/filters.js';
import type { VisModel } from '../model/types.js';
import { toImage, type RgbaImage } from '../render/image.js';

export interface WeightsData {
  readonly layer: string;
  /** Kernel size [kh, kw, C]. */
  readonly shape: readonly [number, number, number];
  readonly norms: readonly number[];
  /** Per unit, the image's name in the stored images. */
  readonly names: readonly string[];
}

export function firstLayerWeights(
  model: VisModel,
  layer: string,
): { data: WeightsData; images: Record<string, RgbaImage> } {
  const units = Array.from({ length: model.layer(layer).units }, (_, u) => u);
  const f = firstLayerFilters(model, layer, units);
  const images: Record<string, RgbaImage> = {};
  const names = units.map((u) => `u${u}`);
  // A BGR model's kernels are drawn as RGB pictures.
  const bgr = model.input.channelOrder === 'bgr' && f.shape[2] === 3;
  f.images.forEach((w, i) => {
    const rgb = bgr ? w.map((_, j) => w[j - (j % 3) + 2 - (j % 3)]) : w;
    images[names[i]] = toImage(rgb, f.shape, { mode: 'symmetric' });
  });
  return {
    data: { layer: f.layer, shape: f.shape, norms: f.norms.map((n) => +n.toPrecision(5)), names },
    images,
  };
}
