/**
 * What every metric gets and gives. In: the model, the images [N, H, W, C], the resolved target
 * (one unit per image, fixed before any perturbation), the maps (raw [N, H, W, C] and per-pixel
 * heat [N, H, W], as attribute() returns them) and, for the metrics that re-explain, the explainer.
 * Out: one score per input, the curves behind them, and the parameters actually used (defaults
 * included, for the JSON). Perturbed copies are built on the fly, `maxBatch` rows at a time, so a
 * metric's memory is one chunk whatever its sample count.
 */
import type * as tf from '@tensorflow/tfjs';
import { filledRows, scoreFilled } from '../attribution/chunks.js';
import type { VisModel } from '../model/types.js';
import type { ResolvedTarget } from '../objectives/target.js';

export interface Maps {
  /** [N, H, W, C]. */
  readonly values: Float32Array;
  /** [N, H, W]. */
  readonly heat: Float32Array;
}

/** Re-explains images for a target (max-sensitivity, MPRT): attribute() with the method fixed. */
export type Explainer = (model: VisModel, x: tf.Tensor4D, t: ResolvedTarget) => Maps;

export interface MetricResult {
  readonly metric: string;
  /** One per input. */
  readonly scores: number[];
  /** Per input, the curve the score summarizes (deletion, insertion, ROAD), if any. */
  readonly curves?: number[][];
  /** The curve's x axis (fraction removed/inserted). */
  readonly xs?: number[];
  readonly params: Record<string, unknown>;
  readonly higherIsBetter: boolean;
  readonly seconds: number;
}

export interface MetricContext {
  readonly model: VisModel;
  readonly x: tf.Tensor4D;
  readonly t: ResolvedTarget;
  readonly maps: Maps;
  /** Class labels per input, for the metrics that score accuracy (ROAD). */
  readonly labels?: readonly number[];
  /** Ground-truth masks per input [N·H·W] (1 inside), for the localisation metrics. */
  readonly masks?: Uint8Array;
  readonly maxBatch?: number;
  readonly seed?: number;
}

/**
 * Scores `reps` perturbed copies of every input: fill(i, r, dst) writes copy r of image i into dst
 * ([H, W, C]). Returns [N × reps] scores (outputScores: the class probability for logits targets,
 * else the target's activation; `probability: false` always the target's activation).
 */
export function scorePerturbed(
  ctx: Pick<MetricContext, 'model' | 't' | 'maxBatch'>,
  n: number,
  reps: number,
  fill: (image: number, rep: number, dst: Float32Array) => void,
  probability = true,
): Float32Array {
  return scoreFilled(ctx.model, ctx.t, n, reps, fill, { maxBatch: ctx.maxBatch, probability });
}

/** The predicted class of `reps` perturbed copies of every input (ROAD's accuracy), same chunking. */
export function predictPerturbed(
  ctx: Pick<MetricContext, 'model' | 't' | 'maxBatch'>,
  n: number,
  reps: number,
  fill: (image: number, rep: number, dst: Float32Array) => void,
): Int32Array {
  return Int32Array.from(
    filledRows(
      ctx.model,
      ctx.t,
      n * reps,
      ctx.maxBatch,
      (r, dst) => fill(Math.floor(r / reps), r % reps, dst),
      (x) => ctx.model.activations(x, [ctx.t.layer.name])[0].reshape([x.shape[0], -1]).argMax(1),
    ),
  );
}

export const elapsed = (started: number) => (performance.now() - started) / 1000;
