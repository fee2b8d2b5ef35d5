/**
 * MaCo (Fel et al. 2023, "Unlocking Feature Visualization for Deeper Networks with MAgnitude
 * Constrained Optimization"; Xplique's features_visualizations/maco.py, serre-lab's Horama): only
 * the phase of the image's spectrum is optimized, its magnitude fixed to natural images'
 * (param/phase.ts); each step scores many random crops of a canvas larger than the model's input,
 * shrinking over the run (transforms/crops.ts), with noise; Nadam at lr 1.0 on the phase; 256 steps.
 * The transparency map is the accumulated |∂loss/∂canvas| over the steps: where the picture
 * mattered to the unit. Many units run at once along the batch. The per-input-size defaults and
 * their measurements are in maco_params.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { rulesForFirst } from '../optimize/rule_warmup.js';
import { bounded } from '../param/bounded.js';
import { phaseOnly } from '../param/phase.js';
import { datasetSpectrum } from '../param/data_spectrum.js';
import { toModelSize } from '../transforms/crops.js';
import { colourOf, cropViews, shrinkingCrops } from './crop_recipe.js';
import { autoWarmup, macoMagnitude, macoParams, type MacoArgs } from './maco_params.js';
import { gradientTap, transparencyFigures } from './maco_transparency.js';
import { defineFeatureVis } from './method.js';
import {
  disposable,
  drained,
  outcomes,
  scoreImages,
  unitObjectiveOf,
  type MethodResult,
} from './recipe.js';

export { macoParams, type MacoArgs } from './maco_params.js';

export interface MacoResult extends MethodResult {
  /** The canvases [U, cH, cW, C] (the `images` are these at the model's size); caller disposes. */
  canvas: tf.Tensor4D;
  /** Σ over steps of |∂loss/∂canvas| [U, cH, cW, C]; caller disposes. */
  transparency: tf.Tensor4D;
}

export function* macoSteps(model: VisModel, args: MacoArgs): Steps<MacoResult> {
  const p = macoParams(model, args);
  const [h, w, c] = model.input.shape;
  const magnitude = macoMagnitude(model, args, p.canvas);
  const [lo, hi] = model.input.range;
  const own = unitObjectiveOf(model, args);
  const views = cropViews(model, args, p.crops);
  // One stream: the phase's draw first, then each step's boxes and noise.
  const rng = new Rng(p.seed);
  const param = bounded(
    phaseOnly(args.units.length, [p.canvas[0], p.canvas[1], c], {
      magnitude,
      rng,
      levels: p.levels,
    }),
    colourOf(model),
  );
  const crops = shrinkingCrops(model, p, rng, (p.noise * (hi - lo)) / 2);
  const tap = gradientTap();
  try {
    const loop = optimizeOwned(model, param, views, {
      steps: p.steps,
      lr: p.lr,
      rule: 'nadam',
      transform: (x, s) => crops(tap.through(x), s),
      keep: 'last',
      onStep: args.onStep,
      signal: args.signal,
    });
    const run = yield* rulesForFirst(loop, { relu: 'leaky' }, p.warmup);
    const images = toModelSize(run.images, [h, w]);
    const units = outcomes(args.units, run, scoreImages(model, own, images));
    const transparency = tap.take() ?? tf.zeros(run.images.shape);
    return disposable({
      images,
      canvas: run.images,
      transparency,
      units,
      objective: own.description,
      params: p,
      seconds: run.seconds,
    });
  } finally {
    tap.dispose();
  }
}

export const maco = drained(macoSteps);

export const macoMethod = defineFeatureVis({
  name: 'maco',
  title: 'MaCo',
  tagline: 'phase only',
  paper: 'Fel et al. 2023',
  defaults:
    '256 steps, Nadam at lr 1 on the phase, 32 crops (fewer for many units), a canvas twice the input above 32 px; the magnitude of the --data set, else of photographs (colour) or 1/f with free brightness and contrast (grey)',
  // Measured with scratch runs of lucid() and maco() (library defaults, 1/f magnitude, levels on), niced, on
  // the 3-epoch MNIST CNN (deepvis train --arch cnn --data mnist), conv3:pre units 0–7 in one batch:
  // Lucid 33.2 s, activations 0.51 0.25 0.14 0.32 0.10 0.06 0.20 1.27; MaCo 209.3 s,
  // 0.36 0.18 0.09 0.24 0.01 −0.02 0.05 0.53.
  cost: "about 6× Lucid's time for lower activations: on the MNIST CNN's conv3 (8 units, 28×28 grey, wasm, 2 shared cores) its 256 steps of 32 crops took 26.2 s per unit and reached a mean activation of 0.18 (7 of 8 units positive); Lucid's 256 steps took 4.2 s per unit and reached 0.36 (8 of 8). Use it where natural image statistics matter more than speed, or lower --crops",
  idea: "Only the phase of the image's Fourier spectrum is optimized; its magnitude stays fixed at that of natural images (the model's data when given; a 1/f spectrum on a grey model without data, whose images also get a free brightness and contrast), so the picture keeps natural image statistics however far the optimization goes. A transparency map, the gradient accumulated on the canvas, shows which parts of the picture mattered.",
  example: { steps: 48, crops: 4 },
  options: {
    crops: {
      type: 'int',
      min: 1,
      help: 'random crops per image per step (default 32, fewer for many units)',
    },
    warmup: {
      type: 'int',
      help: 'steps with a leaky-ReLU gradient at the start (Xplique warm-up); default 16 when a unit has no gradient at the neutral image and the leaky one has, else 0',
    },
  },
  args: (req, o, { model, data }): MacoArgs => ({
    ...req,
    magnitude: data ? datasetSpectrum(model, data) : undefined,
    crops: o.crops,
    warmup: o.warmup ?? autoWarmup(model, req),
  }),
  params: macoParams,
  batch: (model, req, o) => ({
    copies: macoParams(model, { units: req.units, crops: o.crops }).crops + 4,
    what: 'crops and a canvas',
    lower: '--crops',
    chunkable: false,
    rows: 1,
  }),
  steps: macoSteps,
  extras: (r: MacoResult, _, { model, stem }) => ({ figures: transparencyFigures(r, model, stem) }),
  interactive: {},
  quick: { crops: 4, warmup: 3 },
  atlas: {
    settings: { steps: 48, crops: 4 },
    conv: 2,
    challenger: true,
    auto: {
      when: (m) => m.input.shape[2] === 3,
      help: 'MaCo beside Lucid on conv layers, the tile showing whichever the network finds more natural (auto: colour models)',
    },
  },
});
