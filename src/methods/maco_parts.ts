/**
 * MaCo's pieces outside the recipe: the gradient tap that accumulates the transparency map, the
 * canvas brought to the model's input size, the magnitude spectrum of a data set, and the
 * transparency as an alpha channel (Horama's plot_maco: channel mean, clipped at its 98th
 * percentile, over its maximum).
 */
import * as tf from '@tensorflow/tfjs';
import { imageSize, type ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';
import { toDecorrelated } from '../param/phase.js';
import { meanSpectrum, type Spectrum } from '../param/spectrum.js';

/**
 * An identity whose gradient adds |dy| into a running sum: put on the canvas inside the loop's
 * transform, it sees ∂loss/∂canvas at every step without a second backward pass.
 */
export function gradientTap() {
  let sum: tf.Tensor | null = null;
  const identity = tf.customGrad(((x: tf.Tensor) => ({
    value: x.clone(),
    gradFunc: (dy: tf.Tensor) => {
      const next = tf.keep(sum ? sum.add(dy.abs()) : dy.abs());
      sum?.dispose();
      sum = next;
      return dy.clone();
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return {
    through: (x: tf.Tensor4D) => identity(x) as tf.Tensor4D,
    /** The sum so far (the caller owns it; the tap starts over). */
    take: (): tf.Tensor4D | null => {
      const s = sum as tf.Tensor4D | null;
      sum = null;
      return s;
    },
    dispose: () => {
      sum?.dispose();
      sum = null;
    },
  };
}

/** Canvases [N, cH, cW, C] at the model's [h, w]: an average pool for whole factors, else bilinear. Caller disposes. */
export function toModelSize(x: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [, ch, cw] = x.shape;
    const [h, w] = size;
    if (ch === h && cw === w) return x.clone();
    if (ch % h === 0 && cw % w === 0 && ch / h === cw / w) return tf.avgPool(x, ch / h, ch / h, 'valid') as tf.Tensor4D;
    return tf.image.resizeBilinear(x, [h, w]) as tf.Tensor4D;
  });
}

/**
 * Mean magnitude spectrum of up to `limit` images of a set, scaled to 0…1 of the model's range
 * (so the range's offset does not leak into the DC), colour in the decorrelated basis.
 */
export function datasetSpectrum(model: VisModel, set: ImageSet, limit = 256): Spectrum {
  const [lo, hi] = model.input.range;
  const count = Math.min(limit, set.count);
  const size = imageSize(set);
  const images = Float32Array.from(set.images.subarray(0, count * size), (v) => (v - lo) / (hi - lo));
  const c = set.shape[2];
  const basis = c === 3 ? toDecorrelated(model.input.channelOrder === 'bgr' ? 'bgr' : 'rgb') : undefined;
  return meanSpectrum(images, count, set.shape, `${set.name} (${count} images)`, basis);
}

/** Transparency [N, H, W, C] → alpha [N, H, W] in 0…1, per image. */
export function alphaOf(transparency: tf.Tensor4D): Float32Array {
  const [n, h, w] = transparency.shape;
  const m = tf.tidy(() => transparency.mean(3).dataSync() as Float32Array);
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const img = m.subarray(i * h * w, (i + 1) * h * w);
    const sorted = Float32Array.from(img).sort();
    const cap = sorted[Math.min(sorted.length - 1, Math.floor(0.98 * sorted.length))];
    for (let j = 0; j < h * w; j++) out[i * h * w + j] = cap > 0 ? Math.min(img[j], cap) / cap : 0;
  }
  return out;
}
