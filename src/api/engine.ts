/**
 * `engine`: the backend (wasm by default in Node), its memory budget, the mode (deepvis's patches
 * or stock tfjs), seeded randomness, backward-rule swaps and reading tensors out of a tidy scope.
 */
export { initEngine, BACKENDS, type BackendName, type EngineArgs, type EngineInfo } from '../engine/backend.js';
export { Rng } from '../engine/rng.js';
export { oneHot } from '../engine/one_hot.js';
export { itemOf, tidyData } from '../engine/read.js';
export { withRules, type BackwardRules, type ReluRule, type Unpool } from '../engine/rules.js';
