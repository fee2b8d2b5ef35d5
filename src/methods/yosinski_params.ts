/**
 * Yosinski et al. 2015's arguments and their resolution (`yosinskiParams`: what the run uses and
 * its JSON reports): the hyperparameter sets (Table 1's, yosinski_presets.ts), a factor on their
 * rates, and whether the rates are calibrated to the model (yosinski_rates.ts).
 */
import { checkLr } from '../optimize/divergence.js';
import type { UnitRequest } from './recipe.js';
import { YOSINSKI_DEFAULT_SET, YOSINSKI_PRESETS, type YosinskiSet } from './yosinski_presets.js';

export interface YosinskiArgs extends UnitRequest {
  /** Hyperparameter sets, run one after another. Default: the paper's best, Table 1's third row. */
  readonly sets?: readonly YosinskiSet[];
  /** Multiplies every set's step (constant: lr; progress: the target and max_lr) — the toolbox's rates were tuned on CaffeNet; default 1. */
  readonly lr?: number;
  /**
   * 'calibrated' (default): the toolbox's pixel-unit rates times the factor k at which its constant
   * lr 100 moves the start image by 1% of the range (RMS, median over the units) in the first step,
   * and a progress set's step never larger than that constant one. The rates were tuned on
   * CaffeNet; at the literal rates ('toolbox') the image hardly moves on a small model (set 3
   * reached 1% of the best MNIST digit's activation), and the progress target (2.0 activation
   * units) overshoots a unit whose activations are of order 1.
   */
  readonly rates?: 'calibrated' | 'toolbox';
  /** `steps` (from UnitRequest), when given, replaces every set's own iteration count. */
}

export function yosinskiParams(args: Omit<YosinskiArgs, 'layer' | 'units'>) {
  checkLr(args.lr);
  const sets = (args.sets ?? [YOSINSKI_PRESETS[YOSINSKI_DEFAULT_SET]]).map((s) =>
    args.steps != null ? { ...s, steps: args.steps } : s,
  );
  return {
    method: 'yosinski',
    steps: sets.reduce((n, s) => n + s.steps, 0),
    lrScale: args.lr ?? 1,
    rates: args.rates ?? 'calibrated',
    sets,
    seed: args.seed ?? 0,
  };
}
