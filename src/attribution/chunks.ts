/**
 * Chunking to a memory budget. Integrated gradients, SmoothGrad, Score-CAM and the perturbation
 * metrics expand one input into hundreds of rows; the rows go through the model `maxBatch` at a
 * time and the results are put back in row order, so the answer does not depend on the chunk size
 * (only the float summation order of a later reduction can, ~1e-7 relative). The default chunk is
 * what fits the engine's memory budget (engine/memory.ts) by the one estimate of the process's
 * peak (model/memory.ts: resident now, the first pass's fixed cost, each row's layer outputs and
 * copies), so a 224×224 ResNet gets a few dozen rows per pass and the MNIST CNN the cap of 512.
 */
import * as tf from '@tensorflow/tfjs';
import { batchRanges } from '../data/dataset.js';
import { memoryBudget } from '../engine/memory.js';
import { oneHot } from '../engine/one_hot.js';
import { DeepvisError } from '../errors.js';
import { imagesThatFit } from '../model/memory.js';
import type { VisModel } from '../model/types.js';
import { withRules, type BackwardRules } from '../engine/rules.js';
import { targetScores, type ResolvedTarget } from '../objectives/target.js';

export const MAX_CHUNK = 512;

/** Rows per chunk that fit the memory budget for a gradient pass (the estimate the CLI's refusals use). */
export function defaultMaxBatch(model: VisModel, layer?: string, budget = memoryBudget()): number {
  return Math.min(MAX_CHUNK, imagesThatFit(model, budget, { layer }));
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
export function rowTarget(
  t: ResolvedTarget,
  reps: number,
  from: number,
  to: number,
): ResolvedTarget {
  const rows = Array.from({ length: to - from }, (_, k) => Math.floor((from + k) / reps));
  return {
    layer: t.layer,
    units: rows.map((i) => t.units[i]),
    neurons: t.neurons ? rows.map((i) => t.neurons![i]) : undefined,
    reading: t.reading,
  };
}

/** [from, to) chunks of `rows` of at most `maxBatch`: the one batching loop (data/dataset.ts). */
export const chunkRanges = batchRanges;

/**
 * ∂score/∂x for every row of `batch` (reps rows per image of t), maxBatch rows at a time.
 * Returns a new tensor the caller owns.
 */
export function chunkedInputGradient(
  model: VisModel,
  batch: tf.Tensor4D,
  t: ResolvedTarget,
  rules: BackwardRules,
  maxBatch?: number,
): tf.Tensor4D {
  const rows = batch.shape[0];
  const reps = rows / t.units.length;
  const chunk = maxBatch ?? defaultMaxBatch(model, t.layer.name);
  const grad = (x: tf.Tensor4D, tt: ResolvedTarget) =>
    withRules(
      rules,
      () =>
        tf.grad((xi: tf.Tensor) => targetScores(model, xi as tf.Tensor4D, tt).sum())(
          x,
        ) as tf.Tensor4D,
    );
  if (chunk >= rows) return tf.tidy(() => grad(batch, rowTarget(t, reps, 0, rows)));
  const parts: tf.Tensor4D[] = [];
  try {
    for (const [from, to] of chunkRanges(rows, chunk)) {
      parts.push(
        tf.tidy(() =>
          grad(batch.slice([from, 0, 0, 0], [to - from, -1, -1, -1]), rowTarget(t, reps, from, to)),
        ),
      );
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
export function outputScores(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  probability = true,
): tf.Tensor1D {
  // Another reading (a sum, a region, a cosine) is scored as it reads.
  if (
    !probability ||
    t.layer.name !== model.logitsLayer ||
    t.neurons ||
    (t.reading && t.reading.kind !== 'unit')
  )
    return targetScores(model, x, t);
  return tf.tidy(() => {
    const [logits] = model.activations(x, [t.layer.name]);
    const reps = x.shape[0] / t.units.length;
    const rows = t.units.flatMap((u) => Array(reps).fill(u) as number[]);
    return tf
      .softmax(logits as tf.Tensor2D)
      .mul(oneHot(rows, t.layer.units))
      .sum(1) as tf.Tensor1D;
  });
}

/** outputScores for every row (reps rows per image of t), forward only, chunked; a plain array. */
export function chunkedScores(
  model: VisModel,
  batch: tf.Tensor4D,
  t: ResolvedTarget,
  maxBatch?: number,
  probability = true,
): Float32Array {
  const rows = batch.shape[0];
  const reps = rows / t.units.length;
  const chunk = maxBatch ?? defaultMaxBatch(model, t.layer.name);
  const out = new Float32Array(rows);
  for (const [from, to] of chunkRanges(rows, chunk)) {
    const s = tf.tidy(() =>
      outputScores(
        model,
        batch.slice([from, 0, 0, 0], [to - from, -1, -1, -1]),
        rowTarget(t, reps, from, to),
        probability,
      ),
    );
    out.set(s.dataSync(), from);
    s.dispose();
  }
  return out;
}

/**
 * The one loop over perturbed rows built on the host: rows [0, rows) are written by fill(row, dst)
 * ([H, W, C] each), `maxBatch` at a time (default: what fits the budget for a forward pass), and
 * read(x, from, to) gives one number per row. Forward only: ONNX models run these on onnxruntime.
 */
export function filledRows(
  model: VisModel,
  t: ResolvedTarget,
  rows: number,
  maxBatch: number | undefined,
  fill: (row: number, dst: Float32Array) => void,
  read: (x: tf.Tensor4D, from: number, to: number) => tf.Tensor,
): Float32Array {
  const [h, w, c] = model.input.shape;
  const size = h * w * c;
  const chunk = maxBatch ?? forwardBatch(model, t.layer.name);
  const out = new Float32Array(rows);
  for (const [from, to] of chunkRanges(rows, chunk)) {
    const buf = new Float32Array((to - from) * size);
    for (let r = from; r < to; r++) fill(r, buf.subarray((r - from) * size, (r - from + 1) * size));
    const v = tf.tidy(() => read(tf.tensor4d(buf, [to - from, h, w, c]), from, to));
    out.set(v.dataSync(), from);
    v.dispose();
  }
  return out;
}

/** outputScores of `reps` filled copies of each of n images (fill(image, rep, dst)), [n × reps]. */
export function scoreFilled(
  model: VisModel,
  t: ResolvedTarget,
  n: number,
  reps: number,
  fill: (image: number, rep: number, dst: Float32Array) => void,
  o: { maxBatch?: number; probability?: boolean } = {},
): Float32Array {
  return filledRows(
    model,
    t,
    n * reps,
    o.maxBatch,
    (r, dst) => fill(Math.floor(r / reps), r % reps, dst),
    (x, from, to) => outputScores(model, x, rowTarget(t, reps, from, to), o.probability ?? true),
  );
}

/** Rows per forward-only pass that fit the engine's memory budget. */
export function forwardBatch(model: VisModel, layer?: string, budget = memoryBudget()): number {
  return Math.min(MAX_CHUNK, imagesThatFit(model, budget, { layer, gradients: false }));
}
