/**
 * What a layer's weights are, without making them: an ONNX model on onnxruntime makes its tfjs
 * weights on first use (formats/onnx/weights.ts), and asking whether a layer has weights, or how
 * many, should not make them all.
 */
import type { VisModel } from './types.js';

/** The shapes of `weightsOf(layer)`, kernel first; made weights are not needed to know them. */
export const weightShapes = (model: VisModel, layer: string): number[][] =>
  model.weightShapes ? model.weightShapes(layer) : model.weightsOf(layer).map((w) => [...w.shape]);

/** How many numbers a layer's weights hold. */
export const weightCount = (model: VisModel, layer: string): number =>
  weightShapes(model, layer).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

/** Whether the layer has weights at all. */
export const hasWeights = (model: VisModel, layer: string): boolean =>
  weightShapes(model, layer).length > 0;
