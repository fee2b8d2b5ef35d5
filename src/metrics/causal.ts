/**
 * Deletion and insertion (Petsiuk et al. 2018), with Xplique's CausalFidelity defaults: pixels (all
 * channels at once) are set to the baseline — or, for insertion, copied from the input onto a
 * baseline image — in the map's order, largest heat first, in 10 equal steps up to 100%; the
 * score is the trapezoid area under the model's score (the class probability for a logits target)
 * against the fraction changed. Deletion: lower is better; insertion: higher. The baseline is the
 * model's neutral value (the dark background of one-channel data, mid-grey for colour).
 */
import { neutral } from '../model/neutral.js';
import { DeepvisError } from '../errors.js';
import {
  elapsed,
  scorePerturbed,
  type MetricContext,
  type MetricResult,
} from './metric_context.js';
import { auc, orderDescending } from './stats.js';

export interface CausalArgs {
  /** Default 10 (Xplique). */
  readonly steps?: number;
  /** Default: the model's neutral value. */
  readonly baseline?: number;
}

export function causalFidelity(
  ctx: MetricContext,
  mode: 'deletion' | 'insertion',
  args: CausalArgs = {},
): MetricResult {
  const started = performance.now();
  const steps = args.steps ?? 10;
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new DeepvisError(`${mode} needs at least 1 step; got ${steps}`);
  const baseline = args.baseline ?? neutral(ctx.model);
  const [h, w, c] = ctx.model.input.shape;
  const n = ctx.x.shape[0];
  const features = h * w;
  const pixels = ctx.x.dataSync();
  const orders = Array.from({ length: n }, (_, i) =>
    orderDescending(ctx.maps.heat.subarray(i * features, (i + 1) * features)),
  );
  const counts = Array.from({ length: steps + 1 }, (_, s) => Math.round((s / steps) * features));
  const scores = scorePerturbed(ctx, n, steps + 1, (i, s, dst) => {
    const img = pixels.subarray(i * features * c, (i + 1) * features * c);
    const order = orders[i];
    if (mode === 'deletion') {
      dst.set(img);
      for (let k = 0; k < counts[s]; k++) dst.fill(baseline, order[k] * c, order[k] * c + c);
    } else {
      dst.fill(baseline);
      for (let k = 0; k < counts[s]; k++)
        for (let ch = 0; ch < c; ch++) dst[order[k] * c + ch] = img[order[k] * c + ch];
    }
  });
  const curves = Array.from({ length: n }, (_, i) =>
    Array.from(scores.subarray(i * (steps + 1), (i + 1) * (steps + 1))),
  );
  return {
    metric: mode,
    scores: curves.map(auc),
    curves,
    xs: counts.map((k) => k / features),
    params: {
      steps,
      baseline,
      order: 'heat, largest first',
      features: 'pixels (all channels together)',
      score: 'class probability (logits target) else target activation',
      reference: 'Xplique CausalFidelity',
    },
    higherIsBetter: mode === 'insertion',
    seconds: elapsed(started),
  };
}
