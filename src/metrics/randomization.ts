/**
 * Sanity checks (Adebayo et al. 2018): a map that explains the model must change when the model
 * does.
 * - Model-parameter randomization (MPRT): layers with parameters are randomized top-down, from the
 *   output to the input (cascading), or one at a time (independent); after each step the map is
 *   recomputed for the same target units and compared with the original by Spearman's ρ of the
 *   absolute heats (Quantus's defaults: abs, Spearman). The curve is fig. 2 of the paper; the
 *   table's number is |ρ| after the whole model is randomized (lower is better).
 * - Data randomization: the same map from a second model (the architecture trained on shuffled
 *   labels), compared the same way.
 *
 * Randomizing a layer shuffles every entry of each of its parameter tensors (Quantus permutes
 * parameters, which keeps each tensor's distribution, so batch-norm variances stay positive; all
 * entries rather than rows, so a conv kernel is not merely row-permuted). It works on every model
 * format because it goes through weightsOf(), which returns the model's own tensors: each is
 * re-pointed at new data (tf.Variable.assign for layers models; for graph and ONNX constants the
 * same swap of the tensor's data id, which the executor and the compiled ONNX steps then read).
 * A new data id, not a write into the old buffer, so the kernels' caches keyed by data id (rotated
 * filters, transposed matrices) cannot serve stale weights. restore() puts the original data back.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import type { ResolvedTarget } from '../objectives/target.js';
import { elapsed, type Explainer, type MetricResult } from './metric_context.js';
import { spearman } from './stats.js';
import { rebindTensor } from '../engine/internals.js';

/** Points `t` at `value`'s data (t keeps its identity: same object, same id). */
function rebind(t: tf.Tensor, value: tf.Tensor): void {
  if (t instanceof tf.Variable) {
    t.assign(value);
    return;
  }
  if (!tf.util.arraysEqual(t.shape, value.shape) || t.dtype !== value.dtype)
    throw new DeepvisError(
      `cannot swap a [${t.shape}] ${t.dtype} weight for [${value.shape}] ${value.dtype}`,
    );
  rebindTensor(t, value);
}

/** The layers MPRT randomizes: those with parameters, in model order. */
export function parameterLayers(model: VisModel): string[] {
  return model.layers
    .filter((l) => model.weightsOf(l.name).some((w) => w.dtype === 'float32' && w.size > 1))
    .map((l) => l.name);
}

/** Shuffles every float parameter of `layer` in place; returns the function that restores them. */
export function randomizeLayer(model: VisModel, layer: string, rng: Rng): () => void {
  const weights = model.weightsOf(layer).filter((w) => w.dtype === 'float32' && w.size > 1);
  if (weights.length === 0)
    throw new DeepvisError(`layer '${layer}' has no parameters to randomize`);
  const saved = weights.map((w) => w.clone());
  for (const w of weights) {
    const v = w.dataSync() as Float32Array;
    const perm = rng.permutation(v.length);
    const shuffled = tf.tensor(
      Float32Array.from(perm, (j) => v[j]),
      w.shape,
      'float32',
    );
    rebind(w, shuffled);
    shuffled.dispose();
  }
  return () => {
    weights.forEach((w, i) => rebind(w, saved[i]));
    tf.dispose(saved);
  };
}

function absHeat(h: Float32Array): Float32Array {
  return h.map(Math.abs);
}

function correlations(a: Float32Array, b: Float32Array, n: number, abs: boolean): number[] {
  const size = a.length / n;
  return Array.from({ length: n }, (_, i) => {
    const x = a.subarray(i * size, (i + 1) * size);
    const y = b.subarray(i * size, (i + 1) * size);
    const rho = spearman(abs ? absHeat(x) : x, abs ? absHeat(y) : y);
    // A map that is constant after randomization (e.g. a CAM that went all zero) carries no ranking.
    return Number.isNaN(rho) ? 0 : rho;
  });
}

export interface MprtArgs {
  readonly order?: 'cascading' | 'independent';
  readonly seed?: number;
  /** Compare absolute heats (default true, Quantus). */
  readonly abs?: boolean;
  /** Layers to randomize (default: every layer with parameters). */
  readonly layers?: readonly string[];
  /**
   * Compare the per-pixel heat (default) or the raw map [H, W, C] — with abs: false, the signed map,
   * Adebayo et al.'s "no absolute value" rows.
   */
  readonly map?: 'heat' | 'values';
}

export interface MprtResult extends MetricResult {
  /** Layers in the order they were randomized (top-down). */
  readonly layers: string[];
  /** [layer][input] ρ. */
  readonly rho: number[][];
}

export function mprt(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  explain: Explainer,
  args: MprtArgs = {},
): MprtResult {
  const started = performance.now();
  const order = args.order ?? 'cascading';
  const abs = args.abs ?? true;
  const n = x.shape[0];
  const layers = [...(args.layers ?? parameterLayers(model))].reverse();
  if (layers.length === 0)
    throw new DeepvisError('MPRT needs a model with parameters; this one has none');
  const rng = new Rng(args.seed ?? 0);
  const pick = (m: { heat: Float32Array; values: Float32Array }) =>
    args.map === 'values' ? m.values : m.heat;
  const original = pick(explain(model, x, t));
  const restores: Array<() => void> = [];
  const rho: number[][] = [];
  try {
    for (const layer of layers) {
      restores.push(randomizeLayer(model, layer, rng));
      rho.push(correlations(original, pick(explain(model, x, t)), n, abs));
      if (order === 'independent') restores.pop()!();
    }
  } finally {
    while (restores.length) restores.pop()!();
  }
  const last = rho[rho.length - 1];
  const scores =
    order === 'cascading'
      ? last.map(Math.abs)
      : Array.from(
          { length: n },
          (_, i) => rho.reduce((a, r) => a + Math.abs(r[i]), 0) / rho.length,
        );
  return {
    metric: order === 'cascading' ? 'mprt' : 'mprt-independent',
    scores,
    layers,
    rho,
    params: {
      order,
      abs,
      map: args.map ?? 'heat',
      similarity: 'spearman',
      randomization: 'shuffle every parameter entry (Quantus permutes)',
      direction: 'top-down',
      seed: args.seed ?? 0,
      score: order === 'cascading' ? '|ρ| with every layer randomized' : 'mean |ρ| over layers',
      reference: 'Adebayo et al. 2018; Quantus MPRT',
    },
    higherIsBetter: false,
    seconds: elapsed(started),
  };
}

/** Data randomization: ρ between the maps of `model` and of `shuffled` (same architecture, shuffled labels). */
export function dataRandomization(
  model: VisModel,
  shuffled: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  explain: Explainer,
  abs = true,
): MetricResult {
  const started = performance.now();
  if (shuffled.input.shape.join() !== model.input.shape.join()) {
    throw new DeepvisError(
      `the shuffled-label model's input [${shuffled.input.shape}] differs from the model's [${model.input.shape}]`,
    );
  }
  const rho = correlations(
    explain(model, x, t).heat,
    explain(shuffled, x, { ...t, layer: shuffled.layer(t.layer.name) }).heat,
    x.shape[0],
    abs,
  );
  return {
    metric: 'data-randomization',
    scores: rho.map(Math.abs),
    params: { abs, similarity: 'spearman', reference: 'Adebayo et al. 2018 §4' },
    higherIsBetter: false,
    seconds: elapsed(started),
  };
}
