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
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { bounded } from '../param/bounded.js';
import { fromImageSpectrum } from '../param/from_image.js';
import { randomCrops } from '../transforms/crops.js';
import { drained, outcomes, scoreImages, unitObjectiveOf, type MethodResult, type UnitRequest } from './common.js';

export interface AccentuateArgs extends UnitRequest {
  /** Seed image [1 or U, H, W, C] in the model's range; read, not kept. */
  readonly image: tf.Tensor4D;
  /** Weight of the L2 pull toward the seed (Horama's penalty); default 1. */
  readonly weight?: number;
  /** Weight of the unit; 0 leaves only the pull (the image stays the seed). Default 1. */
  readonly unitWeight?: number;
  readonly lr?: number;
  readonly crops?: number;
  readonly noise?: number;
}

export function accentuateParams(args: Partial<AccentuateArgs> = {}) {
  checkLr(args.lr);
  const weight = args.weight ?? 1;
  if (!(weight >= 0 && Number.isFinite(weight))) throw new DeepvisError(`--weight must be a number ≥ 0; got ${weight}`);
  return {
    method: 'accentuate', steps: args.steps ?? 256, lr: args.lr ?? 1, rule: 'nadam', weight, unitWeight: args.unitWeight ?? 1,
    crops: args.crops ?? 6, boxStart: 0.9, boxEnd: 0.8, noise: args.noise ?? 0.05, decay: 1.5, pullScale: 0, seed: args.seed ?? 0,
  };
}

/** An identity whose gradient also carries ∂(k · Σᵢ mean((xᵢ − anchorᵢ)²))/∂x: a pull the loop minimizes along with −Σ scores. */
function pullToward(anchor: tf.Tensor4D, k: number): (x: tf.Tensor4D) => tf.Tensor4D {
  const per = 2 * k / (anchor.size / anchor.shape[0]);
  const f = tf.customGrad(((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([x]);
    return { value: x.clone(), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.tidy(() => dy.add(saved.sub(anchor).mul(per))) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (x) => (k === 0 ? x : (f(x) as tf.Tensor4D));
}

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
  const views = unitObjectiveOf(model, args, args.units.flatMap((u) => new Array<number>(p.crops).fill(u))).times(p.unitWeight / p.crops);
  const seeds = tf.tidy(() => tf.tile(args.image, [n / s[0], 1, 1, 1]) as tf.Tensor4D);
  const param = bounded(fromImageSpectrum({ seeds, range: [lo, hi], channelOrder: model.input.channelOrder === 'bgr' ? 'bgr' : 'rgb', decay: p.decay }), {
    range: [lo, hi], decorrelate: c === 3, channelOrder: model.input.channelOrder === 'bgr' ? 'bgr' : 'rgb',
  });
  seeds.dispose();
  const anchor = param.image();
  try {
    const onSeed = scoreImages(model, own, anchor);
    p.pullScale = Math.max(1e-3, onSeed.reduce((a, v) => a + Math.abs(v), 0) / n);
    const half = (hi - lo) / 2;
    const pull = pullToward(anchor, (p.weight * p.pullScale) / (half * half));
    const rng = new Rng(p.seed);
    const crops = randomCrops({
      count: p.crops, size: [h, w], fill: neutral(model), rng,
      box: (t) => p.boxStart + ((p.boxEnd - p.boxStart) * t) / Math.max(1, p.steps - 1), noise: () => p.noise * half,
    });
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
