/**
 * `metrics`: how far to trust a picture. Attribution metrics (faithfulness: deletion, insertion,
 * MuFidelity, ROAD, infidelity; robustness: max-sensitivity; sanity: MPRT, data randomization) and
 * the methods × metrics evaluation; quality scores of optimized images (relative activation,
 * plausibility, path) and the diagnosis of a blank one.
 */
export * from '../metrics/attribution_metrics.js';
export { imageQuality, meanQuality, qualityLabel, type ImageQuality } from '../metrics/quality.js';
export {
  qualityReference,
  pathLayers,
  type QualityReference,
} from '../metrics/quality_reference.js';
export {
  diagnoseBlank,
  startGradient,
  type BlankDiagnosis,
  type BlankCause,
} from '../metrics/blank.js';
