/**
 * What one image costs on its way through a model, estimated from shapes: a batch of B images
 * through the layers up to the target keeps every layer's output for the backward pass and about
 * as much again for gradients and temporaries; the image itself has copies for the gradient, the
 * optimizer state and the transforms. The engine's budget (engine/memory.ts) over these sizes a
 * batch.
 */
import type { VisModel } from './types.js';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Floats one image keeps alive on its way to `layer` (every layer's output up to it). */
export function floatsPerImage(model: VisModel, layer?: string): number {
  const last = layer ? model.layer(layer).index : Infinity;
  let floats = size(model.input.shape);
  for (const l of model.layers) if (l.index <= last) floats += size(l.outputShape.filter((d) => d > 0));
  return floats;
}

/** Estimated bytes one image of a gradient batch (or a forward batch, gradients: false) holds. */
export function bytesPerImage(model: VisModel, layer?: string, gradients = true): number {
  return (floatsPerImage(model, layer) * (gradients === false ? 1 : 2) + size(model.input.shape) * 6) * 4;
}
