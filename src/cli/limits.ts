/**
 * Resource limits checked before any work starts, each refused with one line naming the number and
 * the limit. Memory is the process's estimated peak (model/memory.ts: what it holds now, the first
 * pass's fixed cost, and per image every layer output up to the target plus the image's copies),
 * measured against RSS, against the engine's budget (engine/memory.ts; the CLI sets it from
 * DEEPVIS_MEMORY_MB, command.ts).
 */
import { formatBytes, memoryBudget } from '../engine/memory.js';
import { DeepvisError } from '../errors.js';
import { estimatePeak } from '../model/memory.js';
import type { VisModel } from '../model/types.js';

/** Most entries a unit or index list may expand to (--units 0-10000000000 is refused unexpanded). */
export const MAX_LIST_ENTRIES = 100_000;
/** Most examples per unit a top-k scan keeps. */
export const MAX_TOPK = 1000;
/** sharp refuses raw images above 0x3FFF × 0x3FFF pixels: a grid past this could not be encoded. */
export const MAX_IMAGE_PIXELS = 0x3fff * 0x3fff;

export { formatBytes, memoryBudget };

export { bytesPerImage, floatsPerImage } from '../model/memory.js';

/**
 * Refuses a gradient request of `batch` images through the model up to `layer` that would not fit:
 * `what` says what the batch is made of ("1000 units × 64 restarts"), `hint` which flag lowers it.
 */
export function checkBatchMemory(
  model: VisModel,
  batch: number,
  o: { layer?: string; what: string; hint: string; gradients?: boolean },
): void {
  // The process's whole peak (what it holds now, the first pass's fixed cost, the batch), as RSS will show it.
  const bytes = estimatePeak(model, batch, { layer: o.layer, gradients: o.gradients });
  const budget = memoryBudget();
  if (bytes > budget) {
    throw new DeepvisError(
      `${batch.toLocaleString('en')} images in one batch (${o.what}) need about ${formatBytes(bytes)}; the limit is ${formatBytes(budget)} — ${o.hint}`,
    );
  }
}

/** A tile's side in a grid: upscaled (nearest) to at least 56 pixels, as render/grid.ts does. */
export const gridTile = (side: number) => side * Math.max(1, Math.ceil(56 / side));

/** Refuses a grid picture that sharp could not encode, before the work that would fill it. */
export function checkGridPixels(
  cols: number,
  rows: number,
  tileW: number,
  tileH: number,
  what: string,
): void {
  const pixels = cols * (tileW + 4) * rows * (tileH + 4 + 16);
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new DeepvisError(
      `${what} would be a ${cols}×${rows}-tile picture of about ${Math.round(pixels / 1e6).toLocaleString('en')} megapixels; the limit is ${Math.round(MAX_IMAGE_PIXELS / 1e6)}`,
    );
  }
}
