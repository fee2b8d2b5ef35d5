/**
 * Complexity (Quantus's category): how concentrated a map is, on the per-pixel heat with Quantus's
 * defaults (absolute values, normalised by the maximum):
 * - sparseness (Chalasani et al. 2020): the Gini index of |a| (+1e-7), higher is sparser (better);
 * - complexity (Bhatt et al. 2020): the entropy of |a| / Σ|a|, lower is simpler (better).
 */
import { elapsed, type MetricContext, type MetricResult } from './metric_context.js';

/** Gini index of v (≥ 0): Σ (2k − n − 1)·v_(k) / (n Σ v), v sorted ascending. */
export function gini(v: ArrayLike<number>): number {
  const s = Float64Array.from(v, (x) => x + 1e-7).sort();
  const n = s.length;
  let num = 0;
  let sum = 0;
  s.forEach((x, k) => {
    num += (2 * (k + 1) - n - 1) * x;
    sum += x;
  });
  return num / (n * sum);
}

/** Shannon entropy of v / Σ v (v ≥ 0), natural log. */
export function entropy(v: ArrayLike<number>): number {
  const total = Array.from(v).reduce((a, b) => a + b, 0);
  let h = 0;
  for (let i = 0; i < v.length; i++) {
    const p = v[i] / total;
    h -= p * Math.log(p + 1e-12);
  }
  return h;
}

export function complexityMetric(
  ctx: MetricContext,
  metric: 'sparseness' | 'complexity',
): MetricResult {
  const started = performance.now();
  const [n, h, w] = ctx.x.shape;
  const scores = Array.from({ length: n }, (_, i) => {
    const abs = ctx.maps.heat.subarray(i * h * w, (i + 1) * h * w).map(Math.abs);
    const max = abs.reduce((m, v) => Math.max(m, v), 0);
    const a = max > 0 ? abs.map((v) => v / max) : abs;
    return metric === 'sparseness' ? gini(a) : entropy(a);
  });
  return {
    metric,
    scores,
    higherIsBetter: metric === 'sparseness',
    seconds: elapsed(started),
    params: {
      abs: true,
      normalise: 'by the maximum',
      map: 'per-pixel heat',
      reference:
        metric === 'sparseness'
          ? 'Chalasani et al. 2020; Quantus Sparseness'
          : 'Bhatt et al. 2020; Quantus Complexity',
    },
  };
}
