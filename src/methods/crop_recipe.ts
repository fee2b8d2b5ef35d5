/**
 * What MaCo and feature accentuation share: each item scored as the mean over k random crops of
 * it, the crops' mean side moving linearly from `boxStart` to `boxEnd` over the run, and the
 * bounded param's colour options for the model.
 */
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import type { Objective } from '../objectives/objective.js';
import type { Rng } from '../engine/rng.js';
import { randomCrops } from '../transforms/crops.js';
import { unitObjectiveOf, type UnitRequest } from './recipe.js';

/** k crops per item, item-major; `weight` × the mean over an item's crops is its score (Xplique: reduce_mean). */
export function cropViews(model: VisModel, req: UnitRequest, k: number, weight = 1): Objective {
  return unitObjectiveOf(
    model,
    req,
    req.units.flatMap((u) => new Array<number>(k).fill(u)),
  ).times(weight / k);
}

export interface CropSchedule {
  readonly crops: number;
  readonly boxStart: number;
  readonly boxEnd: number;
  readonly steps: number;
}

/** Crops at the model's input size, shrinking over `p.steps`, with noise of amplitude `noise` (input units). */
export function shrinkingCrops(model: VisModel, p: CropSchedule, rng: Rng, noise: number) {
  return randomCrops({
    count: p.crops,
    size: [model.input.shape[0], model.input.shape[1]],
    fill: neutral(model),
    rng,
    box: (s) => p.boxStart + ((p.boxEnd - p.boxStart) * s) / Math.max(1, p.steps - 1),
    noise: () => noise,
  });
}

export const channelOrderOf = (model: VisModel): 'rgb' | 'bgr' =>
  model.input.channelOrder === 'bgr' ? 'bgr' : 'rgb';

/** bounded()'s options for the model: its range, decorrelated colour for 3 channels, its channel order. */
export const colourOf = (model: VisModel) => ({
  range: model.input.range,
  decorrelate: model.input.shape[2] === 3,
  channelOrder: channelOrderOf(model),
});
