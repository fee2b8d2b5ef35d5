/**
 * Localisation (Quantus's category): does the map point at the object, given a ground-truth mask
 * per input ([N·H·W], 1 inside)? With Quantus's defaults (normalise by the maximum, no absolute
 * value), on each map's per-pixel heat:
 * - pointing game (Zhang et al. 2018): 1 if a pixel of largest heat lies in the mask, else 0;
 * - relevance mass accuracy (Arras et al. 2022): the heat inside the mask over the total heat;
 * - relevance rank accuracy (Arras et al. 2022): of the |mask| pixels of largest heat, the
 *   fraction inside the mask.
 * All higher is better; an input with an empty mask scores NaN (left out of the mean, as Quantus).
 */
import { DeepvisError } from '../errors.js';
import { elapsed, type MetricContext, type MetricResult } from './metric_context.js';
import { orderDescending } from './stats.js';

export type LocalisationMetric = 'pointing-game' | 'relevance-mass' | 'relevance-rank';

const REFERENCES: Record<LocalisationMetric, string> = {
  'pointing-game': 'Zhang et al. 2018; Quantus PointingGame',
  'relevance-mass': 'Arras et al. 2022; Quantus RelevanceMassAccuracy',
  'relevance-rank': 'Arras et al. 2022; Quantus RelevanceRankAccuracy',
};

function one(metric: LocalisationMetric, heat: Float32Array, mask: Uint8Array): number {
  const inside = mask.reduce((a, b) => a + b, 0);
  if (inside === 0) return NaN;
  if (metric === 'pointing-game') {
    const top = Math.max(...heat);
    return heat.some((v, p) => v === top && mask[p] === 1) ? 1 : 0;
  }
  if (metric === 'relevance-mass') {
    let within = 0;
    let total = 0;
    heat.forEach((v, p) => {
      total += v;
      if (mask[p]) within += v;
    });
    return within / total;
  }
  const order = orderDescending(heat);
  let hits = 0;
  for (let k = 0; k < inside; k++) hits += mask[order[k]];
  return hits / inside;
}

export function localisation(ctx: MetricContext, metric: LocalisationMetric): MetricResult {
  const started = performance.now();
  const [n, h, w] = ctx.x.shape;
  if (!ctx.masks)
    throw new DeepvisError(`${metric} scores maps against ground-truth masks; give --masks DIR`);
  if (ctx.masks.length !== n * h * w)
    throw new DeepvisError(
      `${metric}: the masks hold ${ctx.masks.length} pixels; ${n} inputs of ${h}×${w} need ${n * h * w}`,
    );
  const scores = Array.from({ length: n }, (_, i) => {
    const heat = ctx.maps.heat.subarray(i * h * w, (i + 1) * h * w);
    const max = heat.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    return one(
      metric,
      max > 0 ? heat.map((v) => v / max) : heat,
      ctx.masks!.subarray(i * h * w, (i + 1) * h * w),
    );
  });
  return {
    metric,
    scores,
    higherIsBetter: true,
    seconds: elapsed(started),
    params: {
      normalise: 'by the maximum |heat| (Quantus normalise_by_max)',
      abs: false,
      map: 'per-pixel heat',
      reference: REFERENCES[metric],
    },
  };
}
