/**
 * How much memory a batch through a model takes, as the process's peak resident size: what the
 * process holds now (the runtime, the loaded model, its data), plus a fixed cost of the first
 * gradient pass, plus a cost per image. Every check made before work (the CLI's limits, maximize's
 * unit chunks, attribution's row chunks, the atlas's group size) asks this one estimate, against
 * the one budget (engine/memory.ts).
 *
 * Calibrated against peak RSS (process.resourceUsage().maxRSS) on wasm, issue 27:
 *   - per image, a gradient pass keeps most layer outputs up to the target once (the tape's saved
 *     tensors, freed as the lean backward walks; ResNet-18 at 224 px: 18–20.5 MB per image
 *     measured for 5.9 M floats, MobileNetV2 41–43 MB for 12.8 M floats, Lucid on ResNet-18
 *     layer3 21 MB: 0.7 of each float), plus the image's own copies (gradient, optimizer state,
 *     transforms: six);
 *   - once, the first pass's kernel workspaces and the wasm heap's growth step: about twice the
 *     weights plus 64 MB (ResNet-18: 123 MB; MobileNetV2: 19 MB; the atlas of the MNIST CNN: 90 MB), and an onnxruntime session when
 *     plain forwards run there (+2.5× the weights).
 * The old estimate had no resident or fixed part and counted the layer outputs twice: 2.5× too
 * much per image, nothing for the process, so a large model at a small batch went past the budget.
 */
import type { VisModel } from './types.js';
import { weightCount } from './weight_facts.js';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Layer outputs kept per image by a gradient pass, per float of every layer up to the target (measured 0.6–0.75). */
export const KEPT_PER_FLOAT = 0.7;
/** Copies of the image itself per batch item (input, gradient, optimizer moments, transformed views). */
export const IMAGE_COPIES = 6;
/** The first pass's fixed cost: this many times the weights, plus FIXED_EXTRA bytes. */
export const FIXED_PER_WEIGHT = 2;
export const FIXED_EXTRA = 64 * 2 ** 20;

/** Floats one image keeps alive on its way to `layer` (every layer's output up to it, the input too). */
export function floatsPerImage(model: VisModel, layer?: string): number {
  const last = layer ? model.layer(layer).index : Infinity;
  let floats = size(model.input.shape);
  for (const l of model.layers)
    if (l.index <= last) floats += size(l.outputShape.filter((d) => d > 0));
  return floats;
}

/**
 * Bytes one more image of a batch adds to the peak: a gradient pass, or a forward pass (gradients
 * false), which frees each output after its last reader (tfjs) or runs in bounded runs
 * (onnxruntime): its largest layer output and a few copies of the input (ResNet-18 at batch 32:
 * 5.4 MB per image measured, 5.0 estimated).
 */
export function bytesPerImage(model: VisModel, layer?: string, gradients = true): number {
  const input = size(model.input.shape);
  if (!gradients) {
    const last = layer ? model.layer(layer).index : Infinity;
    const largest = Math.max(
      0,
      ...model.layers
        .filter((l) => l.index <= last)
        .map((l) => size(l.outputShape.filter((d) => d > 0))),
    );
    return (largest + 3 * input) * 4;
  }
  return ((floatsPerImage(model, layer) - input) * KEPT_PER_FLOAT + input * IMAGE_COPIES) * 4;
}

/** Bytes of the model's weights as tfjs holds them. */
export function weightBytes(model: VisModel): number {
  let floats = 0;
  for (const l of model.layers) floats += weightCount(model, l.name);
  return floats * 4;
}

/**
 * A model whose plain forwards run on onnxruntime makes a session on the first one (a method's
 * final scoring, a scan): its copy of the weights and its buffers, ~2.5× the weights (Lucid on
 * ResNet-18: 228 MB fixed against 123 MB for a gradient pass alone).
 */
export const RUNNER_PER_WEIGHT = 2.5;

/** The first gradient pass's cost beyond the loaded model, whatever the batch (and a forward runner's session). */
export const fixedBytes = (model: VisModel): number =>
  (FIXED_PER_WEIGHT +
    (model.forwardEngine && model.forwardEngine !== 'tfjs' ? RUNNER_PER_WEIGHT : 0)) *
    weightBytes(model) +
  FIXED_EXTRA;

/** What the process holds now: its resident size in Node; 0 where there is no process (the page). */
export function residentBytes(): number {
  return typeof process !== 'undefined' && typeof process.memoryUsage === 'function'
    ? process.memoryUsage().rss
    : 0;
}

export interface BatchArgs {
  readonly layer?: string;
  readonly gradients?: boolean;
}

/** The process's estimated peak while it runs `batch` images through the model. */
export function estimatePeak(model: VisModel, batch: number, o: BatchArgs = {}): number {
  return (
    residentBytes() + fixedBytes(model) + batch * bytesPerImage(model, o.layer, o.gradients ?? true)
  );
}

/** The part of the budget a chunk is sized to. */
export const BUDGET_SHARE = 0.95;

/**
 * What a process holding this model resides in before its first batch, from the model alone (not
 * this process): the runtime and wasm heap (~256 MB measured at engine start) and about six copies of
 * the weights (the file's bytes, host and tfjs tensors, onnxruntime's session; ResNet-18: 518 MB
 * resident for 45 MB of weights). For plans several processes must agree on (the atlas's shards).
 */
export const expectedResident = (model: VisModel): number => 256 * 2 ** 20 + 6 * weightBytes(model);

/**
 * Most images of `copies` each that one batch may hold under `budget` (at least 1: one image is
 * refused, not split, by the checks). `resident`: what the process holds before (default: now).
 */
export function imagesThatFit(
  model: VisModel,
  budget: number,
  o: BatchArgs & { readonly copies?: number; readonly resident?: number } = {},
): number {
  // 5% held back: the estimate is within ±5% of measured peaks, and a chunk should land under the budget.
  const room = BUDGET_SHARE * budget - (o.resident ?? residentBytes()) - fixedBytes(model);
  return Math.max(
    1,
    Math.floor(room / (bytesPerImage(model, o.layer, o.gradients ?? true) * (o.copies ?? 1))),
  );
}
