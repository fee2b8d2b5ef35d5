/**
 * deepvis — the library, the same in Node and the browser, as namespaces of documented entry
 * points: `featureVis` (synthesize what units respond to), `attribution` (what in an input drives a
 * target), `metrics` (how far to trust either), `models` (every format as one VisModel), `data`,
 * `render`, `analysis` (units seen through data), `objectives`, `param`, `transforms`, `train` and
 * `engine`. Node-only pieces (files, sharp, data sets on disk) are in `deepvis/node` (src/node.ts).
 *
 *   await initEngine();
 *   const model = await models.loadModelFromUrl('model.json');
 *   const r = featureVis.erhan(model, { layer: models.layerRef('conv2', { pre: true }), units: [0, 1, 2] });
 *   const a = attribution.attribute(model, x, { method: 'smoothgrad', options: { samples: 16 } });
 *   r.dispose();
 */
export { DeepvisError } from './errors.js';
export {
  initEngine,
  type BackendName,
  type EngineArgs,
  type EngineInfo,
} from './engine/backend.js';
export { layerRef, type LayerRef } from './model/layer_lookup.js';
export type {
  VisModel,
  UnitGradientGraph,
  LayerInfo,
  InputSpec,
  InputOverrides,
  DeepvisMetadata,
  ChannelOrder,
} from './model/types.js';
export type { ImageSet } from './data/dataset.js';
export type { RgbaImage } from './render/image.js';
export type { StepInfo } from './optimize/loop.js';
export type { Steps } from './optimize/drive.js';
export type { OptionSpec, OptionSpecs, OptionValues, Options } from './options.js';

export * as featureVis from './api/feature_vis.js';
export * as attribution from './api/attribution.js';
export * as metrics from './api/metrics.js';
export * as models from './api/models.js';
export * as data from './api/data.js';
export * as render from './api/render.js';
export * as analysis from './api/analysis.js';
export * as objectives from './api/objectives.js';
export * as param from './api/param.js';
export * as transforms from './api/transforms.js';
export * as train from './api/train.js';
export * as engine from './api/engine.js';
