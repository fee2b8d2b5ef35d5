/**
 * Regularized activation maximization, Yosinski et al. 2015 (seed 004, §Regularized optimization):
 * gradient ascent from a neutral image, and after every step the regularizer r_θ: L2 decay,
 * Gaussian blur every few steps, clipping of pixels with small norm and of pixels with small
 * contribution. The paper picked four hyperparameter sets out of a random search of 300; they are
 * the presets here, and `randomPresets` draws the search's sets.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange, perSlice } from '../projections/projections.js';
import { blurEvery, clipSmallContribution, clipSmallNorm, decay } from '../projections/regularizers.js';
import { drained, outcomes, unitObjectiveOf, type MethodResult, type UnitRequest } from './common.js';
import { YOSINSKI_PRESETS, type YosinskiSet } from './yosinski_presets.js';

export { randomPresets, YOSINSKI_PRESETS, type YosinskiSet } from './yosinski_presets.js';

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

export function yosinskiParams(args: YosinskiArgs) {
  checkLr(args.lr);
  return { method: 'yosinski', steps: args.steps ?? 200, lr: args.lr ?? 0.02, sets: args.sets ?? [YOSINSKI_PRESETS[0]], seed: args.seed ?? 0 };
}

export function* yosinskiSteps(model: VisModel, args: YosinskiArgs): Steps<YosinskiResult> {
  const p = yosinskiParams(args);
  const u = args.units.length;
  const perItem = p.sets.flatMap(() => args.units);
  const objective = unitObjectiveOf(model, args, perItem);
  const [lo, hi] = model.input.range;
  const centre = neutral(model);
  const rng = new Rng(p.seed);
  // The paper starts from zero (its mean image); a little noise breaks the symmetry of units that share the start.
  const param = pixels(() => tf.randomNormal([perItem.length, ...model.input.shape], centre, 0.01 * (hi - lo), 'float32', rng.seed()) as tf.Tensor4D);
  const each = (make: (s: YosinskiSet) => ReturnType<typeof decay>) => perSlice(p.sets.map(make), u);
  const run = yield* optimizeOwned(model, param, objective, {
    steps: p.steps,
    lr: p.lr * (hi - lo),
    rule: 'normalized',
    projections: [
      each((s) => decay(s.decay, centre)),
      each((s) => blurEvery(s.blurRadius, s.blurEvery)),
      each((s) => clipSmallNorm(s.normPct, centre)),
      each((s) => clipSmallContribution(s.contributionPct, centre)),
      clampRange([lo, hi]),
    ],
    onStep: args.onStep,
    signal: args.signal,
  });
  return { images: run.images, units: outcomes(perItem, run), objective: objective.description, params: p, seconds: run.seconds, sets: p.sets };
}

export const yosinski = drained(yosinskiSteps);
