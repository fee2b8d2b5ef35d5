/**
 * `models`: one VisModel over every format — tfjs layers and graph models, ONNX, Keras — from
 * memory, bytes, URLs or files (Node's loadModel in `deepvis/node`); layer references (`layerRef`:
 * 'dense1', or its pre-activation 'dense1:pre'), the model's neutral input, a gradient check.
 */
export { fromLayersModel } from '../model/layers_adapter.js';
export { fromGraphModel } from '../model/graph_adapter.js';
export { visModelFromArtifacts, detectFormat } from '../model/from_artifacts.js';
export { loadModelFromUrl, loadModelFromFiles, type PageNativeEngine } from '../model/from_url.js';
export { visModelFromBytes, parseSidecar, SINGLE_FILE_MODEL } from '../model/from_bytes.js';
export { gradientCheck } from '../model/gradient_check.js';
export {
  layerRef,
  parseRef,
  refName,
  optimizedLayer,
  type LayerRef,
} from '../model/layer_lookup.js';
export { neutral } from '../model/neutral.js';
export type {
  VisModel,
  UnitGradientGraph,
  LayerInfo,
  InputSpec,
  InputOverrides,
  DeepvisMetadata,
  ChannelOrder,
} from '../model/types.js';
