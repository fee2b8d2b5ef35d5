/**
 * `transforms`: the loop's transform hooks, (x, step) → x, applied to the image every step
 * (robustness). A hook called again for the same step draws the same (engine/rng.ts's
 * rewindPerStep: a pass ahead of the tape made that step's images); a new step draws anew.
 */
export { randomCrops, cropResize, toModelSize } from '../transforms/crops.js';
