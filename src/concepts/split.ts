/**
 * A model split at a layer, as CRAFT (Fel et al. 2023) and TCAV (Kim et al. 2018) use it:
 * g = input → layer (the layer's activations) and h = layer → logits. deepvis models compute from
 * their input only, so h comes from VisModel.activations' offset: a forward pass of any input x
 * with the layer's output moved by A' − A(x) gives the logits of the layer set to A' (the same
 * mechanism Grad-CAM uses for ∂logit/∂A). g runs without gradients, on onnxruntime for ONNX files.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';

export interface Split {
  readonly layer: LayerInfo;
  /** The layer h ends at: the model's logits, else its last layer. */
  readonly head: LayerInfo;
  /** Values per image at the layer ([h, w, C] maps or [C] vectors). */
  readonly size: number;
}

export function splitAt(model: VisModel, layerRef: string, method: string): Split {
  const layer = model.layer(layerRef);
  const head = model.layer(model.logitsLayer ?? model.layers[model.layers.length - 1].name);
  if (layer.index >= head.index)
    throw new DeepvisError(
      `${method} splits the model at a layer before its class scores '${head.name}'; '${layer.name}' is not`,
    );
  return { layer, head, size: layer.outputShape.reduce((a, b) => a * b, 1) };
}

/** The last spatial layer before the class scores that is not a pooling, padding or reshape (CRAFT's and DFF's default). */
export function defaultConceptLayer(model: VisModel, method: string): LayerInfo {
  const head = model.layer(model.logitsLayer ?? model.layers[model.layers.length - 1].name);
  const maps = model.layers.filter(
    (l) =>
      l.index < head.index &&
      l.outputShape.length === 3 &&
      l.outputShape[0] > 1 &&
      !/pool|pad|flatten|reshape|dropout/i.test(l.kind),
  );
  const last = maps[maps.length - 1];
  if (!last)
    throw new DeepvisError(
      `${method} needs a convolutional layer before '${head.name}'; give --layer`,
    );
  return last;
}

/** g: the layer's activations of `count` images laid out [N, H, W, C], in batches, no gradient. [N, ...layer shape] on the host. */
export function layerValues(
  model: VisModel,
  layer: string,
  images: Float32Array,
  count: number,
  batch = 64,
): Float32Array {
  const size = model.input.shape.reduce((a, b) => a * b, 1);
  const per = model.layer(layer).outputShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * per);
  for (let from = 0; from < count; from += batch) {
    const n = Math.min(batch, count - from);
    const [a] = tf.tidy(() =>
      model.activations(
        tf.tensor4d(images.subarray(from * size, (from + n) * size), [n, ...model.input.shape]),
        [layer],
      ),
    );
    try {
      out.set(a.dataSync(), from * per);
    } finally {
      a.dispose();
    }
  }
  return out;
}

/** A layer whose output is non-negative to offer instead of `layer`: its post-activation twin, else the next ReLU. */
function nonNegativeNear(model: VisModel, layer: LayerInfo): string | null {
  if (layer.name.endsWith(':pre')) return layer.name.slice(0, -4);
  const next = model.layers.find(
    (l) => l.index > layer.index && (/relu/i.test(l.kind) || /relu/i.test(l.activation ?? '')),
  );
  return next ? next.name : null;
}

/** Refuses, in one line, a layer whose activations go below zero (NMF factorizes non-negative ones). */
export function checkNonNegative(
  model: VisModel,
  values: Float32Array,
  layer: LayerInfo,
  method: string,
): void {
  let min = 0;
  for (let i = 0; i < values.length; i++) if (values[i] < min) min = values[i];
  if (min < -1e-6) {
    const near = nonNegativeNear(model, layer);
    throw new DeepvisError(
      `${method} needs non-negative activations; layer '${layer.name}' goes down to ${min.toPrecision(3)}: use a layer after a ReLU${near ? ` (e.g. --layer ${near})` : ''}`,
    );
  }
}

/** Models found to broadcast one image's layer output to B offsets (VisModel.activations), or not. */
const broadcasts = new WeakMap<VisModel, boolean>();

/**
 * h: the head's outputs [B, classes] with the layer's output set to `replaced` [B, ...layer shape].
 * `anchor` [1, H, W, C] is any input and `anchorAct` [1, ...] its activation at the layer: the
 * offset A' − A(anchor) moves the layer to A'. Where the model broadcasts, the layers below run
 * once for all B; else the anchor runs B times. Caller disposes.
 */
export function headOutputs(
  model: VisModel,
  split: Split,
  anchor: tf.Tensor4D,
  anchorAct: tf.Tensor,
  replaced: tf.Tensor,
): tf.Tensor2D {
  const b = replaced.shape[0];
  const run = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const [out] = model.activations(x, [split.head.name], {
        layer: split.layer.name,
        delta: replaced.sub(anchorAct),
      });
      return out.reshape([b, -1]) as tf.Tensor2D;
    });
  if (b > 1 && broadcasts.get(model) !== false) {
    try {
      const out = run(anchor);
      if (out.shape[0] === b) {
        broadcasts.set(model, true);
        return out;
      }
      out.dispose();
    } catch (e) {
      if (broadcasts.get(model)) throw e;
    }
    broadcasts.set(model, false);
  }
  return tf.tidy(() => run(anchor.tile([b, 1, 1, 1]) as tf.Tensor4D));
}

/**
 * ∂ class score / ∂ layer output for images [from, from + n) of `images` [N, H, W, C] (the
 * gradient through the layer's offset, as Grad-CAM reads it), [n, ...layer shape] on the host, and
 * the class scores [n]: what CRAFT's gradient × coefficient shares and class direction, and
 * TCAV's directional derivatives read.
 */
export function classGradients(
  model: VisModel,
  split: Split,
  images: Float32Array,
  from: number,
  n: number,
  unit: number,
): { grad: Float32Array; scores: Float32Array } {
  const size = model.input.shape.reduce((a, b) => a * b, 1);
  const [g, v] = tf.tidy(() => {
    const x = tf.tensor4d(images.subarray(from * size, (from + n) * size), [
      n,
      ...model.input.shape,
    ]);
    const [a] = model.activations(x, [split.layer.name]);
    let scores: tf.Tensor = tf.zeros([n]);
    const grad = tf.grad((delta: tf.Tensor) => {
      const [out] = model.activations(x, [split.head.name], { layer: split.layer.name, delta });
      scores = tf.keep(out.reshape([n, -1]).slice([0, unit], [n, 1]).reshape([n]));
      return scores.sum();
    })(tf.zerosLike(a));
    return [grad, scores];
  });
  const out = { grad: g.dataSync() as Float32Array, scores: v.dataSync() as Float32Array };
  tf.dispose([g, v]);
  return out;
}
