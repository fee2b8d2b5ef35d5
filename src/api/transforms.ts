/** `transforms`: (x, rng) → x, applied to the image every step (robustness). */
export { randomCrops, cropResize, toModelSize } from '../transforms/crops.js';
