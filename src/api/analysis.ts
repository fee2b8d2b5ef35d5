/**
 * `analysis`: units seen through data — top-k examples with receptive fields (streaming,
 * mergeable), specificity, sensitivity, occlusion, linear combinations, embeddings, activations,
 * and the data-driven method's experiments.
 */
export { datasetMax, meanNorm } from '../analysis/dataset_max.js';
export {
  receptiveFields,
  boxAt,
  crop,
  type Box,
  type ReceptiveFields,
} from '../analysis/receptive_field.js';
export {
  scanTopK,
  layerTopK,
  entryCrop,
  scannableLayers,
  type TopKIndex,
  type LayerTopK,
} from '../analysis/scan.js';
export { occlusion, type OcclusionMap } from '../analysis/occlusion.js';
export { specificity, type LayerSpecificity } from '../analysis/specificity.js';
export { sensitivity } from '../analysis/sensitivity.js';
export { linearCombination } from '../analysis/linear_combination.js';
export { embed, knnAccuracy } from '../analysis/embedding.js';
export {
  activationsOf,
  topPredictions,
  predictionsFrom,
  type LayerActivations,
  type Prediction,
} from '../analysis/activations.js';
export { estimateSteps, compareWithBlank } from '../analysis/data_driven_steps.js';
export { isolatedPixels, noiseOnsets } from '../analysis/noise.js';
export {
  classTokenEntropy,
  concentration,
  meanAttentionDistance,
} from '../analysis/attention_stats.js';
