/**
 * deepvis — the library, the same in Node and the browser. Node-only pieces (files, sharp, data
 * sets on disk) are in `deepvis/node` (src/node.ts).
 */
export { DeepvisError } from './errors.js';
export { initEngine, BACKENDS, type BackendName, type EngineArgs, type EngineInfo } from './engine/backend.js';
export { Rng } from './engine/rng.js';
export type { VisModel, LayerInfo, InputSpec, InputOverrides, DeepvisMetadata, ChannelOrder } from './model/types.js';
export { fromLayersModel } from './model/layers_adapter.js';
export { fromGraphModel } from './model/graph_adapter.js';
export { visModelFromArtifacts, detectFormat } from './model/from_artifacts.js';
export { loadModelFromUrl, loadModelFromFiles } from './model/from_url.js';
export { gradientCheck } from './model/gradient_check.js';
export { Objective, sum } from './objectives/objective.js';
export { units, unitScores, checkUnits } from './objectives/units.js';
export { pixels, type Param } from './param/pixels.js';
export { normProjection, clampRange, type Projection } from './projections/projections.js';
export { optimize, type OptimizeArgs, type OptimizeResult, type StepInfo } from './optimize/loop.js';
export { erhan, type ErhanArgs, type ErhanResult } from './methods/erhan.js';
export { datasetMax, meanNorm } from './analysis/dataset_max.js';
export { receptiveFields, boxAt, cropValues, cropFixed, type Box, type ReceptiveFields } from './analysis/receptive_field.js';
export type { ImageSet } from './data/dataset.js';
export { split, subset, batchTensor } from './data/dataset.js';
export { buildClassifier } from './train/architectures.js';
export { fitClassifier, evaluate } from './train/fit.js';
export { toImage, diverging, upscale, blank, type RgbaImage, type Normalize } from './render/image.js';
export { grid, type GridArgs } from './render/grid.js';
