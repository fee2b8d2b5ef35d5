/**
 * The modern default for conv nets (Olah, Mordvintsev & Schubert 2017, "Feature Visualization";
 * Lucid's render_vis): a Fourier-parameterized image with decorrelated colour and a sigmoid onto
 * the input range, random pad/jitter/scale/rotate every step, Adam. Optionally a diversity term
 * across several images per unit. No projection is needed: the parameterization bounds the image.
 *
 * Per-input-size defaults (Lucid's are tuned for 224-pixel ImageNet models and give grey or noisy
 * pictures on small ones): transforms scale with the image (transforms/affine.ts), and small
 * inputs use a larger learning rate and fewer steps, since a 28×28 image has 64× fewer frequencies
 * to settle.
 */
import { drain, type Steps } from '../optimize/drive.js';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import { diversity } from '../objectives/diversity.js';
import { optimizeSteps } from '../optimize/loop.js';
import { warmup } from '../optimize/schedules.js';
import { bounded, rawPixels } from '../param/bounded.js';
import { fourier } from '../param/fourier.js';
import { defaultTransforms, randomTransforms, type Transform } from '../transforms/affine.js';
import { neutral, scoreImages, unitObjectiveOf, type MethodResult, type UnitRequest } from './common.js';

export interface LucidArgs extends UnitRequest {
  /** 'fourier' (default) or plain 'pixels' through the same sigmoid. */
  readonly param?: 'fourier' | 'pixels';
  /** Colour decorrelation for 3-channel models; default true. */
  readonly decorrelate?: boolean;
  /** Default: defaultTransforms(H, W); [] turns robustness off. */
  readonly transforms?: readonly Transform[];
  readonly lr?: number;
  /** Images per unit; with more than one, a diversity term keeps them apart. */
  readonly perUnit?: number;
  /** Weight of diversity relative to the units' typical activation on random images; default 1. */
  readonly diversityWeight?: number;
}

export function lucidDefaults(model: VisModel): { steps: number; lr: number } {
  const side = Math.max(model.input.shape[0], model.input.shape[1]);
  return side <= 32 ? { steps: 256, lr: 0.08 } : side <= 96 ? { steps: 384, lr: 0.05 } : { steps: 512, lr: 0.05 };
}

export function* lucidSteps(model: VisModel, args: LucidArgs): Steps<MethodResult> {
  const d = lucidDefaults(model);
  const steps = args.steps ?? d.steps;
  const lr = args.lr ?? d.lr;
  const perUnit = args.perUnit ?? 1;
  const perItem = Array.from({ length: perUnit }, () => args.units).flat();
  let objective = unitObjectiveOf(model, args, perItem);
  const [h, w, c] = model.input.shape;
  let diversityScale = 0;
  if (perUnit > 1) {
    // Diversity is a cosine (≤ 1) while unit scores are in the model's own units: the weight is
    // relative to the units' typical magnitude, measured on random images of the input range.
    const [lo, hi] = model.input.range;
    const probe = tf.randomUniform([perItem.length, h, w, c], lo, hi, 'float32', args.seed ?? 0) as tf.Tensor4D;
    const s = scoreImages(model, unitObjectiveOf(model, args, perItem), probe);
    probe.dispose();
    diversityScale = Math.max(1e-3, s.reduce((a, v) => a + Math.abs(v), 0) / s.length);
    objective = objective.plus(diversity(model.layer(args.layer), perItem).times((args.diversityWeight ?? 1) * diversityScale));
  }
  const rng = new Rng(args.seed ?? 0);
  const n = perItem.length;
  const pixelsFrom = () => {
    const init = tf.randomNormal([n, h, w, c], 0, 0.01, 'float32', rng.seed()) as tf.Tensor4D;
    const p = rawPixels(init);
    init.dispose();
    return p;
  };
  const raw = (args.param ?? 'fourier') === 'fourier' ? fourier(n, [h, w, c], { rng }) : pixelsFrom();
  const order = model.input.channelOrder === 'bgr' ? 'bgr' : 'rgb';
  const param = bounded(raw, { range: model.input.range, decorrelate: args.decorrelate ?? true, channelOrder: order });
  const transforms = args.transforms ?? defaultTransforms(h, w);
  const tfm = randomTransforms(transforms, rng, neutral(model));
  try {
    const run = yield* optimizeSteps(model, param, objective, {
      steps,
      lr,
      rule: 'adam',
      schedule: warmup(10),
      transform: (x) => tfm(x),
      keep: 'last',
      onStep: args.onStep,
      signal: args.signal,
    });
    // Report the unit's own activation on the final image, without transforms or diversity.
    const own = scoreImages(model, unitObjectiveOf(model, args, perItem), run.images);
    return {
      images: run.images,
      units: perItem.map((unit, i) => ({ unit, activation: own[i], steps: run.steps[i] })),
      objective: objective.description,
      params: {
        method: 'lucid', param: args.param ?? 'fourier', decorrelate: (args.decorrelate ?? true) && c === 3,
        transforms: transforms.map((t) => t.name), steps, lr, perUnit, diversityWeight: perUnit > 1 ? args.diversityWeight ?? 1 : 0, diversityScale,
        seed: args.seed ?? 0,
      },
      seconds: run.seconds,
    };
  } finally {
    param.dispose();
  }
}

export function lucid(model: VisModel, args: LucidArgs): MethodResult {
  return drain(lucidSteps(model, args));
}
