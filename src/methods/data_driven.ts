/**
 * The data-driven ("combined") method of seed 000, §4: start from the data-set image that excites
 * the unit most (as deconvolution does), take a fixed number of gradient-ascent steps with the step
 * size set so that no pixel moves more than 1% of the input range per step, then pass every pixel
 * through a step filter (1 above the threshold 0.9 of the range, else 0).
 *
 * Step count. The seed sets it to "the average maximum step before any noise appears" over units
 * with unimodal activations (§3). Noise, made measurable: at step t the step-filtered image has
 * *isolated* on-pixels — on, with none of its 8 neighbours on — that the step-filtered start did
 * not have; noise has appeared once there are at least `minIsolated` (default 2) of them. Strokes
 * grow as connected regions, speckle appears as isolated pixels, and only what passes the final
 * filter counts. `estimateSteps` runs the ascent on unimodal units and averages their onsets.
 */
import * as tf from '@tensorflow/tfjs';
import { datasetMax } from '../analysis/dataset_max.js';
import { batchTensor, subset, type ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { optimize } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange, type Projection } from '../projections/projections.js';
import { scoreImages, unitObjectiveOf, type MethodResult, type UnitRequest } from './common.js';

export interface DataDrivenArgs extends UnitRequest {
  readonly data: ImageSet;
  /** Largest pixel move per step, as a fraction of the range; default 0.01 (seed 000). */
  readonly stepFraction?: number;
  /** Step-filter threshold as a fraction of the range; default 0.9 (seed 000). */
  readonly threshold?: number;
  /** Default 60; use estimateSteps for the seed's procedure. */
  readonly steps?: number;
}

export interface DataDrivenResult extends MethodResult {
  /** Index in `data` of each unit's starting image. */
  starts: number[];
  /** Activation of the start, after the ascent, and after the step filter. */
  startActivations: number[];
  ascentActivations: number[];
  /** Images after the ascent, before the step filter [U, H, W, C] (caller disposes). */
  unfiltered: tf.Tensor4D;
}

/** Step filter of seed 000: hi where x > lo + t·(hi − lo), else lo. */
export function stepFilter(x: tf.Tensor4D, range: readonly [number, number], threshold = 0.9): tf.Tensor4D {
  const [lo, hi] = range;
  return tf.tidy(() => x.greater(lo + threshold * (hi - lo)).toFloat().mul(hi - lo).add(lo) as tf.Tensor4D);
}

/** Isolated on-pixels (channel mean above the threshold, no 8-neighbour on) of each image. */
export function isolatedPixels(values: ArrayLike<number>, shape: readonly [number, number, number], level: number): number {
  const [h, w, c] = shape;
  const on = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += values[p * c + k];
    on[p] = s / c > level ? 1 : 0;
  }
  let isolated = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!on[y * w + x]) continue;
      let neighbours = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if ((dx || dy) && yy >= 0 && yy < h && xx >= 0 && xx < w) neighbours += on[yy * w + xx];
        }
      }
      if (neighbours === 0) isolated++;
    }
  }
  return isolated;
}

function startImages(model: VisModel, args: DataDrivenArgs): { x: tf.Tensor4D; starts: number[] } {
  const best = datasetMax(model, args.data, model.layer(args.layer).name, args.units, { neuron: args.neuron });
  const starts = Array.from(best.indices);
  const sub = subset(args.data, starts);
  return { x: batchTensor(sub, 0, sub.count), starts };
}

interface Ascent {
  images: tf.Tensor4D;
  history: Float32Array[];
  seconds: number;
  /** Per image: first step at which noise appeared (−1: never). */
  noiseOnset: number[];
}

function ascend(model: VisModel, args: DataDrivenArgs, init: tf.Tensor4D, steps: number, minIsolated = 2): Ascent {
  const range = model.input.range;
  const [lo, hi] = range;
  const shape = model.input.shape;
  const level = lo + (args.threshold ?? 0.9) * (hi - lo);
  const size = shape[0] * shape[1] * shape[2];
  const n = init.shape[0];
  const v0 = init.dataSync();
  const base = Array.from({ length: n }, (_, i) => isolatedPixels(v0.subarray(i * size, (i + 1) * size), shape, level));
  const noiseOnset = new Array<number>(n).fill(-1);
  // Observes every step's image for the noise criterion; leaves it unchanged.
  const observe: Projection = (x, { step }) => {
    if (noiseOnset.every((s) => s >= 0)) return x;
    const v = x.dataSync();
    for (let i = 0; i < n; i++) {
      if (noiseOnset[i] >= 0) continue;
      if (isolatedPixels(v.subarray(i * size, (i + 1) * size), shape, level) - base[i] >= minIsolated) noiseOnset[i] = step + 1;
    }
    return x;
  };
  const param = pixels(init);
  try {
    const run = optimize(model, param, unitObjectiveOf(model, args), {
      steps,
      lr: (args.stepFraction ?? 0.01) * (hi - lo),
      rule: 'linf',
      projections: [clampRange(range), observe],
      keep: 'last',
      onStep: args.onStep,
      signal: args.signal,
    });
    return { images: run.images, history: run.history, seconds: run.seconds, noiseOnset };
  } finally {
    param.dispose();
  }
}

export function dataDriven(model: VisModel, args: DataDrivenArgs): DataDrivenResult {
  const steps = args.steps ?? 60;
  if (steps < 0) throw new DeepvisError('steps must be at least 0');
  const t0 = performance.now();
  const { x, starts } = startImages(model, args);
  const objective = unitObjectiveOf(model, args);
  const startActivations = Array.from(scoreImages(model, objective, x));
  const run = ascend(model, args, x, steps);
  x.dispose();
  const ascentActivations = Array.from(scoreImages(model, objective, run.images));
  const filtered = stepFilter(run.images, model.input.range, args.threshold ?? 0.9);
  const final = scoreImages(model, objective, filtered);
  return {
    images: filtered,
    unfiltered: run.images,
    units: args.units.map((unit, i) => ({ unit, activation: final[i], steps })),
    starts,
    startActivations,
    ascentActivations,
    objective: objective.description,
    params: { method: 'data-driven', steps, stepFraction: args.stepFraction ?? 0.01, threshold: args.threshold ?? 0.9 },
    seconds: (performance.now() - t0) / 1000,
  };
}

export interface StepEstimate {
  /** Mean noise onset over the units (the seed's "epochs"). */
  steps: number;
  onsets: { unit: number; onset: number; censored: boolean }[];
  maxSteps: number;
  criterion: string;
}

/** The seed's step count: mean step of noise onset over `args.units` (pass unimodal units). */
export function estimateSteps(model: VisModel, args: DataDrivenArgs & { maxSteps?: number; minIsolated?: number }): StepEstimate {
  if (args.units.length === 0) throw new DeepvisError('no units to estimate the step count from (the layer has no unimodal units?)');
  const maxSteps = args.maxSteps ?? 300;
  const { x } = startImages(model, args);
  const run = ascend(model, args, x, maxSteps, args.minIsolated ?? 2);
  x.dispose();
  run.images.dispose();
  const onsets = args.units.map((unit, i) => ({
    unit,
    onset: run.noiseOnset[i] >= 0 ? run.noiseOnset[i] : maxSteps,
    censored: run.noiseOnset[i] < 0,
  }));
  return {
    steps: Math.max(1, Math.round(onsets.reduce((a, o) => a + o.onset, 0) / onsets.length)),
    onsets,
    maxSteps,
    criterion: `first step with ≥ ${args.minIsolated ?? 2} new isolated on-pixels after the step filter at ${args.threshold ?? 0.9}`,
  };
}

export interface SpeedComparison {
  unit: number;
  /**
   * The common target: the blank image's activation plus 90% of the way to the data-driven
   * run's final (pre-filter) activation — "90% of the final activation" measured from the blank
   * start, so that it is defined for units whose activations are negative too.
   */
  target: number;
  dataDriven: { steps: number | null; seconds: number | null; final: number };
  blank: { steps: number | null; seconds: number | null; final: number };
}

/**
 * Seed 000's claim that starting from the best data-set image converges ~100× faster than pure
 * optimization from a blank image: the same ascent (same step rule and size) both ways, and the
 * steps and wall time each needs to reach 90% of the data-driven run's final activation (measured
 * from the blank image's activation, see SpeedComparison.target).
 */
export function compareWithBlank(model: VisModel, args: DataDrivenArgs & { blankSteps?: number }): SpeedComparison[] {
  const steps = args.steps ?? 60;
  const { x } = startImages(model, args);
  const dd = ascend(model, args, x, steps);
  x.dispose();
  dd.images.dispose();
  const [lo] = model.input.range;
  const blankInit = tf.fill([args.units.length, ...model.input.shape], lo) as tf.Tensor4D;
  const blank = ascend(model, args, blankInit, args.blankSteps ?? 20 * steps);
  blankInit.dispose();
  blank.images.dispose();
  const perStepDd = dd.seconds / Math.max(1, dd.history.length);
  const perStepBlank = blank.seconds / Math.max(1, blank.history.length);
  const reach = (h: Float32Array[], i: number, target: number) => {
    const s = h.findIndex((row) => row[i] >= target);
    return s < 0 ? null : s;
  };
  return args.units.map((unit, i) => {
    const final = dd.history[dd.history.length - 1]?.[i] ?? 0;
    const base = blank.history[0]?.[i] ?? 0;
    const target = base + 0.9 * (final - base);
    const sd = reach(dd.history, i, target);
    const sb = reach(blank.history, i, target);
    return {
      unit,
      target,
      dataDriven: { steps: sd, seconds: sd == null ? null : sd * perStepDd, final },
      blank: { steps: sb, seconds: sb == null ? null : sb * perStepBlank, final: blank.history[blank.history.length - 1]?.[i] ?? 0 },
    };
  });
}
