/**
 * Regularized activation maximization, Yosinski et al. 2015 (§Regularized optimization):
 * gradient ascent from the neutral image plus a little noise (the toolbox's mean_plus_rand start:
 * σ = 10 of 255), and after every step the regularizer r_θ: L2 decay, Gaussian blur every few
 * steps, clipping of pixels with small norm and of pixels with small contribution. The paper picked
 * four hyperparameter sets out of a random search of 300 (yosinski_presets.ts); each set runs
 * with its own iteration count and learning-rate policy, as the Deep Visualization Toolbox runs
 * them, so the sets run one after another (all units of a set in one batch).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import {
  blurEvery,
  clipSmallContribution,
  clipSmallNorm,
  decay,
} from '../projections/regularizers.js';
import { defineFeatureVis } from './method.js';
import { disposable, drained, outcomes, unitObjectiveOf, type MethodResult } from './recipe.js';
import { yosinskiParams, type YosinskiArgs } from './yosinski_params.js';
import { presetSets, setLabel, YOSINSKI_PRESETS, type YosinskiSet } from './yosinski_presets.js';
import { calibrated, rateCalibration, startOf, stepRule } from './yosinski_rates.js';

export {
  randomPresets,
  SEARCH_RANGES,
  YOSINSKI_DEFAULT_SET,
  YOSINSKI_PRESETS,
  type LrPolicy,
  type YosinskiSet,
} from './yosinski_presets.js';
export { calibrated, rateCalibration } from './yosinski_rates.js';
export { yosinskiParams, type YosinskiArgs } from './yosinski_params.js';

export interface YosinskiResult extends MethodResult {
  /** images are set-major: item s·U + u is unit u under sets[s]. */
  readonly sets: readonly YosinskiSet[];
}

export function* yosinskiSteps(model: VisModel, args: YosinskiArgs): Steps<YosinskiResult> {
  const p = yosinskiParams(args);
  const u = args.units.length;
  const objective = unitObjectiveOf(model, args, args.units);
  const [lo, hi] = model.input.range;
  const centre = neutral(model);
  const rng = new Rng(p.seed);
  const k = p.rates === 'calibrated' ? rateCalibration(model, objective, u, p.seed) : 1;
  const images: tf.Tensor4D[] = [];
  const units = [];
  let [offset, seconds] = [0, 0];
  try {
    for (const given of p.sets) {
      const seed = rng.seed();
      const param = pixels(() => startOf(model, u, seed));
      const set = p.rates === 'calibrated' ? calibrated(given, k) : given;
      const at = offset;
      const run = yield* optimizeOwned(model, param, objective, {
        steps: set.steps,
        ...stepRule(model, set, p.lrScale),
        projections: [
          decay(set.decay, centre),
          blurEvery(set.blurRadius, set.blurEvery),
          clipSmallNorm(set.normPct, centre),
          clipSmallContribution(set.contributionPct, centre),
          clampRange([lo, hi]),
        ],
        onStep:
          args.onStep &&
          ((info) => args.onStep!({ ...info, step: at + info.step, steps: p.steps })),
        signal: args.signal,
      });
      offset += set.steps;
      seconds += run.seconds;
      images.push(run.images);
      units.push(...outcomes(args.units, run));
    }
    const all = images.length === 1 ? images[0] : tf.concat(images);
    if (images.length > 1) tf.dispose(images);
    return disposable({
      images: all,
      units,
      objective: objective.description,
      params: { ...p, rateFactor: k },
      seconds,
      sets: p.sets,
    });
  } catch (e) {
    tf.dispose(images);
    throw e;
  }
}

export const yosinski = drained(yosinskiSteps);

export const yosinskiMethod = defineFeatureVis({
  name: 'yosinski',
  title: 'Yosinski',
  tagline: 'regularized',
  paper: 'Yosinski et al. 2015',
  defaults:
    "Table 1's third set (1000 steps); each set runs its own iterations and learning-rate policy; rates calibrated to the model",
  idea: "Gradient ascent with cheap image priors applied between steps: L2 decay, a Gaussian blur every few steps, and clipping of pixels with a small norm or a small contribution. The paper's four hyperparameter sets (its Table 1) trade sharpness for naturalness; deepvis runs them as the Deep Visualization Toolbox does, with its pixel rates calibrated to the model.",
  example: { steps: 64 },
  options: {
    preset: {
      type: 'string',
      help: "the paper's hyperparameter set 1–4 (Table 1's rows), or 'all' (library default 3, the paper's best)",
    },
    rates: {
      type: 'string',
      help: "the toolbox's CaffeNet pixel rates calibrated to this model (library default), or taken literally",
      choices: ['calibrated', 'toolbox'],
    },
    search: {
      type: 'int',
      min: 1,
      help: "render N random hyperparameter sets side by side (the paper's random search)",
    },
  },
  args: (req, o): YosinskiArgs => ({ ...req, sets: presetSets(o, req.seed ?? 0), rates: o.rates }),
  params: (_, a) => yosinskiParams(a),
  batch: (_, req, o) => {
    const k = presetSets(o, req.seed ?? 0)?.length ?? 1;
    return { copies: k, what: 'hyperparameter sets', chunkable: false, rows: k };
  },
  steps: yosinskiSteps,
  rows: (r: YosinskiResult) => r.sets.map(setLabel),
  interactive: { options: { preset: '1' } },
  compare: YOSINSKI_PRESETS.map((_, k) => ({
    label: `yosinski ${k + 1}`,
    options: { preset: String(k + 1) },
  })),
  quick: { preset: 'all' },
  atlas: { settings: { steps: 150 }, dense: 1 },
});
