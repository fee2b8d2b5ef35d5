/**
 * The data-driven ("combined") method of the maximising-images paper, §4: start from the data-set image that excites
 * the unit most (as deconvolution does), take a fixed number of gradient-ascent steps with no pixel
 * moving more than 1% of the input range per step (optimize/ascent.ts), then pass every pixel
 * through a step filter (1 above the threshold 0.9 of the range, else 0). The step count the seed
 * prescribes and its speed claim are experiments in analysis/data_driven_steps.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { bestImages } from '../analysis/dataset_max.js';
import {
  compareWithBlank,
  layerSteps,
  type DataStartArgs,
  type StepEstimate,
} from '../analysis/data_driven_steps.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { boundedAscentSteps } from '../optimize/ascent.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { stepFilter } from '../projections/projections.js';
import { defineFeatureVis } from './method.js';
import {
  disposable,
  drained,
  scoreImages,
  unitObjectiveOf,
  type MethodResult,
  type UnitRequest,
} from './recipe.js';

export {
  compareWithBlank,
  estimateSteps,
  type SpeedComparison,
  type StepEstimate,
} from '../analysis/data_driven_steps.js';
export { isolatedPixels } from '../analysis/noise.js';
export { stepFilter } from '../projections/projections.js';

export type DataDrivenArgs = UnitRequest & DataStartArgs;
/** A CLI run's arguments: with --estimate-steps the estimate, with --compare the blank-start comparison. */
type DataDrivenRun = DataDrivenArgs & {
  readonly stepEstimate?: StepEstimate;
  readonly compare?: boolean;
};

export interface DataDrivenResult extends MethodResult {
  /** Index in `data` of each unit's starting image. */
  starts: number[];
  /** Activation of the start, after the ascent, and after the step filter. */
  startActivations: number[];
  ascentActivations: number[];
  /** Images after the ascent, before the step filter [U, H, W, C] (caller disposes). */
  unfiltered: tf.Tensor4D;
}

export function dataDrivenParams(args: Partial<DataDrivenArgs>) {
  const steps = args.steps ?? 60;
  if (!(steps >= 0)) throw new DeepvisError('steps must be at least 0');
  checkLr(args.stepFraction);
  return {
    method: 'data-driven',
    steps,
    stepFraction: args.stepFraction ?? 0.01,
    threshold: args.threshold ?? 0.9,
  };
}

export function* dataDrivenSteps(model: VisModel, args: DataDrivenArgs): Steps<DataDrivenResult> {
  const p = dataDrivenParams(args);
  const t0 = performance.now();
  const { x, starts } = bestImages(model, args.data, args.layer, args.units, {
    neuron: args.neuron,
  });
  const objective = unitObjectiveOf(model, args);
  const startActivations = Array.from(scoreImages(model, objective, x));
  const run = yield* (function* () {
    try {
      return yield* boundedAscentSteps(model, x, objective, {
        steps: p.steps,
        stepFraction: p.stepFraction,
        onStep: args.onStep,
        signal: args.signal,
      });
    } finally {
      x.dispose();
    }
  })();
  const ascentActivations = Array.from(scoreImages(model, objective, run.images));
  const filtered = stepFilter(run.images, model.input.range, p.threshold);
  const final = scoreImages(model, objective, filtered);
  const units = args.units.map((unit, i) => ({ unit, activation: final[i], steps: p.steps }));
  return disposable({
    images: filtered,
    unfiltered: run.images,
    units,
    starts,
    startActivations,
    ascentActivations,
    objective: objective.description,
    params: p,
    seconds: (performance.now() - t0) / 1000,
  });
}

export const dataDriven = drained(dataDrivenSteps);

export const dataDrivenMethod = defineFeatureVis({
  name: 'data-driven',
  title: 'data-driven',
  tagline: 'from the best data-set image',
  paper: 'the maximising-images paper (000)',
  defaults:
    '60 steps (or --estimate-steps), at most 1% of the range per pixel per step, step filter at 0.9 of the range',
  idea: 'Start from the data-set image that excites the unit most, take a few small gradient steps bounded per pixel, then remove the faint residue with a step filter. The picture stays close to natural data and needs far fewer steps than an ascent from a blank image.',
  options: {
    'estimate-steps': {
      type: 'bool',
      help: "set the step count from the layer's unimodal units (§3–4)",
    },
    compare: {
      type: 'bool',
      help: 'also measure steps/time to 90% of the final activation from a blank image',
    },
    threshold: {
      type: 'number',
      help: 'step-filter threshold, fraction of the range (library default 0.9)',
    },
  },
  needs: { data: () => 'starts from data-set images' },
  args: (req, o, { model, data }): DataDrivenRun => {
    const a: DataDrivenArgs = { ...req, data: data!, threshold: o.threshold, stepFraction: req.lr };
    return { ...(o['estimate-steps'] ? layerSteps(model, a) : a), compare: o.compare };
  },
  params: (_, a) => dataDrivenParams(a),
  batch: () => ({ copies: 1, what: 'start', chunkable: false, rows: 1 }),
  steps: dataDrivenSteps,
  extras: (r: DataDrivenResult, a: DataDrivenRun, { model }) => ({
    json: {
      ...(a.stepEstimate ? { stepEstimate: a.stepEstimate } : {}),
      starts: r.starts,
      startActivations: r.startActivations,
      ascentActivations: r.ascentActivations,
      ...(a.compare ? { comparison: compareWithBlank(model, a) } : {}),
    },
  }),
  interactive: false,
  compare: false,
});
