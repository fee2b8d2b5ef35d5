/**
 * Activation maximization, Erhan, Bengio, Courville & Vincent 2009 ("Visualizing Higher-Layer
 * Features of a Deep Network", seed 002, §3 and §6.1): find x* = argmax a_ij(x) subject to
 * ‖x‖ = ρ by gradient ascent from random-uniform starts, re-projecting x onto the norm sphere after
 * every step; several restarts per unit, keeping the best (restarts.ts).
 *
 * All units × restarts run as one batch (item r·U + u serves unit u).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned, type StepRule } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { normProjection } from '../projections/projections.js';
import { drained, unitObjectiveOf, type UnitRequest } from './recipe.js';
import { bestRestarts, type RestartOutcome } from './restarts.js';

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
}

/** Every parameter of a run, defaults resolved: what the run uses and what its JSON reports. */
export function erhanParams(model: VisModel, args: ErhanArgs) {
  checkLr(args.lr);
  const [lo, hi] = model.input.range;
  const [h, w, c] = model.input.shape;
  const rho = args.rho ?? 0.35 * (hi - lo) * Math.sqrt(h * w * c);
  const convergence = args.convergence ?? { window: 30, tol: 1e-3 };
  return { method: 'erhan', restarts: args.restarts ?? 9, steps: args.steps ?? 300, lr: args.lr ?? 0.03, rule: args.rule ?? 'normalized', rho, convergence, seed: args.seed ?? 0 };
}

export function* erhanSteps(model: VisModel, args: ErhanArgs): Steps<ErhanResult> {
  const p = erhanParams(model, args);
  const [lo, hi] = model.input.range;
  const u = args.units.length;
  const objective = unitObjectiveOf(model, args, Array.from({ length: u * p.restarts }, (_, i) => args.units[i % u]));
  const project = normProjection(p.rho);
  const rng = new Rng(p.seed);
  const param = pixels(() => project(tf.randomUniform([u * p.restarts, ...model.input.shape], lo, hi, 'float32', rng.seed()) as tf.Tensor4D, { step: 0, grad: null }));
  const run = yield* optimizeOwned(model, param, objective, {
    steps: p.steps, lr: p.lr * (hi - lo), rule: p.rule, projections: [project], convergence: p.convergence, onStep: args.onStep, signal: args.signal,
  });
  const best = bestRestarts(run, u, p.restarts, args.keepRestarts);
  const units = args.units.map((unit, k) => ({ unit, ...best.units[k] }));
  return { images: best.images, restartImages: best.all, units, objective: objective.description, rho: p.rho, params: p, seconds: run.seconds };
}

export const erhan = drained(erhanSteps);
