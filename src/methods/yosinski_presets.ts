/**
 * Yosinski et al. 2015 (seed 004): the four hyperparameter sets the paper picked out of a random
 * search of 300, and `randomPresets`, which draws sets over the ranges that search covered.
 */
import { Rng } from '../engine/rng.js';

export interface YosinskiSet {
  readonly decay: number;
  readonly blurRadius: number;
  readonly blurEvery: number;
  readonly normPct: number;
  readonly contributionPct: number;
}

/** The paper's four sets (decay, blur radius, blur every, norm pct, contribution pct). */
export const YOSINSKI_PRESETS: readonly YosinskiSet[] = [
  { decay: 0, blurRadius: 0.5, blurEvery: 4, normPct: 50, contributionPct: 0 },
  { decay: 0.3, blurRadius: 0, blurEvery: 0, normPct: 20, contributionPct: 0 },
  { decay: 0.0001, blurRadius: 1.0, blurEvery: 4, normPct: 0, contributionPct: 0 },
  { decay: 0, blurRadius: 0.5, blurEvery: 4, normPct: 0, contributionPct: 90 },
];

/** Random sets over the ranges the paper searched (each regularizer on or off at random). */
export function randomPresets(count: number, seed = 0): YosinskiSet[] {
  const rng = new Rng(seed);
  const on = () => rng.next() < 0.5;
  return Array.from({ length: count }, () => ({
    decay: on() ? +(10 ** rng.uniform(-4, -0.5)).toPrecision(2) : 0,
    blurRadius: on() ? +rng.uniform(0.3, 1.2).toFixed(2) : 0,
    blurEvery: 1 + rng.int(8),
    normPct: on() ? Math.round(rng.uniform(0, 60)) : 0,
    contributionPct: on() ? Math.round(rng.uniform(0, 95)) : 0,
  }));
}
