/**
 * MuFidelity (Bhatt et al. 2020), with Xplique's defaults: the image is cut into a 9×9 grid; each of
 * 200 samples sets a random subset of cells (each cell with probability 0.2) to the baseline; the
 * score is Spearman's ρ, over the samples, between the map's sum over the removed pixels and the
 * drop of the model's score (a constant side gives 0, as Xplique). Higher is better. The subsets are
 * drawn from the seed, so every method is scored on the same subsets.
 */
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import { neutral } from '../model/neutral.js';
import {
  elapsed,
  scorePerturbed,
  type MetricContext,
  type MetricResult,
} from './metric_context.js';
import { spearman } from './stats.js';

export interface MuFidelityArgs {
  readonly gridSize?: number;
  readonly subsetPercent?: number;
  readonly samples?: number;
  readonly baseline?: number;
}

export function muFidelity(ctx: MetricContext, args: MuFidelityArgs = {}): MetricResult {
  const started = performance.now();
  const grid = args.gridSize ?? 9;
  const p = args.subsetPercent ?? 0.2;
  const samples = args.samples ?? 200;
  if (!(samples >= 2))
    throw new DeepvisError(`MuFidelity needs at least 2 samples; got ${samples}`);
  const baseline = args.baseline ?? neutral(ctx.model);
  const [h, w, c] = ctx.model.input.shape;
  const n = ctx.x.shape[0];
  const rng = new Rng(ctx.seed ?? 0);
  // removed[s][cell]; a pixel's cell by nearest-neighbour upsampling with half-pixel centres (tf.image.resize 'nearest').
  const removed = Array.from({ length: samples }, () =>
    Uint8Array.from({ length: grid * grid }, () => (rng.next() < p ? 1 : 0)),
  );
  const cellOf = new Int32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      cellOf[y * w + x] =
        Math.min(grid - 1, Math.floor(((y + 0.5) * grid) / h)) * grid +
        Math.min(grid - 1, Math.floor(((x + 0.5) * grid) / w));
    }
  }
  const pixels = ctx.x.dataSync();
  const base = scorePerturbed(ctx, n, 1, (i, _, dst) =>
    dst.set(pixels.subarray(i * h * w * c, (i + 1) * h * w * c)),
  );
  const perturbed = scorePerturbed(ctx, n, samples, (i, s, dst) => {
    dst.set(pixels.subarray(i * h * w * c, (i + 1) * h * w * c));
    const off = removed[s];
    for (let k = 0; k < h * w; k++) if (off[cellOf[k]]) dst.fill(baseline, k * c, k * c + c);
  });
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const heat = ctx.maps.heat.subarray(i * h * w, (i + 1) * h * w);
    const cellSums = new Float64Array(grid * grid);
    for (let k = 0; k < h * w; k++) cellSums[cellOf[k]] += heat[k];
    const attrs = removed.map((off) => off.reduce((a, o, cell) => a + (o ? cellSums[cell] : 0), 0));
    const drops = Array.from({ length: samples }, (_, s) => base[i] - perturbed[i * samples + s]);
    const rho = spearman(attrs, drops);
    scores.push(Number.isNaN(rho) ? 0 : rho);
  }
  return {
    metric: 'mufidelity',
    scores,
    params: {
      gridSize: grid,
      subsetPercent: p,
      samples,
      baseline,
      correlation: 'spearman',
      score: 'class probability (logits target) else target activation',
      seed: ctx.seed ?? 0,
      reference: 'Xplique MuFidelity',
    },
    higherIsBetter: true,
    seconds: elapsed(started),
  };
}
