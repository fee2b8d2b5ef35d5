/**
 * What the method commands read from their flags: the layer and units of a request, the data set
 * in the model's range, and an input image (a file, or DATASET:INDEX for an image of a data set).
 */
import * as tf from '@tensorflow/tfjs';
import { batchTensor, toRange, type ImageSet } from '../data/dataset.js';
import { loadEvalSet } from '../data/load.js';
import { DeepvisError } from '../errors.js';
import { decodeImage } from '../io/image.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { checkUnits } from '../objectives/units.js';

export interface UnitFlags {
  /** The layer optimized (the pre-activation twin when --pre applies). */
  layer: LayerInfo;
  /** The layer as named by the user. */
  base: LayerInfo;
  neuron?: [number, number];
  units: number[];
}

export const UNIT_FLAGS = {
  layer: { type: 'string', help: 'layer name or index' },
  units: { type: 'ints', help: "units/channels, e.g. 0-63 or 1,5,9, or 'all'", default: 'all' },
  neuron: { type: 'string', help: "one spatial neuron x,y (or 'center') of a conv channel instead of its mean" },
  pre: {
    type: 'string',
    help: 'optimize the pre-activation of a layer with a fused monotonic activation (auto: yes for relu, elu, sigmoid, tanh, …)',
    choices: ['auto', 'yes', 'no'],
    default: 'auto',
  },
} as const;

export function unitsFrom(flags: Record<string, unknown>, model: VisModel, layerRef: string): UnitFlags {
  const neuronFlag = flags.neuron as string | undefined;
  if (neuronFlag && neuronFlag !== 'center' && !/^\d+,\d+$/.test(neuronFlag)) {
    throw new DeepvisError(`--neuron must be x,y or 'center'; got '${neuronFlag}'`);
  }
  const base = model.layer(layerRef);
  // Same maximizer (the activation is monotonic), but no dead ReLU at the start and no saturated
  // sigmoid at the end, where the gradient vanishes and the image stops improving.
  const pre = flags.pre === 'yes' || (flags.pre === 'auto' && /relu|elu|selu|sigmoid|tanh|softplus|swish/.test(base.activation ?? ''));
  const layer = pre ? model.layer(`${base.name}:pre`) : base;
  let neuron: [number, number] | undefined;
  if (neuronFlag === 'center') {
    if (layer.outputShape.length !== 3) throw new DeepvisError(`--neuron needs a convolutional layer; '${base.name}' is flat`);
    neuron = [Math.floor(layer.outputShape[1] / 2), Math.floor(layer.outputShape[0] / 2)];
  } else if (neuronFlag) neuron = neuronFlag.split(',').map(Number) as [number, number];
  const units = flags.units === 'all' || flags.units == null ? Array.from({ length: layer.units }, (_, i) => i) : (flags.units as number[]);
  checkUnits(layer, units, { neuron });
  return { layer, base, neuron, units };
}

/** The evaluation split of `spec` (or of the model's own data set), in the model's value range. */
export async function evalSetFor(model: VisModel, spec?: string): Promise<ImageSet | null> {
  const name = spec ?? (model.metadata.dataset as string | undefined);
  if (!name) return null;
  return toRange(await loadEvalSet(name, model.input.shape, 0), model.input.range);
}

/**
 * An input image in the model's range and channel count: a file, or DATASET:INDEX. At the model's
 * H×W unless `nativeSize` (DeepDream works on the photo's own size).
 */
export async function imageFrom(spec: string, model: VisModel, nativeSize = false): Promise<tf.Tensor3D> {
  const [h, w, c] = model.input.shape;
  const [lo, hi] = model.input.range;
  const m = /^(mnist|fashion-mnist):(\d+)$/.exec(spec);
  if (m) {
    const set = (await evalSetFor(model, m[1]))!;
    const i = Number(m[2]);
    if (i >= set.count) throw new DeepvisError(`${m[1]} has ${set.count} evaluation images; index ${i} is out of range`);
    return tf.tidy(() => batchTensor(set, i, i + 1).squeeze([0]) as tf.Tensor3D);
  }
  let target: { height: number; width: number; channels: number } = { height: h, width: w, channels: c };
  if (nativeSize) {
    const probe = await decodeImage(spec);
    const scale = Math.min(1, 512 / Math.max(probe.shape[0], probe.shape[1]));
    target = { height: Math.max(h, Math.round(probe.shape[0] * scale)), width: Math.max(w, Math.round(probe.shape[1] * scale)), channels: c };
  }
  const px = await decodeImage(spec, target);
  return tf.tidy(() => tf.tensor3d(px.data, px.shape).mul(hi - lo).add(lo) as tf.Tensor3D);
}
