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
import { diversity } from '../objectives/diversity.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { warmup } from '../optimize/schedules.js';
import { bounded, rawPixels } from '../param/bounded.js';
import { fourier } from '../param/fourier.js';
import { defaultTransforms, randomTransforms, type Transform } from '../transforms/affine.js';
import { defineFeatureVis } from './method.js';
import {
  disposable,
  drained,
  outcomes,
  scoreImages,
  scoreRandom,
  unitObjectiveOf,
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
  const d =
    side <= 32
      ? { steps: 256, lr: 0.08 }
      : side <= 96
        ? { steps: 384, lr: 0.05 }
        : { steps: 512, lr: 0.05 };
  const perUnit = args.perUnit ?? 1;
  const transforms = args.transforms ?? defaultTransforms(h, w);
  return {
    method: 'lucid',
    param: args.param ?? 'fourier',
    decorrelate: (args.decorrelate ?? true) && c === 3,
    transforms,
    steps: args.steps ?? d.steps,
    lr: args.lr ?? d.lr,
    perUnit,
    diversityWeight: perUnit > 1 ? (args.diversityWeight ?? 1) : 0,
    diversityScale: 0,
    seed: args.seed ?? 0,
  };
}

/** Steps and learning rate for this model's input size. */
export const lucidDefaults = (model: VisModel) => ({
  steps: lucidParams(model).steps,
  lr: lucidParams(model).lr,
});

export function* lucidSteps(model: VisModel, args: LucidArgs): Steps<MethodResult> {
  const p = lucidParams(model, args);
  const perItem = Array.from({ length: p.perUnit }, () => args.units).flat();
  const own = unitObjectiveOf(model, args, perItem);
  const n = perItem.length;
  // Diversity is a cosine (≤ 1), unit scores are in the model's own units: weigh it by the units' typical score on random images.
  const probe = p.perUnit > 1 ? scoreRandom(model, own, n, p.seed) : new Float32Array(0);
  p.diversityScale = probe.length
    ? Math.max(1e-3, probe.reduce((a, v) => a + Math.abs(v), 0) / probe.length)
    : 0;
  const objective =
    p.perUnit > 1
      ? own.plus(
          diversity(model.layer(args.layer), perItem).times(p.diversityWeight * p.diversityScale),
        )
      : own;
  const rng = new Rng(p.seed);
  const raw =
    p.param === 'fourier'
      ? fourier(n, model.input.shape, { rng })
      : rawPixels(() => tf.randomNormal([n, ...model.input.shape], 0, 0.01, 'float32', rng.seed()));
  const param = bounded(raw, {
    range: model.input.range,
    decorrelate: args.decorrelate ?? true,
    channelOrder: model.input.channelOrder === 'bgr' ? 'bgr' : 'rgb',
  });
  const tfm = randomTransforms(p.transforms, rng, neutral(model));
  const run = yield* optimizeOwned(model, param, objective, {
    steps: p.steps,
    lr: p.lr,
    rule: 'adam',
    schedule: warmup(10),
    transform: (x) => tfm(x),
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
    params: { ...p, transforms: p.transforms.map((t) => t.name) },
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
  batch: (model, req, o) => {
    const k = lucidParams(model, { perUnit: o['per-unit'] }).perUnit;
    return { copies: k, what: 'images per unit', lower: '--per-unit', chunkable: k === 1, rows: k };
  },
  steps: lucidSteps,
  rows: (r) =>
    Number(r.params.perUnit) > 1
      ? Array.from({ length: Number(r.params.perUnit) }, (_, i) => `image ${i + 1}`)
      : null,
  interactive: { neuron: false },
  quick: { 'per-unit': 2 },
  atlas: { settings: { steps: 160 }, conv: 0 },
});
