/**
 * Captum's two robustness numbers (Yeh et al. 2019):
 * - infidelity: E_I[(Iᵀ·attr − (f(x) − f(x − I)))²] over 10 perturbations I ~ N(0, σ²), σ = 0.003
 *   of the range (Captum's tutorial noise) — f the score the map explains (the target's activation:
 *   a logit, not a probability, since that is what the gradient methods differentiate), the map
 *   unnormalized (Captum's normalize=False); maps that multiply by the input use Captum's
 *   multiply_by_inputs form. Lower is better.
 * - max-sensitivity: max over 10 draws δ ~ U[−r, r]ⁿ, r = 0.02 of the range, of
 *   ‖e(x + δ) − e(x)‖ / ‖e(x)‖ (Frobenius), re-explaining each draw. Lower is better.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import {
  elapsed,
  scorePerturbed,
  type Explainer,
  type MetricContext,
  type MetricResult,
} from './metric_context.js';

export interface InfidelityArgs {
  readonly samples?: number;
  /** σ as a fraction of the input range. */
  readonly noise?: number;
  /**
   * For maps that multiply by (x − base) (Gradient × Input: 0, integrated gradients: its baseline),
   * Captum's multiply_by_inputs form: Iᵀ·attr becomes (I / (x − base))ᵀ·attr (0/0 → denominator 1).
   */
  readonly multipliedBy?: number;
}

export function infidelity(ctx: MetricContext, args: InfidelityArgs = {}): MetricResult {
  const started = performance.now();
  const samples = args.samples ?? 10;
  const noise = args.noise ?? 0.003;
  const [lo, hi] = ctx.model.input.range;
  const sigma = noise * (hi - lo);
  const [h, w, c] = ctx.model.input.shape;
  const size = h * w * c;
  const n = ctx.x.shape[0];
  const pixels = ctx.x.dataSync();
  const rng = new Rng(ctx.seed ?? 0);
  // Noise per (image, sample), drawn up front so the chunking cannot change it; n × samples × size floats.
  const perturbations = Array.from({ length: n * samples }, () =>
    Float32Array.from({ length: size }, () => sigma * rng.normal()),
  );
  const base = scorePerturbed(
    ctx,
    n,
    1,
    (i, _, dst) => dst.set(pixels.subarray(i * size, (i + 1) * size)),
    false,
  );
  const moved = scorePerturbed(
    ctx,
    n,
    samples,
    (i, s, dst) => {
      const img = pixels.subarray(i * size, (i + 1) * size);
      const p = perturbations[i * samples + s];
      for (let k = 0; k < size; k++) dst[k] = img[k] - p[k];
    },
    false,
  );
  const scores = Array.from({ length: n }, (_, i) => {
    const attr = ctx.maps.values.subarray(i * size, (i + 1) * size);
    let total = 0;
    for (let s = 0; s < samples; s++) {
      const p = perturbations[i * samples + s];
      let dot = 0;
      const img = pixels.subarray(i * size, (i + 1) * size);
      for (let k = 0; k < size; k++) {
        const d = args.multipliedBy == null ? 1 : img[k] - args.multipliedBy;
        dot += (p[k] / (d === 0 ? 1 : d)) * attr[k];
      }
      total += (dot - (base[i] - moved[i * samples + s])) ** 2;
    }
    return total / samples;
  });
  return {
    metric: 'infidelity',
    scores,
    params: {
      samples,
      noise,
      perturbation: 'Gaussian N(0, (noise·range)²), input − I',
      normalize: false,
      multipliedBy: args.multipliedBy ?? null,
      score: 'target activation (what the map explains)',
      seed: ctx.seed ?? 0,
      reference: 'Captum infidelity',
    },
    higherIsBetter: false,
    seconds: elapsed(started),
  };
}

export interface SensitivityArgs {
  readonly samples?: number;
  /** L∞ radius as a fraction of the input range. */
  readonly radius?: number;
}

export function maxSensitivity(
  ctx: MetricContext,
  explain: Explainer,
  args: SensitivityArgs = {},
): MetricResult {
  const started = performance.now();
  const samples = args.samples ?? 10;
  const radius = args.radius ?? 0.02;
  const [lo, hi] = ctx.model.input.range;
  const r = radius * (hi - lo);
  const [n, h, w, c] = ctx.x.shape;
  const size = h * w * c;
  const rng = new Rng(ctx.seed ?? 0);
  const original = ctx.maps.values;
  const worst = new Float64Array(n);
  for (let s = 0; s < samples; s++) {
    const delta = tf.tidy(() =>
      tf.tensor4d(
        Float32Array.from({ length: n * size }, () => rng.uniform(-r, r)),
        [n, h, w, c],
      ),
    );
    const moved = tf.tidy(() => ctx.x.add(delta) as tf.Tensor4D);
    const e = explain(ctx.model, moved, ctx.t).values;
    tf.dispose([delta, moved]);
    for (let i = 0; i < n; i++) {
      let diff = 0;
      let norm = 0;
      for (let k = i * size; k < (i + 1) * size; k++) {
        diff += (e[k] - original[k]) ** 2;
        norm += original[k] ** 2;
      }
      const rel = norm > 0 ? Math.sqrt(diff / norm) : diff > 0 ? Infinity : 0;
      worst[i] = Math.max(worst[i], rel);
    }
  }
  return {
    metric: 'max-sensitivity',
    scores: Array.from(worst),
    params: {
      samples,
      radius,
      perturbation: 'uniform in the L∞ ball of radius·range',
      norm: 'frobenius, relative to ‖e(x)‖',
      seed: ctx.seed ?? 0,
      reference: 'Captum sensitivity_max',
    },
    higherIsBetter: false,
    seconds: elapsed(started),
  };
}
