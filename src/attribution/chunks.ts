/**
 * Chunking to a memory budget. Integrated gradients, SmoothGrad, Score-CAM and the perturbation
 * metrics expand one input into hundreds of rows; the rows go through the model `maxBatch` at a
 * time and the results are put back in row order, so the answer does not depend on the chunk size
 * (only the float summation order of a later reduction can, ~1e-7 relative). The default chunk is
 * the engine's memory budget (engine/memory.ts) over the estimate of one row's bytes for a gradient
 * pass (model/memory.ts: every layer's output kept for the backward pass, twice, plus input
 * copies), so a 224×224 ResNet gets a handful of rows per pass and the MNIST CNN the cap of 512.
 */
import * as tf from '@tensorflow/tfjs';
import { batchRanges } from '../data/dataset.js';
import { memoryBudget } from '../engine/memory.js';
import { bytesPerImage } from '../model/memory.js';
import { oneHot } from '../engine/one_hot.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { withRules, type BackwardRules } from '../engine/rules.js';
import { targetScores, type ResolvedTarget } from '../objectives/target.js';

export const MAX_CHUNK = 512;

/** Rows per chunk that fit the engine's memory budget for a gradient pass (the estimate the CLI's refusals use). */
export function defaultMaxBatch(model: VisModel, layer?: string, budget = memoryBudget()): number {
  return Math.max(1, Math.min(MAX_CHUNK, Math.floor(budget / bytesPerImage(model, layer))));
}

export function checkMaxBatch(maxBatch: number | undefined): void {
  if (maxBatch != null && !(Number.isInteger(maxBatch) && maxBatch >= 1)) {
    throw new DeepvisError(`--max-batch must be a positive integer; got ${maxBatch}`);
  }
}

/**
 * The target of rows [from, to) of a batch holding `reps` consecutive copies of each image of `t`
 * (row r belongs to image ⌊r / reps⌋): one unit (and neuron) per row.
 */
export function rowTarget(t: ResolvedTarget, reps: number, from: number, to: number): ResolvedTarget {
  const rows = Array.from({ length: to - from }, (_, k) => Math.floor((from + k) / reps));
  return {
    layer: t.layer,
    units: rows.map((i) => t.units[i]),
    neurons: t.neurons ? rows.map((i) => t.neurons![i]) : undefined,
  };
}

/** [from, to) chunks of `rows` of at most `maxBatch`: the one batching loop (data/dataset.ts). */
export const chunkRanges = batchRanges;

/**
 * ∂score/∂x for every row of `batch` (reps rows per image of t), maxBatch rows at a time.
 * Returns a new tensor the caller owns.
 */
export function chunkedInputGradient(model: VisModel, batch: tf.Tensor4D, t: ResolvedTarget, rules: BackwardRules, maxBatch?: number): tf.Tensor4D {
  const rows = batch.shape[0];
  const reps = rows / t.units.length;
  const chunk = maxBatch ?? defaultMaxBatch(model, t.layer.name);
  const grad = (x: tf.Tensor4D, tt: ResolvedTarget) =>
    withRules(rules, () => tf.grad((xi: tf.Tensor) => targetScores(model, xi as tf.Tensor4D, tt).sum())(x) as tf.Tensor4D);
  if (chunk >= rows) return tf.tidy(() => grad(batch, rowTarget(t, reps, 0, rows)));
  const parts: tf.Tensor4D[] = [];
  try {
    for (const [from, to] of chunkRanges(rows, chunk)) {
      parts.push(tf.tidy(() => grad(batch.slice([from, 0, 0, 0], [to - from, -1, -1, -1]), rowTarget(t, reps, from, to))));
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

/**
 * What a perturbation is scored by: for a class of the logits layer, its softmax probability (the
 * model's output, as Xplique's f(x)[y] and Score-CAM's authors read it); for any other target its
 * activation (targetScores). Recorded on the tape, [rows].
 */
export function outputScores(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, probability = true): tf.Tensor1D {
  if (!probability || t.layer.name !== model.logitsLayer || t.neurons) return targetScores(model, x, t);
  return tf.tidy(() => {
    const [logits] = model.activations(x, [t.layer.name]);
    const reps = x.shape[0] / t.units.length;
    const rows = t.units.flatMap((u) => Array(reps).fill(u) as number[]);
    return tf.softmax(logits as tf.Tensor2D).mul(oneHot(rows, t.layer.units)).sum(1) as tf.Tensor1D;
  });
}

/** outputScores for every row (reps rows per image of t), forward only, chunked; a plain array. */
export function chunkedScores(model: VisModel, batch: tf.Tensor4D, t: ResolvedTarget, maxBatch?: number, probability = true): Float32Array {
  const rows = batch.shape[0];
  const reps = rows / t.units.length;
  const chunk = maxBatch ?? defaultMaxBatch(model, t.layer.name);
  const out = new Float32Array(rows);
  for (const [from, to] of chunkRanges(rows, chunk)) {
    const s = tf.tidy(() => outputScores(model, batch.slice([from, 0, 0, 0], [to - from, -1, -1, -1]), rowTarget(t, reps, from, to), probability));
    out.set(s.dataSync(), from);
    s.dispose();
  }
  return out;
}
