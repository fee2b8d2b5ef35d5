/**
 * Local Lipschitz estimate (Alvarez-Melis & Jaakkola 2018), with Quantus's defaults: 200 draws of
 * Gaussian noise N(0, 0.1²) (0.1 of the input range here) added to the input, each re-explained;
 * the score is the largest ‖e(x) − e(x′)‖₂ / ‖x − x′‖₂ over the draws, the maps normalised by their
 * maximum (Quantus's normalise). Lower is better. The draws come from the seed.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import {
  elapsed,
  type Explainer,
  type MetricContext,
  type MetricResult,
} from './metric_context.js';

const byMax = (h: Float32Array): Float32Array => {
  const m = h.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
  return m > 0 ? h.map((v) => v / m) : h;
};

export function localLipschitz(
  ctx: MetricContext,
  explain: Explainer,
  args: { samples?: number; noise?: number } = {},
): MetricResult {
  const started = performance.now();
  const samples = args.samples ?? 200;
  const noise = args.noise ?? 0.1;
  const [lo, hi] = ctx.model.input.range;
  const sigma = noise * (hi - lo);
  const [n, h, w, c] = ctx.x.shape;
  const size = h * w * c;
  const pixels = ctx.x.dataSync();
  const rng = new Rng(ctx.seed ?? 0);
  const original = Array.from({ length: n }, (_, i) =>
    byMax(ctx.maps.heat.slice(i * h * w, (i + 1) * h * w)),
  );
  const worst = new Float64Array(n);
  for (let s = 0; s < samples; s++) {
    const delta = Float32Array.from({ length: n * size }, () => sigma * rng.normal());
    const moved = tf.tensor4d(
      Float32Array.from(pixels, (v, k) => v + delta[k]),
      [n, h, w, c],
    );
    const e = explain(ctx.model, moved, ctx.t).heat;
    moved.dispose();
    for (let i = 0; i < n; i++) {
      const a = byMax(e.slice(i * h * w, (i + 1) * h * w));
      let num = 0;
      a.forEach((v, k) => (num += (v - original[i][k]) ** 2));
      let den = 0;
      for (let k = i * size; k < (i + 1) * size; k++) den += delta[k] ** 2;
      worst[i] = Math.max(worst[i], Math.sqrt(num) / Math.sqrt(den));
    }
  }
  return {
    metric: 'local-lipschitz',
    scores: Array.from(worst),
    higherIsBetter: false,
    seconds: elapsed(started),
    params: {
      samples,
      noise: `N(0, (${noise} × range)²)`,
      norms: 'euclidean / euclidean',
      normalise: 'by the maximum',
      seed: ctx.seed ?? 0,
      reference: 'Alvarez-Melis & Jaakkola 2018; Quantus LocalLipschitzEstimate',
    },
  };
}
