/**
 * The attribution metrics as one namespace (`metrics.deletion(…)`, `metrics.mprt(…)`), what the
 * library exports: faithfulness (deletion, insertion, MuFidelity, ROAD, infidelity), robustness
 * (max-sensitivity), sanity checks (MPRT cascading/independent, data randomization) and the
 * methods × metrics evaluation the CLI's `evaluate` prints.
 */
import { causalFidelity, type CausalArgs } from './causal.js';
import type { MetricContext } from './metric_context.js';

export const deletion = (ctx: MetricContext, args?: CausalArgs) => causalFidelity(ctx, 'deletion', args);
export const insertion = (ctx: MetricContext, args?: CausalArgs) => causalFidelity(ctx, 'insertion', args);
export { causalFidelity } from './causal.js';
export { muFidelity } from './mufidelity.js';
export { road, noisyLinearImpute } from './road.js';
export { infidelity, maxSensitivity } from './robustness.js';
export { mprt, dataRandomization, randomizeLayer, parameterLayers } from './randomization.js';
export { evaluateAttributions, explainerFor, METRICS, LABEL_METRICS, type EvaluationReport, type MetricName } from './evaluate.js';
export { spearman, summarize, auc } from './stats.js';
export type { Explainer, Maps, MetricContext, MetricResult } from './metric_context.js';
