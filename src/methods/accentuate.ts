/**
 * Feature accentuation (Hamblin, Fel, Saha, Konkle & Alvarez 2024; Horama's accentuation): start
 * from a real image and push it toward the unit while an L2 pull keeps it near the image, so what
 * changes is what in *this* image drives the unit. Recipe: the start image's own spectrum
 * (param/from_image.ts: the first image is the start image), a few random crops with noise every step
 * (Horama: 6 crops, noise 0.05), Nadam at lr 1, and per image
 *   loss = −unitWeight · unit(crops) + weight · s · mean(((x − start) / (range/2))²)
 * where s is the mean |activation| of the units on their start images (≥ 1e-3): the pull is measured in
 * the unit's own currency, so weight 1 means "moving every pixel by half the range costs as much as
 * the unit's activation on the start image", on any model. The anchor is the param's own first
 * image. Many units at once, each with its start image (one for all of them is the common case).
 *
 * Per-input-size defaults: the canvas is the start image at the model's size, and the crops cover 90% →
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
import { triptych } from '../render/triptych.js';
import { accentuateParams, pullToward, type AccentuateArgs } from './accentuate_params.js';
import { channelOrderOf, colourOf, cropViews, shrinkingCrops } from './crop_recipe.js';
import { defineFeatureVis } from './method.js';
import {
  disposable,
  drained,
  outcomes,
  scoreImages,
  unitObjectiveOf,
  type MethodResult,
} from './recipe.js';

export { accentuateParams, type AccentuateArgs } from './accentuate_params.js';

export interface AccentuateResult extends MethodResult {
  /** The start images as the run saw them [U, H, W, C] (the param's first image). */
  starts: tf.Tensor4D;
}

export function* accentuateSteps(model: VisModel, args: AccentuateArgs): Steps<AccentuateResult> {
  const p = accentuateParams(args);
  const [h, w, c] = model.input.shape;
  const [lo, hi] = model.input.range;
  const n = args.units.length;
  const s = args.image.shape;
  if (s[1] !== h || s[2] !== w || s[3] !== c || (s[0] !== 1 && s[0] !== n)) {
    throw new DeepvisError(
      `accentuate: the start image is ${s.slice(1).join('×')} (${s[0]} images); the model takes ${h}×${w}×${c}, one image or one per unit`,
    );
  }
  const own = unitObjectiveOf(model, args);
  const views = cropViews(model, args, p.crops, p.unitWeight);
  const starts = tf.tidy(() => tf.tile(args.image, [n / s[0], 1, 1, 1]) as tf.Tensor4D);
  const param = bounded(
    fromImageSpectrum({
      images: starts,
      range: [lo, hi],
      channelOrder: channelOrderOf(model),
      decay: p.decay,
    }),
    colourOf(model),
  );
  starts.dispose();
  const anchor = param.image();
  try {
    const onStart = scoreImages(model, own, anchor);
    p.pullScale = Math.max(1e-3, onStart.reduce((a, v) => a + Math.abs(v), 0) / n);
    const half = (hi - lo) / 2;
    const pull = pullToward(anchor, (p.weight * p.pullScale) / (half * half));
    const crops = shrinkingCrops(model, p, new Rng(p.seed), p.noise * half);
    const run = yield* optimizeOwned(model, param, views, {
      steps: p.steps,
      lr: p.lr,
      rule: 'nadam',
      transform: (x, t) => crops(pull(x), t),
      keep: 'last',
      onStep: args.onStep,
      signal: args.signal,
    });
    const units = outcomes(args.units, run, scoreImages(model, own, run.images));
    return disposable({
      images: run.images,
      starts: anchor.clone(),
      units,
      objective: own.description,
      params: { ...p, startActivations: Array.from(onStart) },
      seconds: run.seconds,
    });
  } finally {
    anchor.dispose();
  }
}

export const accentuate = drained(accentuateSteps);

export const accentuateMethod = defineFeatureVis({
  name: 'accentuate',
  title: 'feature accentuation',
  tagline: 'from the input',
  paper: 'Hamblin et al. 2024',
  defaults:
    '256 steps, Nadam at lr 1, 6 crops of 90% → 80% of the side, an L2 pull of weight 1 toward the start image',
  idea: "Start from a real image and push it toward more of a unit's feature, with an L2 pull that keeps it close to where it started. It shows what the unit sees in that image, rather than an abstract maximizer.",
  example: { steps: 48, crops: 3 },
  options: {
    weight: {
      type: 'number',
      help: 'weight of the L2 pull toward the start image, in units of its activation (library default 1)',
    },
    crops: { type: 'int', min: 1, help: 'random crops per image per step (default 6)' },
  },
  needs: { image: true },
  args: (req, o, ctx): AccentuateArgs => ({
    ...req,
    image: ctx.image!,
    weight: o.weight,
    crops: o.crops,
  }),
  params: (_, a) => accentuateParams(a),
  batch: (_, req, o) => ({
    copies: accentuateParams({ crops: o.crops }).crops,
    what: 'crops',
    lower: '--crops',
    chunkable: false,
    rows: 1,
  }),
  steps: accentuateSteps,
  extras: (r: AccentuateResult, _, { model, stem, imageName }) => ({
    figures: [
      {
        suffix: '-triptych',
        image: triptych(
          r.starts,
          r.images,
          model.input.range,
          r.units.map((u) => String(u.unit)),
          `${stem} from ${imageName ?? 'the input'}`,
        ),
      },
    ],
  }),
  interactive: {},
  compare: false,
  quick: { crops: 3 },
});
