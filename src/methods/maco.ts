/**
 * MaCo (Fel et al. 2023, "Unlocking Feature Visualization for Deeper Networks with MAgnitude
 * Constrained Optimization"; Xplique's features_visualizations/maco.py, serre-lab's Horama): only
 * the phase of the image's spectrum is optimized, its magnitude fixed to natural images'
 * (param/phase.ts); each step scores many random crops of a canvas larger than the model's input,
 * shrinking over the run (transforms/crops.ts), with noise; Nadam at lr 1.0 on the phase; 256 steps.
 * The transparency map is the accumulated |∂loss/∂canvas| over the steps: where the picture
 * mattered to the unit. Many units run at once along the batch.
 *
 * Per-input-size defaults (Xplique's are for 224-pixel models on a 512 canvas, ≈ 2.3×). Above 32
 * pixels the canvas is twice the input side, so a 50% crop is the model's own scale, and the crops
 * shrink from 50% to 5% of the side from 128 pixels up, to 25% at 33 (linear in between): a 5% crop
 * of a small canvas is a few pixels blown up, nothing the model has seen. At ≤ 32 pixels the
 * canvas is the input itself and the crops shrink from 100% to 50%: on the 2-epoch MNIST CNN's
 * conv3 (4 live channels, 128 steps) the full image then reaches 0.26/−0.07/0.04/0.17 against
 * 0.19/−0.22/−0.07/0.02 with the 2× canvas and 50% → 25% crops — the picture the user sees is the
 * whole canvas, and a digit model has one scale. Crops per unit: 32 (Xplique), fewer when
 * units × crops would pass 512 views per step (at least 4). Noise 0.08 is in units of half the
 * input range (Xplique's range is −1…1).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { rulesForFirst } from '../optimize/rule_warmup.js';
import { bounded } from '../param/bounded.js';
import { NATURAL_SPECTRUM } from '../param/natural_spectrum.js';
import { phaseOnly } from '../param/phase.js';
import type { Spectrum } from '../param/spectrum.js';
import { randomCrops } from '../transforms/crops.js';
import { drained, outcomes, scoreImages, unitObjectiveOf, type MethodResult, type UnitRequest } from './common.js';
import { gradientTap, toModelSize } from './maco_parts.js';

export interface MacoArgs extends UnitRequest {
  readonly lr?: number;
  /** Fixed magnitude; default the skimage photographs' for colour models (one-channel models must give one: datasetSpectrum). */
  readonly magnitude?: Spectrum;
  /** Canvas [H, W]; default twice the model's input above 32 pixels, the input itself at ≤ 32. */
  readonly canvas?: readonly [number, number];
  readonly crops?: number;
  /** Mean crop side at the first and last step, fractions of the canvas side. */
  readonly boxStart?: number;
  readonly boxEnd?: number;
  readonly noise?: number;
  /** Steps at the start with a leaky-ReLU gradient (Xplique's warm-up); default 0. */
  readonly warmup?: number;
}

export function macoParams(model: VisModel, args: Partial<MacoArgs> = {}) {
  checkLr(args.lr);
  const [h, w, c] = model.input.shape;
  const side = Math.max(h, w);
  const units = Math.max(1, args.units?.length ?? 1);
  const small = side <= 32;
  const boxEnd = args.boxEnd ?? (small ? 0.5 : side >= 128 ? 0.05 : 0.25 - (0.2 * (side - 33)) / 95);
  const k = small ? 1 : 2;
  const magnitude = args.magnitude ?? (c === 3 ? NATURAL_SPECTRUM : null);
  const warmup = args.warmup ?? 0;
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new DeepvisError(`--warmup must be a whole number of steps ≥ 0; got ${warmup}`);
  return {
    method: 'maco', steps: args.steps ?? 256, lr: args.lr ?? 1, rule: 'nadam', canvas: args.canvas ?? [k * h, k * w],
    crops: args.crops ?? Math.max(4, Math.min(32, Math.floor(512 / units))), boxStart: args.boxStart ?? (small ? 1 : 0.5), boxEnd,
    noise: args.noise ?? 0.08, warmup, magnitude: magnitude?.source ?? null, seed: args.seed ?? 0,
  };
}

export interface MacoResult extends MethodResult {
  /** The canvases [U, cH, cW, C] (the `images` are these at the model's size); caller disposes. */
  canvas: tf.Tensor4D;
  /** Σ over steps of |∂loss/∂canvas| [U, cH, cW, C]; caller disposes. */
  transparency: tf.Tensor4D;
}

export function* macoSteps(model: VisModel, args: MacoArgs): Steps<MacoResult> {
  const p = macoParams(model, args);
  const [h, w, c] = model.input.shape;
  const magnitude = args.magnitude ?? (c === 3 ? NATURAL_SPECTRUM : null);
  if (!magnitude) throw new DeepvisError(`--method maco on a ${c}-channel model needs the magnitude spectrum of its data: give --data`);
  const [lo, hi] = model.input.range;
  const n = args.units.length;
  const own = unitObjectiveOf(model, args);
  // k crops per item, item-major; the mean over an item's crops is its score (Xplique: reduce_mean).
  const views = unitObjectiveOf(model, args, args.units.flatMap((u) => new Array<number>(p.crops).fill(u))).times(1 / p.crops);
  const rng = new Rng(p.seed);
  const shape: [number, number, number] = [p.canvas[0], p.canvas[1], c];
  const param = bounded(phaseOnly(n, shape, { magnitude, rng }), {
    range: model.input.range, decorrelate: c === 3, channelOrder: model.input.channelOrder === 'bgr' ? 'bgr' : 'rgb',
  });
  const crops = randomCrops({
    count: p.crops, size: [h, w], fill: neutral(model), rng,
    box: (s) => p.boxStart + ((p.boxEnd - p.boxStart) * s) / Math.max(1, p.steps - 1),
    noise: () => (p.noise * (hi - lo)) / 2,
  });
  const tap = gradientTap();
  try {
    const loop = optimizeOwned(model, param, views, {
      steps: p.steps, lr: p.lr, rule: 'nadam', transform: (x, s) => crops(tap.through(x), s), keep: 'last', onStep: args.onStep, signal: args.signal,
    });
    const run = yield* rulesForFirst(loop, { relu: 'leaky' }, p.warmup);
    const images = toModelSize(run.images, [h, w]);
    const units = outcomes(args.units, run, scoreImages(model, own, images));
    const transparency = tap.take() ?? tf.zeros(run.images.shape);
    return { images, canvas: run.images, transparency, units, objective: own.description, params: p, seconds: run.seconds };
  } finally {
    tap.dispose();
  }
}

export const maco = drained(macoSteps);
