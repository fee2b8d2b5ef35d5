/**
 * What an attribution explains: one unit of one layer per image (a class score of the logits layer
 * by default, the predicted class unless told), as a scalar per image. Conv channels are read at one
 * spatial neuron when given, else as their spatial mean — the same reading as the optimization
 * methods (objectives/units.ts), so a map and a synthesized image answer the same question.
 */
import * as tf from '@tensorflow/tfjs';
import { oneHot } from '../engine/one_hot.js';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, LayerOffset, VisModel } from '../model/types.js';
import { centreNeuron, strongestNeuron, type NeuronSpec } from './neuron.js';
import { checkUnits, unitScores } from './units.js';

export interface TargetSpec {
  /** Default: the model's logits layer, else its last layer. */
  readonly layer?: string;
  /** One unit per image, or one for all; default: each image's top-scoring unit. */
  readonly units?: readonly number[];
  /** Spatial neuron [x, y] of a conv channel; 'center': the middle of the map; 'max': each image's strongest position of the channel. */
  readonly neuron?: NeuronSpec;
}

export interface ResolvedTarget {
  readonly layer: LayerInfo;
  readonly units: number[];
  /** Per image [x, y], when the target is a spatial neuron. */
  readonly neurons?: Array<[number, number]>;
}

export function targetLayer(model: VisModel, spec: TargetSpec): LayerInfo {
  return model.layer(spec.layer ?? model.logitsLayer ?? model.layers[model.layers.length - 1].name);
}

/** Fixes the units (and neurons) from one forward pass: top unit, strongest position. */
export function resolveTarget(model: VisModel, x: tf.Tensor4D, spec: TargetSpec): ResolvedTarget {
  const layer = targetLayer(model, spec);
  const n = x.shape[0];
  if (spec.units && spec.units.length !== 1 && spec.units.length !== n) {
    throw new DeepvisError(`give one unit for all ${n} images or one per image; got ${spec.units.length}`);
  }
  const neuron = spec.neuron === 'center' ? centreNeuron(layer) : spec.neuron;
  if (neuron && layer.outputShape.length !== 3) throw new DeepvisError(`a neuron needs a convolutional layer; '${layer.name}' is flat`);
  if (neuron && neuron !== 'max') checkUnits(layer, [], { neuron });
  const [act] = model.activations(x, [layer.name]);
  try {
    let units: number[];
    if (spec.units) {
      checkUnits(layer, spec.units);
      units = spec.units.length === 1 ? Array(n).fill(spec.units[0]) : [...spec.units];
    } else {
      units = Array.from(tf.tidy(() => unitScores(act, layer).argMax(1).dataSync()));
    }
    if (neuron == null) return { layer, units };
    if (neuron !== 'max') return { layer, units, neurons: units.map(() => [neuron[0], neuron[1]]) };
    const [, h, w, c] = act.shape as number[];
    const flat = act.dataSync();
    const neurons = units.map((u, i) => strongestNeuron(flat, [h, w, c], u, i));
    return { layer, units, neurons };
  } finally {
    act.dispose();
  }
}

/**
 * Weights w with score = Σ act ⊙ w per image: one-hot on the unit, and over space either one-hot on
 * the neuron or 1/(h·w) (the channel mean). Batches may hold several copies per image (SmoothGrad,
 * integrated gradients): image i's target serves rows i·reps … (i+1)·reps − 1.
 */
export function targetWeights(t: ResolvedTarget, actShape: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const n = actShape[0];
    const reps = n / t.units.length;
    const perRow = t.units.flatMap((u) => Array(reps).fill(u) as number[]);
    const unit = oneHot(perRow, t.layer.units);
    if (actShape.length === 2) return unit;
    const [, h, w, c] = actShape;
    const space = t.neurons
      ? oneHot(t.neurons.flatMap(([nx, ny]) => Array(reps).fill(ny * w + nx) as number[]), h * w)
      : tf.fill([n, h * w], 1 / (h * w));
    return space.reshape([n, h, w, 1]).mul(unit.reshape([n, 1, 1, c]));
  });
}

/** The target's score per image [N], recorded on the tape (offset: see VisModel.activations). */
export function targetScores(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, offset?: LayerOffset): tf.Tensor1D {
  return tf.tidy(() => {
    const [act] = model.activations(x, [t.layer.name], offset);
    const flat = act.rank === 4 || act.rank === 2 ? act : act.reshape([act.shape[0], -1]);
    const weighted = flat.mul(targetWeights(t, flat.shape));
    return (flat.rank === 4 ? weighted.sum([1, 2, 3]) : weighted.sum(1)) as tf.Tensor1D;
  });
}
