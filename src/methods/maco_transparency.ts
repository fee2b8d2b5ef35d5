/**
 * MaCo's transparency map (Fel et al. 2023): the gradient tap that accumulates |∂loss/∂canvas|
 * over the run, the map as an alpha channel (Horama's plot_maco: channel mean, clipped at its
 * 98th percentile, over its maximum), and the two pictures drawn from it beside the grid.
 */
import * as tf from '@tensorflow/tfjs';
import { itemOf } from '../engine/read.js';
import type { VisModel } from '../model/types.js';
import { grid } from '../render/grid.js';
import { heatImage } from '../render/heat.js';
import { toImage } from '../render/image.js';

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

/** Beside the grid: the canvases with the transparency as alpha, and the transparency alone. */
export function transparencyFigures(
  r: { canvas: tf.Tensor4D; transparency: tf.Tensor4D; units: ReadonlyArray<{ unit: number }> },
  model: VisModel,
  stem: string,
) {
  const [n, h, w, c] = r.canvas.shape;
  const px = r.canvas.dataSync();
  const alpha = alphaOf(r.transparency);
  const labels = r.units.map((u) => String(u.unit));
  const withAlpha = Array.from({ length: n }, (_, i) => {
    const t = toImage(itemOf(px, i, [h, w, c]), [h, w, c], {
      mode: 'range',
      range: model.input.range,
    });
    const data = new Uint8ClampedArray(t.data);
    for (let j = 0; j < h * w; j++) data[4 * j + 3] = Math.round(255 * alpha[i * h * w + j]);
    return { width: t.width, height: t.height, data };
  });
  const maps = Array.from({ length: n }, (_, i) => heatImage(itemOf(alpha, i, [h, w]), h, w));
  return [
    {
      suffix: '-alpha',
      image: grid(withAlpha, { labels, title: `${stem}: transparency as alpha`, minTile: 112 }),
    },
    {
      suffix: '-transparency',
      image: grid(maps, { labels, title: `${stem}: accumulated |gradient|`, minTile: 112 }),
    },
  ];
}
