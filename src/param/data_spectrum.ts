/**
 * The magnitude spectrum of a data set, for a phase-only parameterization (MaCo, Fel et al. 2023)
 * on models whose data are not natural photographs.
 */
import { imageSize, type ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';
import { toDecorrelated } from './phase.js';
import { meanSpectrum, type Spectrum } from './spectrum.js';

/**
 * Mean magnitude spectrum of up to `limit` images of a set, scaled to 0…1 of the model's range
 * (so the range's offset does not leak into the DC), colour in the decorrelated basis.
 */
export function datasetSpectrum(model: VisModel, set: ImageSet, limit = 256): Spectrum {
  const [lo, hi] = model.input.range;
  const count = Math.min(limit, set.count);
  const size = imageSize(set);
  const images = Float32Array.from(
    set.images.subarray(0, count * size),
    (v) => (v - lo) / (hi - lo),
  );
  const c = set.shape[2];
  const basis =
    c === 3 ? toDecorrelated(model.input.channelOrder === 'bgr' ? 'bgr' : 'rgb') : undefined;
  return meanSpectrum(images, count, set.shape, `${set.name} (${count} images)`, basis);
}
