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
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { warmup } from '../optimize/schedules.js';
import { bounded, rawPixels } from '../param/bounded.js';
import { fourier } from '../param/fourier.js';
import { defaultTransforms, randomTransforms, type Transform } from '../transforms/affine.js';
import { colourOf } from './crop_recipe.js';
import { defineFeatureVis } from './method.js';
import {
  disposable,
  drained,
  outcomes,
  scoreImages,
  unitObjectiveOf,
  withDiversity,
  type MethodResult,
  type UnitRequest,
} from './recipe.js';

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

/** Every parameter of a run, per-input-size defaults resolved (diversityScale is measured by the run). */
export function lucidParams(model: VisModel, args: Partial<LucidArgs> = {}) {
  checkLr(args.lr);
  const [h, w, c] = model.input.shape;
  const side = Math.max(h, w);
  const d = side <= 32 ? { steps: 256, lr: 0.08 } : { steps: side <= 96 ? 384 : 512, lr: 0.05 };
  const perUnit = args.perUnit ?? 1;
  return {
    method: 'lucid',
    param: args.param ?? 'fourier',
    decorrelate: (args.decorrelate ?? true) && c === 3,
    transforms: args.transforms ?? defaultTransforms(h, w),
    steps: args.steps ?? d.steps,
    lr: args.lr ?? d.lr,
    perUnit,
    diversityWeight: perUnit > 1 ? (args.diversityWeight ?? 1) : 0,
    diversityScale: 0,
    seed: args.seed ?? 0,
  };
}

export function* lucidSteps(model: VisModel, args: LucidArgs): Steps<MethodResult> {
  const p = lucidParams(model, args);
  const perItem = Array.from({ length: p.perUnit }, () => args.units).flat();
  const own = unitObjectiveOf(model, args, perItem);
  const { objective, scale } = withDiversity(model, args.layer, own, perItem, {
    perUnit: p.perUnit,
    weight: p.diversityWeight,
    seed: p.seed,
  });
  const rng = new Rng(p.seed);
  const raw =
    p.param === 'fourier'
      ? fourier(perItem.length, model.input.shape, { rng })
      : rawPixels(() =>
          tf.randomNormal([perItem.length, ...model.input.shape], 0, 0.01, 'float32', rng.seed()),
        );
  const param = bounded(raw, { ...colourOf(model), decorrelate: args.decorrelate ?? true });
  const run = yield* optimizeOwned(model, param, objective, {
    steps: p.steps,
    lr: p.lr,
    rule: 'adam',
    schedule: warmup(10),
    transform: randomTransforms(p.transforms, rng, neutral(model)),
    keep: 'last',
    onStep: args.onStep,
    signal: args.signal,
  });
  // Report the unit's own activation on the final image, without transforms or diversity.
  const units = outcomes(perItem, run, scoreImages(model, own, run.images));
  return disposable({
    images: run.images,
    units,
    objective: objective.description,
    params: { ...p, diversityScale: scale, transforms: p.transforms.map((t) => t.name) },
    seconds: run.seconds,
  });
}

export const lucid = drained(lucidSteps);

export const lucidMethod = defineFeatureVis({
  name: 'lucid',
  title: 'Lucid',
  tagline: 'Fourier, robust',
  paper: 'Olah et al. 2017',
  defaults:
    '256 steps at lr 0.08 for ≤ 32 px, else 384–512 at 0.05; Fourier, decorrelated colour, pad/jitter/scale/rotate',
  idea: 'The image is optimized as a 1/f-scaled Fourier spectrum in a decorrelated colour basis, and scored only after random padding, jitter, scaling and rotation, so that only features robust to those transforms survive. This suppresses the high-frequency patterns of plain ascent and gives the pictures of Lucid and the Distill articles.',
  example: { steps: 64 },
  options: {
    param: {
      type: 'string',
      help: 'parameterization (library default fourier)',
      choices: ['fourier', 'pixels'],
    },
    'per-unit': {
      type: 'int',
      min: 1,
      help: 'images per unit, kept apart by a diversity term (library default 1)',
    },
    diversity: {
      type: 'number',
      help: "weight of the diversity term, relative to the units' typical activation (library default 1)",
    },
    'no-decorrelate': { type: 'bool', help: 'no colour decorrelation' },
    'no-transforms': { type: 'bool', help: 'no pad/jitter/scale/rotate' },
  },
  args: (req, o): LucidArgs => ({
    ...req,
    param: o.param,
    perUnit: o['per-unit'],
    diversityWeight: o.diversity,
    decorrelate: !o['no-decorrelate'],
    transforms: o['no-transforms'] ? [] : undefined,
  }),
  params: lucidParams,
  batch: (_m, _r, { 'per-unit': k = 1 }) => ({
    copies: k,
    what: 'images per unit',
    lower: '--per-unit',
    chunkable: k === 1,
    rows: k,
  }),
  steps: lucidSteps,
  rows: (r) =>
    Number(r.params.perUnit) > 1
      ? Array.from({ length: Number(r.params.perUnit) }, (_, i) => `image ${i + 1}`)
      : null,
  interactive: { neuron: false },
  quick: { 'per-unit': 2 },
  atlas: { settings: { steps: 160 }, conv: 0 },
});
