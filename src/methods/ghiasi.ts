/**
 * Feature visualization for vision transformers (Ghiasi et al. 2022, "What do Vision Transformers
 * Learn? A Visual Exploration", after their code): pixels optimized with Adam (lr 0.1 in
 * normalized units, 400 steps), every step seen as 8 augmented copies (one random roll that falls
 * over the run to a quarter patch — our deviation, see ghiasiEnsemble — per-copy
 * colour shift and scale, an annealed Gaussian offset: transforms/ensemble.ts), a four-direction
 * total variation (weight 0.0005 in normalized units) and the image clipped to the input range. A
 * unit is a channel of the MLP's expanded GELU layer averaged over the patch tokens — the channel
 * mean of a token layer's grid — which is the unit layer of a block (model.unitLayerOf).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { normVariation } from '../objectives/priors.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { augmentEnsemble, ghiasiEnsemble } from '../transforms/ensemble.js';
import { cropViews } from './crop_recipe.js';
import { defineFeatureVis } from './method.js';
import {
  disposable,
  drained,
  outcomes,
  scoreImages,
  unitObjectiveOf,
  type MethodResult,
  type UnitRequest,
} from './recipe.js';

export interface GhiasiArgs extends UnitRequest {
  readonly lr?: number;
  /** Augmented copies per image per step. */
  readonly copies?: number;
  /** Total-variation weight in normalized units (the paper's 0.0005 × its `--tv` factor). */
  readonly tv?: number;
}

/** One normalized unit of the model's input in image values: its std, else a quarter of the range. */
const normUnit = (model: VisModel) => {
  const std = model.input.normalize?.std;
  return std
    ? std.reduce((a, b) => a + b, 0) / std.length
    : (model.input.range[1] - model.input.range[0]) / 4;
};

/** A transformer's patch side in pixels (4 when it has no token grid). */
const patchSide = (model: VisModel) => {
  const grid = model.transformer?.tokens?.grid;
  return grid ? Math.max(model.input.shape[0] / grid[0], model.input.shape[1] / grid[1]) : 4;
};

export function ghiasiParams(model: VisModel, args: Partial<GhiasiArgs> = {}) {
  checkLr(args.lr);
  const unit = normUnit(model);
  return {
    method: 'ghiasi',
    steps: args.steps ?? 400,
    lr: args.lr ?? 0.1,
    copies: args.copies ?? 8,
    tv: args.tv ?? 0.0005,
    ensemble: ghiasiEnsemble(unit, neutral(model), patchSide(model)),
    seed: args.seed ?? 0,
  };
}

export function* ghiasiSteps(model: VisModel, args: GhiasiArgs): Steps<MethodResult> {
  const p = ghiasiParams(model, args);
  const { unit } = p.ensemble;
  const own = unitObjectiveOf(model, args);
  // Every copy's unit score and TV count 1/copies: an item's score is the mean over its copies.
  const objective = cropViews(model, args, p.copies).plus(
    normVariation().times(p.tv / unit / p.copies),
  );
  const rng = new Rng(p.seed);
  const n = args.units.length;
  const [lo, hi] = model.input.range;
  const param = pixels(
    () =>
      tf
        .randomUniform([n, ...model.input.shape], -0.1, 0.1, 'float32', rng.seed())
        .mul(hi - lo)
        .add(neutral(model)) as tf.Tensor4D,
  );
  const views = augmentEnsemble({ ...p.ensemble, copies: p.copies }, rng);
  // lr in normalized units, as the paper's optimizer sees its normalized image.
  const run = yield* optimizeOwned(model, param, objective, {
    steps: p.steps,
    lr: p.lr * unit,
    rule: 'adam',
    projections: [clampRange(model.input.range)],
    transform: (x, step) => views(x, step, p.steps),
    keep: 'last',
    onStep: args.onStep,
    signal: args.signal,
  });
  const units = outcomes(args.units, run, scoreImages(model, own, run.images));
  return disposable({
    images: run.images,
    units,
    objective: `${own.description} over ${p.copies} augmented copies + TV`,
    params: { ...p },
    seconds: run.seconds,
  });
}

export const ghiasi = drained(ghiasiSteps);

export const ghiasiMethod = defineFeatureVis({
  name: 'ghiasi',
  title: 'ViT features',
  tagline: 'augmentation ensemble, TV',
  paper: 'Ghiasi et al. 2022',
  defaults:
    '400 Adam steps at lr 0.1 (normalized units), 8 copies: roll (falling to ¼ patch), colour shift/scale, annealed noise; TV 0.0005',
  idea: "Pixels are optimized with Adam while every step sees the image as several augmented copies (a random roll that shrinks over the run, a colour shift and scale, Gaussian noise that anneals away), with a small total-variation penalty. The augmentation ensemble is what makes vision transformers' features come out as readable pictures; its headline unit is a channel of a block's MLP, averaged over the patch tokens.",
  example: { steps: 128, copies: 2 },
  options: {
    copies: {
      type: 'int',
      min: 1,
      help: 'augmented copies of each image per step (library default 8)',
    },
    tv: {
      type: 'number',
      help: 'total-variation weight in normalized units (library default 0.0005)',
    },
  },
  args: (req, o): GhiasiArgs => ({ ...req, copies: o.copies, tv: o.tv }),
  params: ghiasiParams,
  batch: (model, req, o) => ({
    copies: ghiasiParams(model, { copies: o.copies }).copies,
    what: 'augmented copies',
    lower: '--copies',
    chunkable: true,
    rows: 1,
  }),
  steps: ghiasiSteps,
  interactive: { neuron: false },
  quick: { copies: 2, steps: 6 },
  atlas: {
    settings: { steps: 160 },
    conv: -1,
    auto: {
      when: (model) => model.transformer?.tokens != null,
      help: 'on vision transformers (their headline)',
    },
  },
});
