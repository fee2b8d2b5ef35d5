/**
 * The recipe kit the methods share: the unit request and result shapes, the objective of a request
 * (a unit, channel or spatial neuron of a layer, one per batch item), scoring without gradient,
 * per-item outcomes, results with one dispose(), and `drained` (the synchronous twin of a `*Steps`
 * generator). A method is a recipe: resolve its parameters once (`*Params`, the object both used
 * and reported in the JSON), build a param that owns its init, run `optimizeOwned`, read the
 * result. method.ts makes a recipe a value of the registry.
 */
import * as tf from '@tensorflow/tfjs';
import { tidyData } from '../engine/read.js';
import type { VisModel } from '../model/types.js';
import { DeepvisError } from '../errors.js';
import { diversity } from '../objectives/diversity.js';
import { direction } from '../objectives/layer.js';
import type { Objective } from '../objectives/objective.js';
import { checkUnits, units as unitObjective, type UnitSelector } from '../objectives/units.js';
import { drain, type Steps } from '../optimize/drive.js';
import type { OptimizeResult, StepInfo } from '../optimize/loop.js';

/** What every optimizing method takes: seed, progress (one shape: StepInfo) and a cancel signal. */
export interface RunControl {
  readonly steps?: number;
  readonly seed?: number;
  readonly onStep?: (info: StepInfo) => void;
  /** Checked between steps; when it says aborted, the run stops with what it has. */
  readonly signal?: { readonly aborted: boolean };
}

export interface UnitRequest extends RunControl {
  readonly layer: string;
  readonly units: readonly number[];
  readonly neuron?: UnitSelector['neuron'];
  /** Directions in the layer's channel space instead of units: `units` index them (Olah et al. 2017); `cosine` reads the cosine similarity to each. */
  readonly directions?: {
    readonly vectors: readonly (readonly number[])[];
    readonly cosine: boolean;
  };
}

export interface UnitOutcome {
  unit: number;
  /** Best objective value reached (the unit's activation for unit objectives). */
  activation: number;
  steps: number;
}

export interface MethodResult {
  /** One image per unit [U, H, W, C]; the caller disposes it. */
  images: tf.Tensor4D;
  units: UnitOutcome[];
  objective: string;
  /** Every parameter the run used, defaults included, for the JSON. */
  params: Record<string, unknown>;
  seconds: number;
  /** Frees the images and every other tensor the result holds (one call for all of them). */
  dispose(): void;
}

/** Adds dispose() to a result: it frees every tensor the result holds (images and extras). */
export function disposable<R extends object>(r: R): R & { dispose(): void } {
  const out = r as R & { dispose(): void };
  out.dispose = () =>
    tf.dispose(
      Object.values(out as Record<string, unknown>).filter(
        (v): v is tf.Tensor => v instanceof tf.Tensor,
      ),
    );
  return out;
}

export function unitObjectiveOf(model: VisModel, req: UnitRequest, perItem = req.units): Objective {
  const layer = model.layer(req.layer);
  if (req.directions) {
    const { vectors, cosine } = req.directions;
    const bad = perItem.find((i) => !(Number.isInteger(i) && i >= 0 && i < vectors.length));
    if (bad != null)
      throw new DeepvisError(`direction ${bad} out of range: ${vectors.length} given`);
    return direction(
      layer,
      perItem.map((i) => vectors[i]),
      { cosine },
    );
  }
  checkUnits(layer, req.units, { neuron: req.neuron });
  return unitObjective(layer, perItem, { neuron: req.neuron });
}

/** Objective value of each image [N] under `objective` (no gradient). */
export function scoreImages(model: VisModel, objective: Objective, x: tf.Tensor4D): Float32Array {
  return tidyData(() => objective.evaluate(model, x));
}

/** Scores of n random-uniform images of the input range (seeded): a unit's typical magnitude. */
export function scoreRandom(
  model: VisModel,
  objective: Objective,
  n: number,
  seed: number,
): Float32Array {
  const [lo, hi] = model.input.range;
  const probe = tf.randomUniform([n, ...model.input.shape], lo, hi, 'float32', seed) as tf.Tensor4D;
  try {
    return scoreImages(model, objective, probe);
  } finally {
    probe.dispose();
  }
}

/**
 * `own` plus a diversity term across the images of each unit (Olah et al. 2017), weighted by
 * `weight` times the units' typical score on random images (diversity is a cosine, ≤ 1; unit
 * scores are in the model's own units). One image per unit: `own` alone, scale 0.
 */
export function withDiversity(
  model: VisModel,
  layer: string,
  own: Objective,
  perItem: readonly number[],
  o: { readonly perUnit: number; readonly weight: number; readonly seed: number },
): { objective: Objective; scale: number } {
  if (o.perUnit <= 1) return { objective: own, scale: 0 };
  const probe = scoreRandom(model, own, perItem.length, o.seed);
  const scale = Math.max(1e-3, probe.reduce((a, v) => a + Math.abs(v), 0) / probe.length);
  const spread = diversity(model.layer(layer), perItem).times(o.weight * scale);
  return { objective: own.plus(spread), scale };
}

/** Per-item outcomes of a run: item i served `perItem[i]`; `activations` default the run's scores. */
export function outcomes(
  perItem: readonly number[],
  run: OptimizeResult,
  activations: ArrayLike<number> = run.scores,
): UnitOutcome[] {
  return perItem.map((unit, i) => ({ unit, activation: activations[i], steps: run.steps[i] }));
}

/** The synchronous form of a method's generator: `export const erhan = drained(erhanSteps)`. */
export function drained<A extends unknown[], R>(
  steps: (...args: A) => Steps<R>,
): (...args: A) => R {
  return (...args) => drain(steps(...args));
}
