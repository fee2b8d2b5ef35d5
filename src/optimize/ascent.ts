/**
 * Bounded ascent from given images (the maximising-images paper §4): no pixel moves more than `stepFraction` of the
 * input range in a step (the L∞ rule), pixels stay in the range, the final images are kept. The
 * data-driven method and its experiments (analysis/data_driven_steps.ts) run exactly this.
 */
import type * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../model/types.js';
import type { Objective } from '../objectives/objective.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import type { Steps } from './drive.js';
import { optimizeOwned, type OptimizeResult, type StepInfo } from './loop.js';

export interface BoundedAscentArgs {
  readonly steps: number;
  /** Largest pixel move per step, as a fraction of the range; default 0.01 (the maximising-images paper). */
  readonly stepFraction?: number;
  readonly onStep?: (info: StepInfo) => void;
  readonly signal?: { readonly aborted: boolean };
}

/** `init` is copied (the caller keeps it); the result's images are the caller's. */
export function boundedAscentSteps(
  model: VisModel,
  init: tf.Tensor4D,
  objective: Objective,
  args: BoundedAscentArgs,
): Steps<OptimizeResult> {
  const range = model.input.range;
  return optimizeOwned(model, pixels(init), objective, {
    steps: args.steps,
    lr: (args.stepFraction ?? 0.01) * (range[1] - range[0]),
    rule: 'linf',
    projections: [clampRange(range)],
    keep: 'last',
    onStep: args.onStep,
    signal: args.signal,
  });
}
