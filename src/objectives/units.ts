/**
 * Unit objectives: a dense unit, a conv channel (mean over space) or one spatial neuron of a
 * channel. One request optimizes many units at once along the batch: item i of the batch serves
 * `units[i]` — so "unit i of a request is image i of the batch". The selection is a one-hot mask
 * product rather than a gather (tf.gather with batchDims is wrong on wasm 4.22).
 */
import * as tf from '@tensorflow/tfjs';
import { oneHot } from '../engine/one_hot.js';
import { DeepvisError } from '../errors.js';
import type { LayerInfo } from '../model/types.js';
import { Objective } from './objective.js';

export interface UnitSelector {
  /** Spatial neuron [x, y] of a conv channel; default: the channel's spatial mean. */
  readonly neuron?: readonly [number, number];
}

/** Every unit's score per image: [N, units]. Conv channels are averaged over space (or read at one neuron). */
export function unitScores(act: tf.Tensor, layer: LayerInfo, sel: UnitSelector = {}): tf.Tensor2D {
  return tf.tidy(() => {
    if (act.rank === 2) return act as tf.Tensor2D;
    if (act.rank !== 4) return act.reshape([act.shape[0], -1]) as tf.Tensor2D;
    if (sel.neuron) {
      const [x, y] = sel.neuron;
      return (act as tf.Tensor4D)
        .slice([0, y, x, 0], [-1, 1, 1, -1])
        .reshape([act.shape[0], act.shape[3]!]) as tf.Tensor2D;
    }
    return (act as tf.Tensor4D).mean([1, 2]) as tf.Tensor2D;
  });
}

/** The one unit-range check: every unit a whole number in 0 … count − 1 of the named layer. */
export function checkUnitRange(units: readonly number[], count: number, layerName: string): void {
  for (const u of units) {
    if (!Number.isInteger(u) || u < 0 || u >= count)
      throw new DeepvisError(
        `unit ${u} out of range for layer '${layerName}', which has ${count} units (0–${count - 1})`,
      );
  }
}

/**
 * Unit lists as people type them: '0-7', '1,5,9', 'all', checked against the layer; at most `max`
 * units (the page optimizes them as one batch).
 */
export function parseUnits(text: string, layer: LayerInfo, max = Infinity): number[] {
  const out: number[] = [];
  if (text.trim() === 'all') out.push(...Array.from({ length: layer.units }, (_, i) => i));
  for (const part of text.trim() === 'all'
    ? []
    : text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new DeepvisError(`units: '${part}' is not a number or a range like 0-7`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    checkUnitRange([a, b], layer.units, layer.name);
    for (let u = a; u <= b; u++) out.push(u);
  }
  if (out.length === 0 || out.length > max)
    throw new DeepvisError(
      Number.isFinite(max) ? `units: give 1 to ${max} units` : 'units: give at least one unit',
    );
  return out;
}

export function checkUnits(
  layer: LayerInfo,
  units: readonly number[],
  sel: UnitSelector = {},
): void {
  checkUnitRange(units, layer.units, layer.name);
  if (sel.neuron) {
    if (layer.outputShape.length !== 3)
      throw new DeepvisError(`--neuron needs a convolutional layer; '${layer.name}' is flat`);
    const [h, w] = layer.outputShape;
    const [x, y] = sel.neuron;
    if (!(x >= 0 && x < w && y >= 0 && y < h)) {
      throw new DeepvisError(`neuron ${x},${y} is outside layer '${layer.name}' (${w}×${h})`);
    }
  }
}

/**
 * Batch item i maximizes unit `perItem[i]` of `layer`.
 */
export function units(
  layer: LayerInfo,
  perItem: readonly number[],
  sel: UnitSelector = {},
): Objective {
  checkUnits(layer, perItem, sel);
  const what =
    layer.outputShape.length === 3
      ? sel.neuron
        ? `neuron ${sel.neuron.join(',')} of channel`
        : 'channel'
      : 'unit';
  const shown = perItem.length > 6 ? `${perItem.slice(0, 6).join(',')},…` : perItem.join(',');
  return new Objective(
    [layer.name],
    (acts) => {
      const scores = unitScores(acts.get(layer.name)!, layer, sel);
      if (scores.shape[0] !== perItem.length) {
        throw new DeepvisError(
          `objective serves ${perItem.length} images but the batch has ${scores.shape[0]}`,
        );
      }
      // Rebuilt per call (N×C, tiny) so that an objective owns no tensor and cannot leak one.
      const mask = oneHot(perItem, layer.units);
      return scores.mul(mask).sum(1) as tf.Tensor1D;
    },
    `${layer.name} ${what} ${shown}`,
  );
}
