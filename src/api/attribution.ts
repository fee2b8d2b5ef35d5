/**
 * `attribution`: which parts of an input drive a target. `attribute(model, x, { method, … })` runs
 * any method of the registry (`methods`, `method(name)`) and returns plain numbers; the methods are
 * values (facts, options, map) and compose: `noiseTunnel(m, …)` (SmoothGrad, SmoothGrad², VarGrad
 * over any method), `camMethod({ weights })` (a CAM from its weights function). Targets: a unit
 * (a class logit), its probability, a layer's sum, a region, cosine to a reference embedding.
 */
export { attribute, type AttributeArgs, type Attribution } from '../attribution/attribute.js';
export { ATTRIBUTIONS as methods, attributionMethod as method } from '../attribution/registry.js';
export {
  defineAttribution,
  type AnyAttribution,
  type AttributionMethod,
  type ExplainContext,
  type Explanation,
  type LayerNeed,
} from '../attribution/method.js';
export {
  noiseTunnel,
  smoothGrad,
  NOISE_TUNNEL_DEFAULTS,
  type Aggregate,
} from '../attribution/noise_tunnel.js';
export {
  camMethod,
  camMap,
  defaultCamLayer,
  type CamInputs,
  type CamSpec,
} from '../attribution/cam.js';
export { gradCam } from '../attribution/cams.js';
export {
  saliency,
  guidedBackprop,
  deconvnet,
  integratedGradients,
  type IntegratedGradientsArgs,
} from '../attribution/gradients.js';
export { gradientTimesInput, occlusionMap } from '../attribution/input_methods.js';
export {
  resolveTarget,
  targetScores,
  READING_KINDS,
  type ReadingKind,
  type ResolvedTarget,
  type TargetReading,
  type TargetSpec,
} from '../objectives/target.js';
export { withRules, type BackwardRules, type ReluRule, type Unpool } from '../engine/rules.js';
export {
  attentionBlocks,
  attentionLack,
  attentionMap,
  cheferMap,
  headMap,
  rolloutMap,
  type AttentionMapArgs,
  type RolloutArgs,
} from '../attribution/transformer_maps.js';
