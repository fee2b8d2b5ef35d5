/**
 * ROAD (Rong et al. 2022), with Quantus's defaults: remove 1%, 3%, …, 99% of the pixels, most
 * relevant first (MoRF) and least relevant first (LeRF), filling them by noisy linear imputation —
 * each removed pixel the weighted mean of its 8 neighbours (1/6 for the 4 sides, 1/12 for the
 * corners, the authors' weights), solved jointly for all removed pixels, plus Gaussian noise of σ =
 * 0.01 of the range — and record whether the model still predicts the label. A curve per input of
 * 50 hits; the score is its mean. MoRF: lower is better; LeRF: higher. Needs labels (Quantus scores
 * accuracy against y).
 */
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import {
  elapsed,
  predictPerturbed,
  type MetricContext,
  type MetricResult,
} from './metric_context.js';
import { orderDescending } from './stats.js';

export interface RoadArgs {
  /** Default 1, 3, …, 99. */
  readonly percentages?: readonly number[];
  /** Imputation noise σ as a fraction of the input range; default 0.01. */
  readonly noise?: number;
}

const NEIGHBOURS: ReadonlyArray<readonly [number, number, number]> = [
  [-1, 0, 1 / 6],
  [1, 0, 1 / 6],
  [0, -1, 1 / 6],
  [0, 1, 1 / 6],
  [-1, -1, 1 / 12],
  [-1, 1, 1 / 12],
  [1, -1, 1 / 12],
  [1, 1, 1 / 12],
];

/**
 * Fills the pixels with removed[k] = 1 in img ([H, W, C], in place): every removed pixel becomes
 * the weighted mean of its in-image neighbours, removed or not (one sparse linear system per
 * channel, solved by over-relaxed Gauss–Seidel to `tol`, well under the noise), then noise is
 * added to the filled pixels. `start` (a previous solution for a subset of these holes, e.g. the
 * last percentage's) is where the iteration starts; the noise-free solution is returned for that.
 */
export function noisyLinearImpute(
  img: Float32Array,
  removed: Uint8Array,
  shape: readonly [number, number, number],
  sigma: number,
  rng: Rng,
  tol = 1e-4,
  start?: { readonly values: Float32Array; readonly removed: Uint8Array },
): Float32Array {
  const [h, w, c] = shape;
  const holes: number[] = [];
  for (let k = 0; k < h * w; k++) if (removed[k]) holes.push(k);
  if (holes.length === 0) return img.slice();
  for (let ch = 0; ch < c; ch++) {
    let known = 0;
    let count = 0;
    for (let k = 0; k < h * w; k++)
      if (!removed[k]) {
        known += img[k * c + ch];
        count++;
      }
    const mean = count ? known / count : 0;
    for (const k of holes) img[k * c + ch] = start?.removed[k] ? start.values[k * c + ch] : mean;
    for (let iter = 0; iter < 500; iter++) {
      let change = 0;
      for (const k of holes) {
        const y = Math.floor(k / w);
        const x = k % w;
        let s = 0;
        let wsum = 0;
        for (const [dy, dx, wt] of NEIGHBOURS) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          s += wt * img[(yy * w + xx) * c + ch];
          wsum += wt;
        }
        const old = img[k * c + ch];
        const next = old + 1.8 * (s / wsum - old);
        img[k * c + ch] = next;
        change = Math.max(change, Math.abs(next - old));
      }
      if (change < tol) break;
    }
  }
  const solved = img.slice();
  for (const k of holes) for (let ch = 0; ch < c; ch++) img[k * c + ch] += sigma * rng.normal();
  return solved;
}

export function road(
  ctx: MetricContext,
  order: 'morf' | 'lerf',
  args: RoadArgs = {},
): MetricResult {
  const started = performance.now();
  if (!ctx.labels)
    throw new DeepvisError(
      `ROAD scores accuracy against labels; these inputs have none (use --data with a labelled set, or leave road out of --metrics)`,
    );
  const percentages = args.percentages ?? Array.from({ length: 50 }, (_, i) => 1 + 2 * i);
  const noise = args.noise ?? 0.01;
  const [lo, hi] = ctx.model.input.range;
  const [h, w, c] = ctx.model.input.shape;
  const n = ctx.x.shape[0];
  const pixels = ctx.x.dataSync();
  const orders = Array.from({ length: n }, (_, i) => {
    const o = orderDescending(ctx.maps.heat.subarray(i * h * w, (i + 1) * h * w));
    return order === 'morf' ? o : o.reverse();
  });
  const reps = percentages.length;
  // One noise stream per (image, percentage), so the noise does not depend on the chunk size. Rows
  // come in order, so each percentage starts from the previous one's solution (a warm start that
  // changes the result only within the solver's tolerance).
  let last: { image: number; rep: number; values: Float32Array; removed: Uint8Array } | null = null;
  const predicted = predictPerturbed(ctx, n, reps, (i, r, dst) => {
    dst.set(pixels.subarray(i * h * w * c, (i + 1) * h * w * c));
    const removed = new Uint8Array(h * w);
    const k = Math.round((percentages[r] / 100) * h * w);
    for (let j = 0; j < k; j++) removed[orders[i][j]] = 1;
    const warm = last && last.image === i && last.rep === r - 1 ? last : undefined;
    const values = noisyLinearImpute(
      dst,
      removed,
      [h, w, c],
      noise * (hi - lo),
      new Rng((ctx.seed ?? 0) * 7919 + i * reps + r + 1),
      1e-4 * (hi - lo),
      warm,
    );
    last = { image: i, rep: r, values, removed };
  });
  const curves = Array.from({ length: n }, (_, i) =>
    percentages.map((_, r) => (predicted[i * reps + r] === ctx.labels![i] ? 1 : 0) as number),
  );
  return {
    metric: `road-${order}`,
    scores: curves.map((cv) => cv.reduce((a, b) => a + b, 0) / cv.length),
    curves,
    xs: percentages.map((p) => p / 100),
    params: {
      percentages,
      noise,
      imputation: 'noisy linear (8 neighbours, 1/6 sides, 1/12 corners)',
      score: 'accuracy against the label',
      reference: 'Quantus ROAD',
    },
    higherIsBetter: order === 'lerf',
    seconds: elapsed(started),
  };
}
