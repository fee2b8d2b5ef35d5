/**
 * DeepDream (a), Cavojska 2015 §6: units or classes from noise with the prior "neighbouring pixels are
 * correlated" — total variation in the objective, a light blur every 8 steps, and jitter; all
 * units in one batch.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { totalVariation } from '../objectives/priors.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { blurEvery } from '../projections/regularizers.js';
import { jitter, randomTransforms } from '../transforms/affine.js';
import {
  disposable,
  drained,
  outcomes,
  scoreImages,
  unitObjectiveOf,
  type MethodResult,
  type UnitRequest,
} from './recipe.js';

export interface DreamUnitsArgs extends UnitRequest {
  /** Weight of the total-variation prior, per squared input range; default 30. */
  readonly tv?: number;
  /** Step size as a fraction of the input range (normalized ascent); default 0.02. */
  readonly lr?: number;
}

export function dreamUnitsParams(model: VisModel, args: DreamUnitsArgs) {
  checkLr(args.lr);
  const jitterPx = Math.max(
    1,
    Math.round(Math.max(model.input.shape[0], model.input.shape[1]) / 16),
  );
  return {
    method: 'dream-units',
    steps: args.steps ?? 200,
    lr: args.lr ?? 0.02,
    tv: args.tv ?? 30,
    jitter: jitterPx,
    blur: { sigma: 0.5, every: 8 },
  };
}

export function* dreamUnitsSteps(model: VisModel, args: DreamUnitsArgs): Steps<MethodResult> {
  const p = dreamUnitsParams(model, args);
  const [lo, hi] = model.input.range;
  const rng = new Rng(args.seed ?? 0);
  const own = unitObjectiveOf(model, args);
  const objective = own.plus(totalVariation(2).times(p.tv / (hi - lo) ** 2));
  const param = pixels(
    () =>
      tf.randomUniform(
        [args.units.length, ...model.input.shape],
        lo,
        hi,
        'float32',
        rng.seed(),
      ) as tf.Tensor4D,
  );
  const run = yield* optimizeOwned(model, param, objective, {
    steps: p.steps,
    lr: p.lr * (hi - lo),
    rule: 'normalized',
    transform: randomTransforms([jitter(p.jitter)], rng, neutral(model)),
    projections: [blurEvery(p.blur.sigma, p.blur.every), clampRange([lo, hi])],
    keep: 'last',
    onStep: args.onStep,
    signal: args.signal,
  });
  const units = outcomes(args.units, run, scoreImages(model, own, run.images));
  return disposable({
    images: run.images,
    units,
    objective: objective.description,
    params: p,
    seconds: run.seconds,
  });
}

export const dreamUnits = drained(dreamUnitsSteps);
