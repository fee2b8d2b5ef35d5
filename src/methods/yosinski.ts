/**
 * Regularized activation maximization, Yosinski et al. 2015 (seed 004, §Regularized optimization):
 * gradient ascent from a neutral image, and after every step the regularizer r_θ: L2 decay,
 * Gaussian blur every few steps, clipping of pixels with small norm and of pixels with small
 * contribution. The paper picked four hyperparameter sets out of a random search of 300; they are
 * the presets here, and `randomPresets` draws the search's sets.
 */
import { drain, type Steps } from '../optimize/drive.js';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import { optimizeSteps } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { blurEvery, clipSmallContribution, clipSmallNorm, decay } from '../projections/regularizers.js';
import { neutral, unitObjectiveOf, type MethodResult, type UnitRequest } from './common.js';

export interface YosinskiSet {
  readonly decay: number;
  readonly blurRadius: number;
  readonly blurEvery: number;
  readonly normPct: number;
  readonly contributionPct: number;
}

/** The paper's four sets (decay, blur radius, blur every, norm pct, contribution pct). */
export const YOSINSKI_PRESETS: readonly YosinskiSet[] = [
  { decay: 0, blurRadius: 0.5, blurEvery: 4, normPct: 50, contributionPct: 0 },
  { decay: 0.3, blurRadius: 0, blurEvery: 0, normPct: 20, contributionPct: 0 },
  { decay: 0.0001, blurRadius: 1.0, blurEvery: 4, normPct: 0, contributionPct: 0 },
  { decay: 0, blurRadius: 0.5, blurEvery: 4, normPct: 0, contributionPct: 90 },
];

/** Random sets over the ranges the paper searched (each regularizer on or off at random). */
export function randomPresets(count: number, seed = 0): YosinskiSet[] {
  const rng = new Rng(seed);
  const on = () => rng.next() < 0.5;
  return Array.from({ length: count }, () => ({
    decay: on() ? +(10 ** rng.uniform(-4, -0.5)).toPrecision(2) : 0,
    blurRadius: on() ? +rng.uniform(0.3, 1.2).toFixed(2) : 0,
    blurEvery: 1 + rng.int(8),
    normPct: on() ? Math.round(rng.uniform(0, 60)) : 0,
    contributionPct: on() ? Math.round(rng.uniform(0, 95)) : 0,
  }));
}

export interface YosinskiArgs extends UnitRequest {
  /** Hyperparameter sets; all sets × all units run in one batch. Default: preset 1 (index 0). */
  readonly sets?: readonly YosinskiSet[];
  /** Step size as a fraction of the input range (normalized ascent); default 0.02. */
  readonly lr?: number;
}

export interface YosinskiResult extends MethodResult {
  /** images are set-major: item s·U + u is unit u under sets[s]. */
  readonly sets: readonly YosinskiSet[];
}

export function* yosinskiSteps(model: VisModel, args: YosinskiArgs): Steps<YosinskiResult> {
  const sets = args.sets ?? [YOSINSKI_PRESETS[0]];
  const u = args.units.length;
  const perItem = sets.flatMap(() => args.units);
  const objective = unitObjectiveOf(model, args, perItem);
  const [lo, hi] = model.input.range;
  const [h, w, c] = model.input.shape;
  const centre = neutral(model);
  const steps = args.steps ?? 200;
  const lr = (args.lr ?? 0.02) * (hi - lo);
  // Each set applies to its own slice of the batch; a projection sees the whole batch.
  const perSet = (make: (s: YosinskiSet) => (x: tf.Tensor4D, ctx: { step: number; grad: tf.Tensor4D | null }) => tf.Tensor4D) =>
    (x: tf.Tensor4D, ctx: { step: number; grad: tf.Tensor4D | null }) =>
      tf.tidy(() =>
        tf.concat(sets.map((s, k) => {
          const slice = x.slice([k * u], [u]);
          const g = ctx.grad ? ctx.grad.slice([k * u], [u]) : null;
          return make(s)(slice, { step: ctx.step, grad: g });
        })) as tf.Tensor4D,
      );
  const rng = new Rng(args.seed ?? 0);
  // The paper starts from zero (its mean image); a little noise breaks the symmetry of units that share the start.
  const init = tf.tidy(() => tf.randomNormal([sets.length * u, h, w, c], centre, 0.01 * (hi - lo), 'float32', rng.seed()) as tf.Tensor4D);
  const param = pixels(init);
  init.dispose();
  try {
    const run = yield* optimizeSteps(model, param, objective, {
      steps,
      lr,
      rule: 'normalized',
      projections: [
        perSet((s) => decay(s.decay, centre)),
        perSet((s) => blurEvery(s.blurRadius, s.blurEvery)),
        perSet((s) => clipSmallNorm(s.normPct, centre)),
        perSet((s) => clipSmallContribution(s.contributionPct, centre)),
        clampRange([lo, hi]),
      ],
      onStep: args.onStep,
      signal: args.signal,
    });
    return {
      images: run.images,
      units: perItem.map((unit, i) => ({ unit, activation: run.scores[i], steps: run.steps[i] })),
      objective: objective.description,
      params: { method: 'yosinski', steps, lr: args.lr ?? 0.02, sets, seed: args.seed ?? 0 },
      seconds: run.seconds,
      sets,
    };
  } finally {
    param.dispose();
  }
}

export function yosinski(model: VisModel, args: YosinskiArgs): YosinskiResult {
  return drain(yosinskiSteps(model, args));
}
