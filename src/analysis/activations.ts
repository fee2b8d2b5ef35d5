/**
 * Every layer's response to one input (Yosinski et al. 2015, "visualizing live convnet activations"): plain
 * values per layer, and the top predictions. The drawing (a tile per channel, Yosinski's 16×16
 * grid for 256 channels) is render/activation_grid.ts, shared with the web app.
 */
import { tidyData, tidyDataAll } from '../engine/read.js';
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../model/types.js';

export interface LayerActivations {
  readonly layer: string;
  readonly kind: string;
  /** Output shape without the batch: [h, w, c] or [units]. */
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export interface Prediction {
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

export function activationsOf(
  model: VisModel,
  image: tf.Tensor3D,
  layers?: readonly string[],
): LayerActivations[] {
  const names = (layers ?? model.layers.map((l) => l.name)).map((n) => model.layer(n));
  const values = tidyDataAll(() =>
    model.activations(
      image.expandDims(0) as tf.Tensor4D,
      names.map((l) => l.name),
    ),
  );
  return values.map((v, i) => ({
    layer: names[i].name,
    kind: names[i].kind,
    shape: names[i].outputShape,
    values: v,
  }));
}

/** Top-k classes; the output is read as probabilities when it is one (sums to 1), else softmaxed. */
export function topPredictions(model: VisModel, image: tf.Tensor3D, k = 5): Prediction[] {
  const out = tidyData(() => model.predict(image.expandDims(0) as tf.Tensor4D).reshape([-1]));
  return predictionsFrom(out, model.labels, k);
}

/** The same from output values already computed (the web app reads them from its one forward pass). */
export function predictionsFrom(
  values: ArrayLike<number>,
  labels: readonly string[] | null,
  k = 5,
): Prediction[] {
  const v = Array.from(values);
  const isProb =
    v.every((x) => x >= 0 && x <= 1) && Math.abs(v.reduce((s, x) => s + x, 0) - 1) < 1e-3;
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  const p = isProb ? v : e.map((x) => x / z);
  return p
    .map((probability, index) => ({ index, label: labels?.[index] ?? String(index), probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k);
}
