/**
 * Yosinski et al. 2015's rates on another model than CaffeNet: the toolbox's learning rates are in
 * CaffeNet's 0–255 pixel units and were tuned on it; a step lr·g there is lr·s²·g in a range
 * scaled by s, and even then the image may hardly move on a small model. The one calibration
 * (the 004 reproduce page uses it too): k such that the constant lr 100 moves the start image by
 * 1% of the range, and a set at that rate.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import type { Objective } from '../objectives/objective.js';
import type { YosinskiSet } from './yosinski_presets.js';

/** The start image: the neutral image plus the toolbox's noise (σ = 10 of 255). */
export const startOf = (model: VisModel, n: number, seed: number): tf.Tensor4D => {
  const [lo, hi] = model.input.range;
  return tf.randomNormal(
    [n, ...model.input.shape],
    neutral(model),
    (10 / 255) * (hi - lo),
    'float32',
    seed,
  ) as tf.Tensor4D;
};

/**
 * k of YosinskiArgs.rates, the one calibration (the 004 reproduce page uses it too): the factor at
 * which lr 100 (0–255 pixels) moves the start by 1% of the range (RMS, median over the units).
 * The start is drawn through Rng: tfjs takes seed 0 as "no seed", which made k differ run to run.
 */
export function rateCalibration(
  model: VisModel,
  objective: Objective,
  units: number,
  seed: number,
): number {
  const [lo, hi] = model.input.range;
  const lr = 100 * ((hi - lo) / 255) ** 2;
  const rms = tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) => objective.evaluate(model, x as tf.Tensor4D).sum())(
      startOf(model, units, new Rng(seed).seed()),
    );
    return Array.from(g.square().mean([1, 2, 3]).sqrt().dataSync());
  });
  const step = rms.map((v) => lr * v).sort((a, b) => a - b)[Math.floor(rms.length / 2)];
  return step > 0 && Number.isFinite(step) ? (0.01 * (hi - lo)) / step : 1;
}

/** A set at the calibrated rate k: its pixel-unit rates × k, a progress set's step never larger than the constant lr 100's. */
export function calibrated(set: YosinskiSet, k: number): YosinskiSet {
  return set.lr.policy === 'constant'
    ? { ...set, lr: { ...set.lr, lr: set.lr.lr * k } }
    : { ...set, lr: { ...set.lr, maxLr: Math.min(set.lr.maxLr, 100) * k } };
}

/** The loop's step rule for a set: its rate from 0–255 pixels to the model's range (lr·g there is lr·s²·g in a range scaled by s), times `scale`. */
export function stepRule(model: VisModel, set: YosinskiSet, scale: number) {
  const [lo, hi] = model.input.range;
  const s2 = ((hi - lo) / 255) ** 2;
  return set.lr.policy === 'constant'
    ? { rule: 'ascent' as const, lr: set.lr.lr * s2 * scale }
    : { rule: 'progress' as const, lr: set.lr.progress * scale, maxLr: set.lr.maxLr * s2 * scale };
}
