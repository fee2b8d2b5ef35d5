/** Input checks that fail with a sentence, not a tfjs stack trace. */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { findLayer } from './layer_lookup.js';
import type { InputSpec, LayerInfo } from './types.js';

export function checkImages(x: tf.Tensor, input: InputSpec): void {
  const [h, w, c] = input.shape;
  if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c) {
    throw new DeepvisError(
      `images of shape [${x.shape.join(', ')}] do not fit the model, which takes [N, ${h}, ${w}, ${c}]`,
    );
  }
}

/**
 * Whether an offset of `delta`'s shape fits a layer output of `out`'s: the same shape, or one
 * image's output ([1, …]) and B offsets ([B, …]), which broadcast — the layers below run once and
 * everything above runs B times (h of a split at the layer, CRAFT's and TCAV's: concepts/split.ts).
 */
export function offsetFits(out: readonly number[], delta: readonly number[]): boolean {
  if (out.length !== delta.length) return false;
  return tf.util.arraysEqual(out.slice(1), delta.slice(1)) && (out[0] === delta[0] || out[0] === 1);
}

/**
 * [N, H, W, C] images → the model's native input: normalized by the input's mean/std when it has
 * them, reshaped for flat inputs (e.g. [N, 784]).
 */
export function toNative(x: tf.Tensor4D, input: InputSpec): tf.Tensor {
  const n = input.normalize;
  const normed = n ? x.sub(tf.tensor1d([...n.mean])).div(tf.tensor1d([...n.std])) : x;
  const native = input.nativeShape;
  if (native.length === 3) return normed;
  return normed.reshape([x.shape[0], ...native]);
}

/**
 * The shared half of every adapter's activations(): check the images, resolve the layer names
 * (checked), run the model's own forward pass on its native input inside one tidy, return a list.
 */
export function tapActivations(
  x: tf.Tensor4D,
  names: readonly string[],
  layers: readonly LayerInfo[],
  input: InputSpec,
  run: (native: tf.Tensor, resolved: string[]) => tf.Tensor | tf.Tensor[],
): tf.Tensor[] {
  checkImages(x, input);
  const resolved = names.map((n) => findLayer(layers, n).name);
  return tf.tidy(() => {
    const out = run(toNative(x, input), resolved);
    return Array.isArray(out) ? out : [out];
  });
}
