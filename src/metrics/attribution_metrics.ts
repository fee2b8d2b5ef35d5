/**
 * The attribution metrics as one namespace (`metrics.deletion(…)`, `metrics.mprt(…)`), what the
 * library exports, in Quantus's categories: faithfulness (deletion, insertion, MuFidelity, ROAD,
 * pixel flipping, faithfulness correlation, infidelity), robustness (max-sensitivity, local
 * Lipschitz), randomisation (MPRT cascading/independent, smooth and efficient MPRT, random logit,
 * data randomization), complexity (sparseness, complexity), localisation (pointing game, relevance
 * mass and rank) and the methods × metrics evaluation the CLI's `evaluate` prints.
 */
import { causalFidelity, type CausalArgs } from './causal.js';
import type { MetricContext } from './metric_context.js';

export const deletion = (ctx: MetricContext, args?: CausalArgs) =>
  causalFidelity(ctx, 'deletion', args);
export const insertion = (ctx: MetricContext, args?: CausalArgs) =>
  causalFidelity(ctx, 'insertion', args);
export { causalFidelity } from './causal.js';
export { muFidelity } from './mufidelity.js';
export { road, noisyLinearImpute } from './road.js';
export { infidelity, maxSensitivity } from './robustness.js';
export { mprt, dataRandomization, randomizeLayer, parameterLayers } from './randomization.js';
export {
  evaluateAttributions,
  explainerFor,
  METRICS,
  LABEL_METRICS,
  MASK_METRICS,
  METRIC_CATEGORY,
  type EvaluationReport,
  type MetricName,
  type MetricSettings,
} from './evaluate.js';
export { localisation, type LocalisationMetric } from './localisation.js';
export { complexityMetric, gini, entropy } from './complexity.js';
export { pixelFlipping, faithfulnessCorrelation } from './faithfulness.js';
export { localLipschitz } from './lipschitz.js';
export { randomLogit, smoothMprt, efficientMprt, ssim1d, histogramEntropy } from './sanity.js';
export { spearman, summarize, auc } from './stats.js';
export type { Explainer, Maps, MetricContext, MetricResult } from './metric_context.js';
