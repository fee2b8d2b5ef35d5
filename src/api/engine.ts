/**
 * `engine`: the backend (wasm by default in Node), its memory budget, the mode (deepvis's patches
 * or stock tfjs), the gradient engine (onnxruntime or tfjs, for ONNX models) and onnxruntime-web for the page, the shape of an engine that runs graphs only asynchronously (WebGPU: VisModel.useAsyncGraphs), seeded randomness, backward-rule swaps and reading tensors out of a tidy scope.
 */
export {
  initEngine,
  BACKENDS,
  type BackendName,
  type EngineArgs,
  type EngineInfo,
} from '../engine/backend.js';
export { Rng } from '../engine/rng.js';
export { oneHot } from '../engine/one_hot.js';
export { itemOf, tidyData } from '../engine/read.js';
export { withRules, type BackwardRules, type ReluRule, type Unpool } from '../engine/rules.js';
export {
  GRADIENT_ENGINES,
  setGradientMemory,
  type GradientEngineChoice,
  type GradientMemory,
} from '../engine/gradient_engine.js';
export { OrtWeb, ORT_WEB_VERSION, type OrtWebOptions } from '../engine/onnxruntime_web.js';
export type { AsyncGraphs, GraphFile, HostArray } from '../engine/forward_runner.js';
