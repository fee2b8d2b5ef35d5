/**
 * Yosinski et al. 2015: the four hyperparameter sets of the paper's Table 1, each with
 * the iteration count and learning-rate policy the Deep Visualization Toolbox gives for it
 * (yosinski/deep-visualization-toolbox, doc/running-optimize-image.md: "in the same order as
 * Table 1"), and `randomPresets`, which draws sets for the paper's random search.
 *
 * Units: the toolbox optimizes CaffeNet's 0–255 mean-subtracted pixels. Its learning rates are in
 * those units; yosinski.ts rescales them to a model's own range (a plain ascent step x += lr·g
 * becomes lr·s² for pixels scaled by s). The 'progress' policy's target is in activation units.
 */
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';

export type LrPolicy =
  /** x += lr·g. */
  | { readonly policy: 'constant'; readonly lr: number }
  /** x += min(maxLr, progress/‖g‖²)·g: a step the linearized unit says raises it by `progress`. */
  | { readonly policy: 'progress'; readonly maxLr: number; readonly progress: number };

export interface YosinskiSet {
  readonly decay: number;
  readonly blurRadius: number;
  readonly blurEvery: number;
  readonly normPct: number;
  readonly contributionPct: number;
  /** The toolbox's --max-iter for this set. */
  readonly steps: number;
  /** The toolbox's --lr-policy / --lr-params, in 0–255 pixel units. */
  readonly lr: LrPolicy;
}

/** Table 1, rows 1–4, with the toolbox's iterations and learning-rate policies for each. */
export const YOSINSKI_PRESETS: readonly YosinskiSet[] = [
  {
    decay: 0,
    blurRadius: 0.5,
    blurEvery: 4,
    normPct: 50,
    contributionPct: 0,
    steps: 500,
    lr: { policy: 'progress', maxLr: 100, progress: 2 },
  },
  {
    decay: 0.3,
    blurRadius: 0,
    blurEvery: 0,
    normPct: 20,
    contributionPct: 0,
    steps: 750,
    lr: { policy: 'constant', lr: 100 },
  },
  {
    decay: 0.0001,
    blurRadius: 1.0,
    blurEvery: 4,
    normPct: 0,
    contributionPct: 0,
    steps: 1000,
    lr: { policy: 'constant', lr: 100 },
  },
  {
    decay: 0,
    blurRadius: 0.5,
    blurEvery: 4,
    normPct: 0,
    contributionPct: 90,
    steps: 1000,
    lr: { policy: 'progress', maxLr: 1e8, progress: 2 },
  },
];

/**
 * The set the paper found best: fig. 4's lower-left image, Table 1's third row — "the ones used for
 * most of the images in the paper" (the toolbox's documentation).
 */
export const YOSINSKI_DEFAULT_SET = 2;

/**
 * The search's ranges. The paper reports a random search of 300 combinations but not the ranges it
 * drew from; these are the span of its Table 1 (each regularizer from off to the strongest value
 * the paper kept: decay up to 0.3, blur radius 0.5–1.0 — the toolbox warns that radii under 0.3
 * work poorly — every 4 steps, norm percentile up to 50, contribution percentile up to 90), and
 * each draw takes the iterations and learning-rate policy of one of Table 1's rows.
 */
export const SEARCH_RANGES = {
  decay: [1e-4, 0.3],
  blurRadius: [0.5, 1.0],
  blurEvery: 4,
  normPct: [0, 50],
  contributionPct: [0, 90],
} as const;

/** Random sets over SEARCH_RANGES, each regularizer on or off at random (off is a value the paper uses for every one). */
export function randomPresets(count: number, seed = 0): YosinskiSet[] {
  const rng = new Rng(seed);
  const on = () => rng.next() < 0.5;
  const r = SEARCH_RANGES;
  return Array.from({ length: count }, () => {
    const decay = on()
      ? +(10 ** rng.uniform(Math.log10(r.decay[0]), Math.log10(r.decay[1]))).toPrecision(2)
      : 0;
    const blur = on();
    const blurRadius = blur ? +rng.uniform(r.blurRadius[0], r.blurRadius[1]).toFixed(2) : 0;
    const normPct = on() ? Math.round(rng.uniform(r.normPct[0], r.normPct[1])) : 0;
    const contributionPct = on()
      ? Math.round(rng.uniform(r.contributionPct[0], r.contributionPct[1]))
      : 0;
    const row = YOSINSKI_PRESETS[rng.int(YOSINSKI_PRESETS.length)];
    return {
      decay,
      blurRadius,
      blurEvery: blur ? r.blurEvery : 0,
      normPct,
      contributionPct,
      steps: row.steps,
      lr: row.lr,
    };
  });
}

/** The sets a `preset` ('1'–'4', 'all') or a `search` count name; undefined (the default set) when neither is given. */
export function presetSets(
  o: { readonly preset?: string; readonly search?: number },
  seed: number,
): YosinskiSet[] | undefined {
  if (o.search != null) return randomPresets(o.search, seed);
  const p = o.preset;
  if (p == null) return undefined;
  if (p === 'all') return [...YOSINSKI_PRESETS];
  const k = Number(p);
  if (!Number.isInteger(k) || k < 1 || k > 4)
    throw new DeepvisError(`--preset must be 1, 2, 3, 4 or 'all'; got '${p}'`);
  return [YOSINSKI_PRESETS[k - 1]];
}

/** A set in a few characters, for a grid's row label. */
export const setLabel = (s: YosinskiSet) =>
  `d${s.decay} b${s.blurRadius}/${s.blurEvery} n${s.normPct} c${s.contributionPct} ${s.steps}× ${s.lr.policy === 'constant' ? `lr ${s.lr.lr}` : `prog ${s.lr.progress}≤${s.lr.maxLr.toExponential(0)}`}`;
