/**
 * What an attribution explains: a scalar per image read off one layer. By default one unit per
 * image (a class score of the logits layer, the predicted class unless told); conv channels are
 * read at one spatial neuron when given, else as their spatial mean — the same reading as the
 * optimization methods (objectives/units.ts), so a map and a synthesized image answer the same
 * question. Other readings (`TargetReading`): the unit's softmax probability, the sum of the
 * layer's outputs, the unit's mean over a region of a spatial layer (segmentation, detection), and
 * the cosine similarity of the layer's output to a reference embedding (Xplique's similarity
 * operator; an embedding model's "why are these alike").
 */
import * as tf from '@tensorflow/tfjs';
import { oneHot } from '../engine/one_hot.js';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, LayerOffset, VisModel } from '../model/types.js';
import { centreNeuron, strongestNeuron, type NeuronSpec } from './neuron.js';
import { checkUnits, unitScores } from './units.js';

/** How a target reads its layer, one scalar per image. */
export type TargetReading =
  /** The unit's activation (a class logit), at the neuron or as its channel's mean. */
  | { readonly kind: 'unit' }
  /** The unit's softmax probability over a flat layer of class scores. */
  | { readonly kind: 'probability' }
  /** The sum of the layer's outputs, or of the chosen units' (over every position of a spatial layer). */
  | { readonly kind: 'sum'; readonly units?: readonly number[] }
  /** The unit's mean over rows y0…y1−1 and columns x0…x1−1 of a spatial layer. */
  | {
      readonly kind: 'region';
      readonly box: readonly [y0: number, x0: number, y1: number, x1: number];
    }
  /** The cosine similarity of the layer's output (flattened) to a reference of the same size. */
  | { readonly kind: 'cosine'; readonly reference: ArrayLike<number> };
export type ReadingKind = TargetReading['kind'];
export const READING_KINDS: readonly ReadingKind[] = [
  'unit',
  'probability',
  'sum',
  'region',
  'cosine',
];

export interface TargetSpec {
  /** Default: the model's logits layer, else its last layer. */
  readonly layer?: string;
  /** One unit per image, or one for all; default: each image's top-scoring unit. */
  readonly units?: readonly number[];
  /** Spatial neuron [x, y] of a conv channel; 'center': the middle of the map; 'max': each image's strongest position of the channel. */
  readonly neuron?: NeuronSpec;
  /** How the layer is read; default the unit. */
  readonly reading?: TargetReading;
}

export interface ResolvedTarget {
  readonly layer: LayerInfo;
  readonly units: number[];
  /** Per image [x, y], when the target is a spatial neuron. */
  readonly neurons?: Array<[number, number]>;
  /** Default the unit. */
  readonly reading?: TargetReading;
}

/** Refuses a reading the layer cannot give, in one line, before any work. */
function checkReading(layer: LayerInfo, r: TargetReading | undefined): void {
  const shape = layer.outputShape;
  if (r?.kind === 'probability' && shape.length !== 1)
    throw new DeepvisError(
      `a probability target reads a flat layer of class scores; '${layer.name}' is ${shape.join('×')}`,
    );
  if (r?.kind === 'region') {
    const [y0, x0, y1, x1] = r.box;
    if (shape.length !== 3)
      throw new DeepvisError(`a region target needs a spatial layer; '${layer.name}' is flat`);
    if (!(0 <= y0 && y0 < y1 && y1 <= shape[0] && 0 <= x0 && x0 < x1 && x1 <= shape[1]))
      throw new DeepvisError(
        `region ${r.box.join(',')} does not fit the ${shape[0]}×${shape[1]} map of '${layer.name}'`,
      );
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (r?.kind === 'cosine' && r.reference.length !== size)
    throw new DeepvisError(
      `the reference embedding has ${r.reference.length} values; '${layer.name}' has ${size}`,
    );
  if (r?.kind === 'sum' && r.units) {
    if (r.units.length === 0) throw new DeepvisError('a sum target needs at least one unit');
    checkUnits(layer, r.units);
  }
}

/** The target vocabulary, as `--target` and parseReading take it. */
export const TARGET_VOCABULARY =
  'logit (default), probability, sum, sum:U,U,…, region:Y0,X0,Y1,X1, cosine:REFERENCE';

/**
 * One vocabulary for a target's reading, the CLI's --target and the library's alike: 'logit' (the
 * unit itself, a class logit; also 'unit'), 'probability', 'sum' (every output of the layer) or
 * 'sum:3,5' (the chosen units), 'region:y0,x0,y1,x1' (the unit's mean over rows y0…y1−1 and
 * columns x0…x1−1 of a spatial or segmentation output), 'cosine:REF' (cosine similarity to the
 * embedding `reference(REF)` gives: the CLI reads REF from a .npy or JSON file, or embeds an image). A malformed
 * target is one line; ranges are checked against the layer when the target is resolved.
 */
export function parseReading(
  text: string,
  reference?: (ref: string) => ArrayLike<number>,
): TargetReading {
  const [kind, ...rest] = text.split(':');
  const arg = rest.join(':');
  const ints = (what: string) => {
    const v = arg.split(',').map((s) => s.trim());
    if (!arg || v.some((s) => !/^\d+$/.test(s)))
      throw new DeepvisError(`--target ${kind} takes ${what}; got '${text}'`);
    return v.map(Number);
  };
  switch (kind) {
    case 'logit':
    case 'unit':
      if (!arg) return { kind: 'unit' };
      break;
    case 'probability':
      if (!arg) return { kind: 'probability' };
      break;
    case 'sum':
      return arg ? { kind: 'sum', units: ints('unit indices (sum:3,5)') } : { kind: 'sum' };
    case 'region': {
      const box = ints('a box y0,x0,y1,x1 (region:0,0,8,8)');
      if (box.length !== 4)
        throw new DeepvisError(`--target region takes a box y0,x0,y1,x1; got '${text}'`);
      return { kind: 'region', box: box as unknown as readonly [number, number, number, number] };
    }
    case 'cosine':
      if (!arg)
        throw new DeepvisError(
          `--target cosine takes a reference (cosine:FILE.npy, cosine:FILE.json or cosine:IMAGE); got '${text}'`,
        );
      if (!reference) throw new DeepvisError('a cosine target needs a reference embedding');
      return { kind: 'cosine', reference: reference(arg) };
  }
  throw new DeepvisError(`unknown target '${text}'; known: ${TARGET_VOCABULARY}`);
}

export function targetLayer(model: VisModel, spec: TargetSpec): LayerInfo {
  return model.layer(spec.layer ?? model.logitsLayer ?? model.layers[model.layers.length - 1].name);
}

/** Fixes the units (and neurons) from one forward pass: top unit, strongest position. */
export function resolveTarget(model: VisModel, x: tf.Tensor4D, spec: TargetSpec): ResolvedTarget {
  const layer = targetLayer(model, spec);
  const n = x.shape[0];
  if (spec.units && spec.units.length !== 1 && spec.units.length !== n) {
    throw new DeepvisError(
      `give one unit for all ${n} images or one per image; got ${spec.units.length}`,
    );
  }
  checkReading(layer, spec.reading);
  const reading = spec.reading && spec.reading.kind !== 'unit' ? { reading: spec.reading } : {};
  const neuron = spec.neuron === 'center' ? centreNeuron(layer) : spec.neuron;
  if (neuron && layer.outputShape.length !== 3)
    throw new DeepvisError(`a neuron needs a convolutional layer; '${layer.name}' is flat`);
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
    if (neuron == null) return { layer, units, ...reading };
    if (neuron !== 'max')
      return { layer, units, neurons: units.map(() => [neuron[0], neuron[1]]), ...reading };
    const [, h, w, c] = act.shape as number[];
    const flat = act.dataSync();
    const neurons = units.map((u, i) => strongestNeuron(flat, [h, w, c], u, i));
    return { layer, units, neurons, ...reading };
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
      ? oneHot(
          t.neurons.flatMap(([nx, ny]) => Array(reps).fill(ny * w + nx) as number[]),
          h * w,
        )
      : tf.fill([n, h * w], 1 / (h * w));
    return space.reshape([n, h, w, 1]).mul(unit.reshape([n, 1, 1, c]));
  });
}

/** The target's score per image [N], recorded on the tape (offset: see VisModel.activations). */
export function targetScores(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  offset?: LayerOffset,
): tf.Tensor1D {
  return tf.tidy(() => {
    const [act] = model.activations(x, [t.layer.name], offset);
    return readTarget(act, t);
  });
}

/**
 * The start of a relevance pass (LRP) at the target layer: act ⊙ ∂score/∂act, the score's
 * first-order share per activation — for a class logit or any linear reading, the score split
 * exactly over the activations it reads (so the relevance sums to the score). Caller disposes.
 */
export function targetRelevance(act: tf.Tensor, t: ResolvedTarget): tf.Tensor {
  return tf.tidy(() => act.mul(tf.grad((a: tf.Tensor) => readTarget(a, t).sum())(act)));
}

/** A layer's activations [N, …] read as the target's score per row (rows may hold copies of an image: targetWeights). */
function readTarget(act: tf.Tensor, t: ResolvedTarget): tf.Tensor1D {
  const n = act.shape[0];
  const r = t.reading ?? { kind: 'unit' };
  const rows = () => t.units.flatMap((u) => Array(n / t.units.length).fill(u) as number[]);
  switch (r.kind) {
    case 'sum': {
      if (!r.units) return act.reshape([n, -1]).sum(1);
      const chosen = tf.tensor1d(r.units as number[], 'int32');
      return act
        .gather(chosen, act.rank - 1)
        .reshape([n, -1])
        .sum(1);
    }
    case 'probability':
      return tf
        .softmax(act as tf.Tensor2D)
        .mul(oneHot(rows(), t.layer.units))
        .sum(1);
    case 'region': {
      const [y0, x0, y1, x1] = r.box;
      const c = act.shape[3]!;
      const box = act.slice([0, y0, x0, 0], [n, y1 - y0, x1 - x0, c]);
      return box
        .mul(oneHot(rows(), c).reshape([n, 1, 1, c]))
        .sum([1, 2, 3])
        .div((y1 - y0) * (x1 - x0));
    }
    case 'cosine': {
      const a = act.reshape([n, -1]);
      const ref = tf.tensor1d(Array.from(r.reference));
      return a
        .matMul(ref.reshape([-1, 1]))
        .reshape([n])
        .div(a.norm('euclidean', 1).mul(ref.norm()).add(1e-12));
    }
    case 'unit': {
      const flat = act.rank === 4 || act.rank === 2 ? act : act.reshape([n, -1]);
      const weighted = flat.mul(targetWeights(t, flat.shape));
      return (flat.rank === 4 ? weighted.sum([1, 2, 3]) : weighted.sum(1)) as tf.Tensor1D;
    }
  }
}
