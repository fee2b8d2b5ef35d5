/**
 * Activation maximization, Erhan, Bengio, Courville & Vincent 2009 ("Visualizing Higher-Layer
 * Features of a Deep Network", seed 002, §3 and §6.1): find x* = argmax a_ij(x) subject to
 * ‖x‖ = ρ by gradient ascent from random-uniform starts, re-projecting x onto the norm sphere after
 * every step; several restarts per unit, keeping the best. The paper found that restarts of a unit
 * converge to nearly the same image — `restartCorrelation` measures that.
 *
 * All units × restarts run as one batch (item r·U + u serves unit u).
 */
import { drain, type Steps } from '../optimize/drive.js';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import { units as unitObjective, checkUnits } from '../objectives/units.js';
import { optimizeSteps, type StepRule } from '../optimize/loop.js';
import type { UnitRequest } from './common.js';
import { pixels } from '../param/pixels.js';
import { normProjection } from '../projections/projections.js';

/** The unit request (layer, units, neuron, steps — default 300, seed, onStep, signal) plus Erhan's own knobs. */
export interface ErhanArgs extends UnitRequest {
  /** Random starts per unit; default 4. */
  readonly restarts?: number;
  /** Step size as a fraction of the input range, per step (normalized rule); default 0.03. */
  readonly lr?: number;
  readonly rule?: StepRule;
  /** Norm ρ of the images; default 0.35·(hi−lo)·√D, near MNIST's mean digit norm. Pass the data's mean norm when known. */
  readonly rho?: number;
  /** Stop a unit when its activation rose less than tol (relative) over `window` steps; default 30 steps, 1e-3. */
  readonly convergence?: { readonly window: number; readonly tol: number };
}

export interface ErhanUnit {
  unit: number;
  activation: number;
  restartActivations: number[];
  steps: number;
  /** Mean pairwise Pearson correlation between the restarts' images (1 = identical). */
  restartCorrelation: number | null;
}

export interface ErhanResult {
  /** Best image per unit [U, H, W, C]; the caller disposes it. */
  images: tf.Tensor4D;
  units: ErhanUnit[];
  objective: string;
  rho: number;
  seconds: number;
}

function correlation(a: Float32Array, b: Float32Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) [ma, mb] = [ma + a[i], mb + b[i]];
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const [da, db] = [a[i] - ma, b[i] - mb];
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export function* erhanSteps(model: VisModel, args: ErhanArgs): Steps<ErhanResult> {
  const layer = model.layer(args.layer);
  checkUnits(layer, args.units, { neuron: args.neuron });
  const restarts = args.restarts ?? 4;
  const u = args.units.length;
  const [lo, hi] = model.input.range;
  const [h, w, c] = model.input.shape;
  const rho = args.rho ?? 0.35 * (hi - lo) * Math.sqrt(h * w * c);
  const rng = new Rng(args.seed ?? 0);
  const perItem = Array.from({ length: u * restarts }, (_, i) => args.units[i % u]);
  const objective = unitObjective(layer, perItem, { neuron: args.neuron });
  const project = normProjection(rho);
  const init = tf.tidy(() => project(tf.randomUniform([u * restarts, h, w, c], lo, hi, "float32", rng.seed()) as tf.Tensor4D, { step: 0, grad: null }));
  const param = pixels(init);
  init.dispose();
  try {
    const run = yield* optimizeSteps(model, param, objective, {
      steps: args.steps ?? 300,
      lr: (args.lr ?? 0.03) * (hi - lo),
      rule: args.rule ?? 'normalized',
      projections: [project],
      convergence: args.convergence ?? { window: 30, tol: 1e-3 },
      onStep: args.onStep,
      signal: args.signal,
    });
    const all = run.images.dataSync() as Float32Array;
    const size = h * w * c;
    const bestItem: number[] = [];
    const unitsOut: ErhanUnit[] = args.units.map((unit, k) => {
      const items = Array.from({ length: restarts }, (_, r) => r * u + k);
      const acts = items.map((i) => run.scores[i]);
      const best = items[acts.indexOf(Math.max(...acts))];
      bestItem.push(best);
      let corr = 0;
      let pairs = 0;
      for (let a = 0; a < restarts; a++) {
        for (let b = a + 1; b < restarts; b++) {
          corr += correlation(all.subarray(items[a] * size, (items[a] + 1) * size), all.subarray(items[b] * size, (items[b] + 1) * size));
          pairs++;
        }
      }
      return {
        unit,
        activation: run.scores[best],
        restartActivations: acts,
        steps: Math.max(...items.map((i) => run.steps[i])),
        restartCorrelation: pairs > 0 ? corr / pairs : null,
      };
    });
    const images = tf.tidy(() => run.images.gather(tf.tensor1d(bestItem, 'int32')) as tf.Tensor4D);
    run.images.dispose();
    return { images, units: unitsOut, objective: objective.description, rho, seconds: run.seconds };
  } finally {
    param.dispose();
  }
}

export function erhan(model: VisModel, args: ErhanArgs): ErhanResult {
  return drain(erhanSteps(model, args));
}
