/**
 * What the unit-maximizing methods share: the result shape, the image's neutral value, and the
 * objective of a request (a unit, channel or spatial neuron of a layer, one per batch item).
 */
import { tidyData } from '../engine/read.js';
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../model/types.js';
import type { Objective } from '../objectives/objective.js';
import { checkUnits, units as unitObjective, type UnitSelector } from '../objectives/units.js';
import type { StepInfo } from '../optimize/loop.js';

export interface UnitRequest {
  readonly layer: string;
  readonly units: readonly number[];
  readonly neuron?: UnitSelector['neuron'];
  readonly steps?: number;
  readonly seed?: number;
  readonly onStep?: (info: StepInfo) => void;
  readonly signal?: { readonly aborted: boolean };
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
}

/**
 * The value an image returns to when a regularizer "zeroes" it: the dark background of
 * one-channel data sets such as MNIST, mid-grey for colour images.
 */
export function neutral(model: VisModel): number {
  const [lo, hi] = model.input.range;
  return model.input.shape[2] === 1 ? lo : (lo + hi) / 2;
}

export function unitObjectiveOf(model: VisModel, req: UnitRequest, perItem = req.units): Objective {
  const layer = model.layer(req.layer);
  checkUnits(layer, req.units, { neuron: req.neuron });
  return unitObjective(layer, perItem, { neuron: req.neuron });
}

/** Objective value of each image [N] under `objective` (no gradient). */
export function scoreImages(model: VisModel, objective: Objective, x: tf.Tensor4D): Float32Array {
  return tidyData(() => {
    const acts = objective.layers.length ? model.activations(x, objective.layers) : [];
    return objective.score(new Map(objective.layers.map((l, i) => [l, acts[i]])), x);
  });
}
