/**
 * The data-driven method's two experiments (the maximising-images paper §3–4), on the same bounded ascent the method
 * runs (optimize/ascent.ts) from each unit's best data-set image:
 * - `estimateSteps`: the paper's step count, "the average maximum step before any noise appears"
 *   over units with unimodal activations — the mean noise onset (noise.ts) over `units`;
 * - `compareWithBlank`: the paper's claim that this start converges ~100× faster than pure
 *   optimization from a blank image — the same ascent both ways, and the steps and time each needs
 *   to reach 90% of the data-driven run's final activation (measured from the blank image's).
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { units as unitObjective, type UnitSelector } from '../objectives/units.js';
import { boundedAscentSteps } from '../optimize/ascent.js';
import { drain } from '../optimize/drive.js';
import type { OptimizeResult } from '../optimize/loop.js';
import { refOf } from '../model/layer_lookup.js';
import { bestImages } from './dataset_max.js';
import { noiseOnsets } from './noise.js';
import { specificity } from './specificity.js';

export interface DataStartArgs extends UnitSelector {
  readonly layer: string;
  readonly units: readonly number[];
  readonly data: ImageSet;
  /** Largest pixel move per step, as a fraction of the range; default 0.01 (the maximising-images paper). */
  readonly stepFraction?: number;
  /** Step-filter threshold as a fraction of the range; default 0.9 (the maximising-images paper). */
  readonly threshold?: number;
  /** Default 60. */
  readonly steps?: number;
}

/** The ascent from `init` (copied); `watch` sees every step. The result's images are disposed here. */
function ascend(
  model: VisModel,
  args: DataStartArgs,
  init: tf.Tensor4D,
  steps: number,
  watch?: ReturnType<typeof noiseOnsets>,
): OptimizeResult {
  const objective = unitObjective(model.layer(args.layer), args.units, { neuron: args.neuron });
  const run = drain(
    boundedAscentSteps(model, init, objective, {
      steps,
      stepFraction: args.stepFraction,
      onStep: watch?.onStep,
    }),
  );
  run.images.dispose();
  return run;
}

export interface StepEstimate {
  /** Mean noise onset over the units (the paper's "epochs"). */
  steps: number;
  onsets: { unit: number; onset: number; censored: boolean }[];
  maxSteps: number;
  criterion: string;
}

/** The paper's step count: mean step of noise onset over `args.units` (pass unimodal units). */
export function estimateSteps(
  model: VisModel,
  args: DataStartArgs & { maxSteps?: number; minIsolated?: number },
): StepEstimate {
  if (args.units.length === 0)
    throw new DeepvisError(
      'no units to estimate the step count from (the layer has no unimodal units?)',
    );
  const maxSteps = args.maxSteps ?? 300;
  const [lo, hi] = model.input.range;
  const { x } = bestImages(model, args.data, args.layer, args.units, { neuron: args.neuron });
  const watch = noiseOnsets(x, lo + (args.threshold ?? 0.9) * (hi - lo), args.minIsolated ?? 2);
  try {
    ascend(model, args, x, maxSteps, watch);
  } finally {
    x.dispose();
  }
  const onsets = args.units.map((unit, i) => ({
    unit,
    onset: watch.onsets[i] >= 0 ? watch.onsets[i] : maxSteps,
    censored: watch.onsets[i] < 0,
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
  /** The blank image's activation plus 90% of the way to the data-driven run's final (pre-filter) activation, so that it is defined for negative activations too. */
  target: number;
  dataDriven: { steps: number | null; seconds: number | null; final: number };
  blank: { steps: number | null; seconds: number | null; final: number };
}

export function compareWithBlank(
  model: VisModel,
  args: DataStartArgs & { blankSteps?: number },
): SpeedComparison[] {
  const steps = args.steps ?? 60;
  const { x } = bestImages(model, args.data, args.layer, args.units, { neuron: args.neuron });
  const dd = (() => {
    try {
      return ascend(model, args, x, steps);
    } finally {
      x.dispose();
    }
  })();
  const blankInit = tf.fill(
    [args.units.length, ...model.input.shape],
    model.input.range[0],
  ) as tf.Tensor4D;
  const blank = (() => {
    try {
      return ascend(model, args, blankInit, args.blankSteps ?? 20 * steps);
    } finally {
      blankInit.dispose();
    }
  })();
  const perStep = (r: OptimizeResult) => r.seconds / Math.max(1, r.history.length);
  const reach = (h: Float32Array[], i: number, target: number) => {
    const s = h.findIndex((row) => row[i] >= target);
    return s < 0 ? null : s;
  };
  return args.units.map((unit, i) => {
    const final = dd.history[dd.history.length - 1]?.[i] ?? 0;
    const base = blank.history[0]?.[i] ?? 0;
    const target = base + 0.9 * (final - base);
    const [sd, sb] = [reach(dd.history, i, target), reach(blank.history, i, target)];
    return {
      unit,
      target,
      dataDriven: { steps: sd, seconds: sd == null ? null : sd * perStep(dd), final },
      blank: {
        steps: sb,
        seconds: sb == null ? null : sb * perStep(blank),
        final: blank.history[blank.history.length - 1]?.[i] ?? 0,
      },
    };
  });
}

/**
 * `args` with the step count the layer's unimodal units give (§3–4), and the estimate. Specificity
 * is a property of the unit's output, so it is read at the layer's output, not its pre-activation.
 */
export function layerSteps<A extends DataStartArgs>(
  model: VisModel,
  args: A,
): A & { steps: number; stepEstimate: StepEstimate } {
  const unimodal = specificity(model, args.data, refOf(model.layer(args.layer)).name)
    .units.filter((u) => u.modality === 'unimodal')
    .map((u) => u.unit);
  const est = estimateSteps(model, { ...args, units: unimodal });
  return { ...args, steps: est.steps, stepEstimate: est };
}
