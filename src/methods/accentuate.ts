/**
 * Feature accentuation (Hamblin, Fel, Saha, Konkle & Alvarez 2024; Horama's accentuation): start
 * from a real image and push it toward the unit while an L2 pull keeps it near the image, so what
 * changes is what in *this* image drives the unit. Recipe: the seed's own spectrum as the start
 * (param/from_image.ts: the first image is the seed), a few random crops with noise every step
 * (Horama: 6 crops, noise 0.05), Nadam at lr 1, and per image
 *   loss = −unitWeight · unit(crops) + weight · s · mean(((x − seed) / (range/2))²)
 * where s is the mean |activation| of the units on their seeds (≥ 1e-3): the pull is measured in
 * the unit's own currency, so weight 1 means "moving every pixel by half the range costs as much as
 * the unit's activation on the seed", on any model. The anchor is the param's own first image.
 * Many units at once, each with its seed (one seed for all of them is the common case).
 *
 * Per-input-size defaults: the canvas is the seed at the model's size, and the crops cover 90% →
 * 80% of the side (Horama's 20–25% crops of a 1280 canvas for a 224 input are ≈ 1.2× the input).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { bounded } from '../param/bounded.js';
import { fromImageSpectrum } from '../param/from_image.js';
import { accentuateParams, pullToward, type AccentuateArgs } from './accentuate_parts.js';
import { drained, outcomes, scoreImages, unitObjectiveOf, type MethodResult } from './recipe.js';
import { channelOrderOf, colourOf, cropViews, shrinkingCrops } from './crop_recipe.js';

export { accentuateParams, type AccentuateArgs } from './accentuate_parts.js';

export interface AccentuateResult extends MethodResult {
  /** The seeds as the run saw them [U, H, W, C] (the param's first image); caller disposes. */
  seeds: tf.Tensor4D;
}

export function* accentuateSteps(model: VisModel, args: AccentuateArgs): Steps<AccentuateResult> {
  const p = accentuateParams(args);
  const [h, w, c] = model.input.shape;
  const [lo, hi] = model.input.range;
  const n = args.units.length;
  const s = args.image.shape;
  if (s[1] !== h || s[2] !== w || s[3] !== c || (s[0] !== 1 && s[0] !== n)) {
    throw new DeepvisError(`accentuate: the seed is ${s.slice(1).join('×')} (${s[0]} images); the model takes ${h}×${w}×${c}, one seed or one per unit`);
  }
  const own = unitObjectiveOf(model, args);
  const views = cropViews(model, args, p.crops, p.unitWeight);
  const seeds = tf.tidy(() => tf.tile(args.image, [n / s[0], 1, 1, 1]) as tf.Tensor4D);
  const param = bounded(fromImageSpectrum({ seeds, range: [lo, hi], channelOrder: channelOrderOf(model), decay: p.decay }), colourOf(model));
  seeds.dispose();
  const anchor = param.image();
  try {
    const onSeed = scoreImages(model, own, anchor);
    p.pullScale = Math.max(1e-3, onSeed.reduce((a, v) => a + Math.abs(v), 0) / n);
    const half = (hi - lo) / 2;
    const pull = pullToward(anchor, (p.weight * p.pullScale) / (half * half));
    const crops = shrinkingCrops(model, p, new Rng(p.seed), p.noise * half);
    const run = yield* optimizeOwned(model, param, views, {
      steps: p.steps, lr: p.lr, rule: 'nadam', transform: (x, t) => crops(pull(x), t), keep: 'last', onStep: args.onStep, signal: args.signal,
    });
    const units = outcomes(args.units, run, scoreImages(model, own, run.images));
    return { images: run.images, seeds: anchor.clone(), units, objective: own.description, params: { ...p, seedActivations: Array.from(onSeed) }, seconds: run.seconds };
  } finally {
    anchor.dispose();
  }
}

export const accentuate = drained(accentuateSteps);
