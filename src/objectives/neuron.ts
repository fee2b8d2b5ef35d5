/**
 * One vocabulary for "which spatial neuron of a conv channel", on the command line and in the
 * library: `center` (the middle of the map, Erhan's unit whose picture is cropped to its receptive
 * field), `max` (each image's strongest position: needs an image) or `x,y`.
 */
import { DeepvisError } from '../errors.js';
import type { LayerInfo } from '../model/types.js';

export type NeuronSpec = readonly [number, number] | 'center' | 'max';

/** 'center' | 'max' | 'x,y' → NeuronSpec; anything else is one clear line. */
export function parseNeuron(text: string): NeuronSpec {
  if (text === 'center' || text === 'max') return text;
  const m = /^(\d+),(\d+)$/.exec(text.trim());
  if (!m) throw new DeepvisError(`--neuron must be center, max or x,y; got '${text}'`);
  return [Number(m[1]), Number(m[2])];
}

/** The middle neuron [x, y] of a conv layer's map. */
export function centreNeuron(layer: LayerInfo): [number, number] {
  if (layer.outputShape.length !== 3)
    throw new DeepvisError(`a neuron needs a convolutional layer; '${layer.name}' is flat`);
  return [Math.floor(layer.outputShape[1] / 2), Math.floor(layer.outputShape[0] / 2)];
}

/** The strongest position [x, y] of channel `unit` in an activation map [h, w, c] (image `item` of a batch of them). */
export function strongestNeuron(
  values: ArrayLike<number>,
  shape: readonly [number, number, number],
  unit: number,
  item = 0,
): [number, number] {
  const [h, w, c] = shape;
  const o = item * h * w * c;
  let best = 0;
  for (let p = 1; p < h * w; p++)
    if (values[o + p * c + unit] > values[o + best * c + unit]) best = p;
  return [best % w, Math.floor(best / w)];
}
