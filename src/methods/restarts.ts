/**
 * Restarts of a unit (Erhan et al. 2009, §6.1): the paper found that random starts of one
 * unit converge to nearly the same image. Items r·U + u of a run serve unit u; this keeps each
 * unit's best restart and measures how alike the restarts are (mean pairwise Pearson correlation).
 */
import * as tf from '@tensorflow/tfjs';
import { itemOf } from '../engine/read.js';
import type { OptimizeResult } from '../optimize/loop.js';
import { restartsGrid } from '../render/restarts_grid.js';
import type { VisExtras } from './method.js';

export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let [ma, mb] = [0, 0];
  for (let i = 0; i < a.length; i++) [ma, mb] = [ma + a[i], mb + b[i]];
  [ma, mb] = [ma / a.length, mb / b.length];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    const [da, db] = [a[i] - ma, b[i] - mb];
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export interface RestartOutcome {
  activation: number;
  restartActivations: number[];
  steps: number;
  /** Mean pairwise Pearson correlation between the restarts' images (1 = identical); null for one restart. */
  restartCorrelation: number | null;
}

/**
 * Each unit's best restart [U, H, W, C] (caller disposes) and its outcome; disposes run.images.
 * With `keepAll`, also every restart, unit-major ([U·R, H, W, C]: unit k's are rows k·R … k·R+R−1,
 * in restart order), for the figure that shows them side by side (Erhan et al. 2009, figs. 1–2, right).
 */
export function bestRestarts(
  run: OptimizeResult,
  u: number,
  restarts: number,
  keepAll = false,
): { images: tf.Tensor4D; units: RestartOutcome[]; all?: tf.Tensor4D } {
  const all = run.images.dataSync() as Float32Array;
  const shape = run.images.shape.slice(1);
  const bestItem: number[] = [];
  const units = Array.from({ length: u }, (_, k) => {
    const items = Array.from({ length: restarts }, (_, r) => r * u + k);
    const acts = items.map((i) => run.scores[i]);
    const best = items[acts.indexOf(Math.max(...acts))];
    bestItem.push(best);
    let [corr, pairs] = [0, 0];
    for (let a = 0; a < restarts; a++) {
      for (let b = a + 1; b < restarts; b++, pairs++)
        corr += correlation(itemOf(all, items[a], shape), itemOf(all, items[b], shape));
    }
    return {
      activation: run.scores[best],
      restartActivations: acts,
      steps: Math.max(...items.map((i) => run.steps[i])),
      restartCorrelation: pairs > 0 ? corr / pairs : null,
    };
  });
  const images = tf.tidy(() => run.images.gather(tf.tensor1d(bestItem, 'int32')) as tf.Tensor4D);
  const order = Array.from(
    { length: u * restarts },
    (_, i) => (i % restarts) * u + Math.floor(i / restarts),
  );
  const every = keepAll
    ? tf.tidy(() => run.images.gather(tf.tensor1d(order, 'int32')) as tf.Tensor4D)
    : undefined;
  run.images.dispose();
  return { images, units, all: every };
}

/** The figure of every unit's restarts side by side (figs. 1–2, right), when the run kept them. */
export function restartsFigure(
  r: {
    restartImages?: tf.Tensor4D;
    units: ReadonlyArray<{ unit: number } & RestartOutcome>;
    params: { restarts: number };
  },
  layer: string,
  shape: readonly [number, number, number],
): VisExtras {
  if (!r.restartImages) return {};
  const title = `${layer}: ${r.params.restarts} random restarts per unit (* kept), r = mean pairwise correlation`;
  const image = restartsGrid(r.restartImages.dataSync(), shape, r.units, title);
  return { figures: [{ suffix: '-restarts', image }] };
}
