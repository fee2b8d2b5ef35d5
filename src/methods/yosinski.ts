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
import type { Objective } from '../objectives/objective.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { blurEvery, clipSmallContribution, clipSmallNorm, decay } from '../projections/regularizers.js';
import { defineFeatureVis } from './method.js';
import { disposable, drained, outcomes, unitObjectiveOf, type MethodResult, type UnitRequest } from './recipe.js';
import { presetSets, setLabel, YOSINSKI_DEFAULT_SET, YOSINSKI_PRESETS, type YosinskiSet } from './yosinski_presets.js';

export { randomPresets, SEARCH_RANGES, YOSINSKI_DEFAULT_SET, YOSINSKI_PRESETS, type LrPolicy, type YosinskiSet } from './yosinski_presets.js';

export interface YosinskiArgs extends UnitRequest {
  /** Hyperparameter sets, run one after another. Default: the paper's best, Table 1's third row. */
  readonly sets?: readonly YosinskiSet[];
  /** Multiplies every set's step (constant: lr; progress: the target and max_lr) — the toolbox's rates were tuned on CaffeNet; default 1. */
  readonly lr?: number;
  /**
   * 'calibrated' (default): the toolbox's pixel-unit rates times the factor k at which its constant
   * lr 100 moves the start image by 1% of the range (RMS, median over the units) in the first step,
   * and a progress set's step never larger than that constant one. The rates were tuned on
   * CaffeNet; at the literal rates ('toolbox') the image hardly moves on a small model (set 3
   * reached 1% of the best MNIST digit's activation), and the progress target (2.0 activation
   * units) overshoots a unit whose activations are of order 1.
   */
  readonly rates?: 'calibrated' | 'toolbox';
  /** `steps` (from UnitRequest), when given, replaces every set's own iteration count. */
}

export interface YosinskiResult extends MethodResult {
  /** images are set-major: item s·U + u is unit u under sets[s]. */
  readonly sets: readonly YosinskiSet[];
}

export function yosinskiParams(args: Omit<YosinskiArgs, 'layer' | 'units'>) {
  checkLr(args.lr);
  const sets = (args.sets ?? [YOSINSKI_PRESETS[YOSINSKI_DEFAULT_SET]]).map((s) => (args.steps != null ? { ...s, steps: args.steps } : s));
  return { method: 'yosinski', steps: sets.reduce((n, s) => n + s.steps, 0), lrScale: args.lr ?? 1, rates: args.rates ?? 'calibrated', sets, seed: args.seed ?? 0 };
}

/** The start image: the neutral image plus the toolbox's noise (σ = 10 of 255). */
const startOf = (model: VisModel, n: number, seed: number): tf.Tensor4D => {
  const [lo, hi] = model.input.range;
  return tf.randomNormal([n, ...model.input.shape], neutral(model), (10 / 255) * (hi - lo), 'float32', seed) as tf.Tensor4D;
};

/**
 * k of YosinskiArgs.rates, the one calibration (the 004 reproduce page uses it too): the factor at
 * which lr 100 (0–255 pixels) moves the start by 1% of the range (RMS, median over the units).
 * The start is drawn through Rng: tfjs takes seed 0 as "no seed", which made k differ run to run.
 */
export function rateCalibration(model: VisModel, objective: Objective, units: number, seed: number): number {
  const [lo, hi] = model.input.range;
  const lr = 100 * ((hi - lo) / 255) ** 2;
  const rms = tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) => objective.evaluate(model, x as tf.Tensor4D).sum())(startOf(model, units, new Rng(seed).seed()));
    return Array.from(g.square().mean([1, 2, 3]).sqrt().dataSync());
  });
  const step = rms.map((v) => lr * v).sort((a, b) => a - b)[Math.floor(rms.length / 2)];
  return step > 0 && Number.isFinite(step) ? (0.01 * (hi - lo)) / step : 1;
}

/** A set at the calibrated rate k: its pixel-unit rates × k, a progress set's step never larger than the constant lr 100's. */
export function calibrated(set: YosinskiSet, k: number): YosinskiSet {
  return set.lr.policy === 'constant' ? { ...set, lr: { ...set.lr, lr: set.lr.lr * k } } : { ...set, lr: { ...set.lr, maxLr: Math.min(set.lr.maxLr, 100) * k } };
}

export function* yosinskiSteps(model: VisModel, args: YosinskiArgs): Steps<YosinskiResult> {
  const p = yosinskiParams(args);
  const u = args.units.length;
  const objective = unitObjectiveOf(model, args, args.units);
  const [lo, hi] = model.input.range;
  // The toolbox's pixels are 0–255: a step lr·g there is lr·s²·g in a range scaled by s.
  const s2 = ((hi - lo) / 255) ** 2;
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
      const policy = set.lr.policy === 'constant'
        ? { rule: 'ascent' as const, lr: set.lr.lr * s2 * p.lrScale }
        : { rule: 'progress' as const, lr: set.lr.progress * p.lrScale, maxLr: set.lr.maxLr * s2 * p.lrScale };
      const at = offset;
      const run = yield* optimizeOwned(model, param, objective, {
        steps: set.steps,
        ...policy,
        projections: [decay(set.decay, centre), blurEvery(set.blurRadius, set.blurEvery), clipSmallNorm(set.normPct, centre), clipSmallContribution(set.contributionPct, centre), clampRange([lo, hi])],
        onStep: args.onStep && ((info) => args.onStep!({ ...info, step: at + info.step, steps: p.steps })),
        signal: args.signal,
      });
      offset += set.steps;
      seconds += run.seconds;
      images.push(run.images);
      units.push(...outcomes(args.units, run));
    }
    const all = images.length === 1 ? images[0] : tf.concat(images);
    if (images.length > 1) tf.dispose(images);
    return disposable({ images: all, units, objective: objective.description, params: { ...p, rateFactor: k }, seconds, sets: p.sets });
  } catch (e) {
    tf.dispose(images);
    throw e;
  }
}

export const yosinski = drained(yosinskiSteps);

export const yosinskiMethod = defineFeatureVis({
  name: 'yosinski', title: 'Yosinski', tagline: 'regularized', paper: 'Yosinski et al. 2015',
  defaults: "Table 1's third set (1000 steps); each set runs its own iterations and learning-rate policy; rates calibrated to the model",
  options: {
    preset: { type: 'string', help: "the paper's hyperparameter set 1–4 (Table 1's rows), or 'all' (library default 3, the paper's best)" },
    rates: { type: 'string', help: "the toolbox's CaffeNet pixel rates calibrated to this model (library default), or taken literally", choices: ['calibrated', 'toolbox'] },
    search: { type: 'int', min: 1, help: "render N random hyperparameter sets side by side (the paper's random search)" },
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
  compare: YOSINSKI_PRESETS.map((_, k) => ({ label: `yosinski ${k + 1}`, options: { preset: String(k + 1) } })),
  quick: { preset: 'all' },
  atlas: { settings: { steps: 150 }, dense: 1 },
});
