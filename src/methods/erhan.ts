/**
 * Activation maximization, Erhan, Bengio, Courville & Vincent 2009 ("Visualizing Higher-Layer
 * Features of a Deep Network", Erhan et al. 2009, §3 and §6.1): find x* = argmax a_ij(x) subject to
 * ‖x‖ = ρ by gradient ascent from random-uniform starts, re-projecting x onto the norm sphere after
 * every step; several restarts per unit, keeping the best (restarts.ts).
 *
 * All units × restarts run as one batch (item r·U + u serves unit u).
 */
import * as tf from '@tensorflow/tfjs';
import { meanNorm } from '../analysis/dataset_max.js';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned, type StepRule } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { normProjection, projectedUniform } from '../projections/projections.js';
import { defineFeatureVis } from './method.js';
import { disposable, drained, unitObjectiveOf, type UnitRequest } from './recipe.js';
import { bestRestarts, restartsFigure, type RestartOutcome } from './restarts.js';

/** The unit request (layer, units, neuron, steps — default 300, seed, onStep, signal) plus Erhan's own knobs. */
export interface ErhanArgs extends UnitRequest {
  /** Random starts per unit; default 9, as in §6.1 ("9 different random initializations were tried"). */
  readonly restarts?: number;
  /** Also return every restart's image (`restartImages`), to show that they converge to one pattern. */
  readonly keepRestarts?: boolean;
  /** Step size as a fraction of the input range, per step (normalized rule); default 0.03. */
  readonly lr?: number;
  readonly rule?: StepRule;
  /** Norm ρ of the images; default 0.35·(hi−lo)·√D, near MNIST's mean digit norm. Pass the data's mean norm when known. */
  readonly rho?: number;
  /** Stop a unit when its activation rose less than tol (relative) over `window` steps; default 30 steps, 1e-3. */
  readonly convergence?: { readonly window: number; readonly tol: number };
}

export type ErhanUnit = { unit: number } & RestartOutcome;

export interface ErhanResult {
  /** Best image per unit [U, H, W, C]; the caller disposes it. */
  images: tf.Tensor4D;
  /** With keepRestarts: every restart, unit-major [U·R, H, W, C]; the caller disposes it. */
  restartImages?: tf.Tensor4D;
  units: ErhanUnit[];
  objective: string;
  rho: number;
  params: ReturnType<typeof erhanParams>;
  seconds: number;
  /** Frees the images and the restart images. */
  dispose(): void;
}

/** Every parameter of a run, defaults resolved: what the run uses and what its JSON reports. */
export function erhanParams(model: VisModel, args: ErhanArgs) {
  checkLr(args.lr);
  const [lo, hi] = model.input.range;
  const [h, w, c] = model.input.shape;
  const rho = args.rho ?? 0.35 * (hi - lo) * Math.sqrt(h * w * c);
  const convergence = args.convergence ?? { window: 30, tol: 1e-3 };
  return {
    method: 'erhan',
    restarts: args.restarts ?? 9,
    steps: args.steps ?? 300,
    lr: args.lr ?? 0.03,
    rule: args.rule ?? 'normalized',
    rho,
    convergence,
    seed: args.seed ?? 0,
  };
}

export function* erhanSteps(model: VisModel, args: ErhanArgs): Steps<ErhanResult> {
  const p = erhanParams(model, args);
  const [lo, hi] = model.input.range;
  const u = args.units.length;
  const objective = unitObjectiveOf(
    model,
    args,
    Array.from({ length: u * p.restarts }, (_, i) => args.units[i % u]),
  );
  const project = normProjection(p.rho);
  const rng = new Rng(p.seed);
  const param = pixels(() =>
    projectedUniform([u * p.restarts, ...model.input.shape], [lo, hi], project, rng.seed()),
  );
  const run = yield* optimizeOwned(model, param, objective, {
    steps: p.steps,
    lr: p.lr * (hi - lo),
    rule: p.rule,
    projections: [project],
    convergence: p.convergence,
    onStep: args.onStep,
    signal: args.signal,
  });
  const best = bestRestarts(run, u, p.restarts, args.keepRestarts);
  const units = args.units.map((unit, k) => ({ unit, ...best.units[k] }));
  return disposable({
    images: best.images,
    restartImages: best.all,
    units,
    objective: objective.description,
    rho: p.rho,
    params: p,
    seconds: run.seconds,
  });
}

export const erhan = drained(erhanSteps);

export const erhanMethod = defineFeatureVis({
  name: 'erhan',
  title: 'Erhan',
  tagline: 'gradient ascent',
  paper: 'Erhan et al. 2009',
  defaults:
    "300 steps, lr 0.03 of the range, 9 restarts, ρ = the data's mean norm (else 0.35·range·√D)",
  idea: 'Gradient ascent on the pixels finds the input that drives a unit hardest, from random starts, with the image re-projected onto a sphere of fixed norm after every step so that it cannot grow without bound. Several restarts per unit show whether the unit has one preferred pattern (they converge to it) or several.',
  example: { steps: 64, restarts: 2 },
  options: {
    restarts: {
      type: 'int',
      min: 1,
      help: 'random starts per unit (best kept; library default 9, §6.1)',
    },
    'show-restarts': {
      type: 'bool',
      help: "also write LAYER-erhan-restarts.png, every unit's restarts in a row with their mean pairwise correlation (figs. 1–2, right)",
    },
    rho: {
      type: 'number',
      help: 'norm of the images (default: mean norm of --data, else 0.35·range·√D)',
    },
  },
  args: (req, o, ctx): ErhanArgs => ({
    ...req,
    restarts: o.restarts,
    keepRestarts: o['show-restarts'],
    rho: o.rho ?? (ctx.data ? meanNorm(ctx.data) : undefined),
  }),
  params: erhanParams,
  batch: (model, req, o) => ({
    copies: erhanParams(model, { ...req, restarts: o.restarts }).restarts,
    what: 'restarts',
    lower: '--restarts',
    chunkable: true,
    rows: 1,
  }),
  steps: erhanSteps,
  extras: (r: ErhanResult, a, { model }) => restartsFigure(r, a.layer, model.input.shape),
  interactive: { options: { restarts: 1 } },
  quick: { restarts: 2 },
  atlas: { settings: { steps: 150, restarts: 2 }, conv: 1, dense: 0 },
});
