/**
 * Resource limits checked before any work starts, each refused with one line naming the number and
 * the limit. Memory is estimated from shapes: a batch of B images through the layers up to the
 * target keeps every layer's output for the backward pass and about as much again for gradients
 * and temporaries; the image itself has copies for the gradient, the optimizer state and the
 * transforms. Past the budget, tfjs-wasm's 32-bit heap (4 GB at most) runs out with "memory access
 * out of bounds", or V8 dies outright — so the budget is 2 GB unless DEEPVIS_MEMORY_MB says otherwise.
 */
import { formatBytes, memoryBudget } from '../engine/budget.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';

/** Most entries a unit or index list may expand to (--units 0-10000000000 is refused unexpanded). */
export const MAX_LIST_ENTRIES = 100_000;
/** Most examples per unit a top-k scan keeps. */
export const MAX_TOPK = 1000;
/** sharp refuses raw images above 0x3FFF × 0x3FFF pixels: a grid past this could not be encoded. */
export const MAX_IMAGE_PIXELS = 0x3fff * 0x3fff;

export { formatBytes, memoryBudget };

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

/**
 * Refuses a gradient request of `batch` images through the model up to `layer` that would not fit:
 * `what` says what the batch is made of ("1000 units × 64 restarts"), `hint` which flag lowers it.
 */
export function checkBatchMemory(model: VisModel, batch: number, o: { layer?: string; what: string; hint: string; gradients?: boolean }): void {
  const bytes = batch * bytesPerImage(model, o.layer, o.gradients);
  const budget = memoryBudget();
  if (bytes > budget) {
    throw new DeepvisError(`${batch.toLocaleString('en')} images in one batch (${o.what}) need about ${formatBytes(bytes)}; the limit is ${formatBytes(budget)} — ${o.hint}`);
  }
}

/** A tile's side in a grid: upscaled (nearest) to at least 56 pixels, as render/grid.ts does. */
export const gridTile = (side: number) => side * Math.max(1, Math.ceil(56 / side));

/** Refuses a grid picture that sharp could not encode, before the work that would fill it. */
export function checkGridPixels(cols: number, rows: number, tileW: number, tileH: number, what: string): void {
  const pixels = cols * (tileW + 4) * rows * (tileH + 4 + 16);
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new DeepvisError(`${what} would be a ${cols}×${rows}-tile picture of about ${Math.round(pixels / 1e6).toLocaleString('en')} megapixels; the limit is ${Math.round(MAX_IMAGE_PIXELS / 1e6)}`);
  }
}
