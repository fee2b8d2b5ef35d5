/**
 * The attribution methods, each once (method.ts: a method is a value). `attribute`, the CLI's
 * `attribute` and `evaluate` (choices, flags, help, drawing, which need a conv layer), the
 * invariants table and the docs read this list and nothing else: a new method is its file and a
 * row. The order is the order of `--method all`'s columns.
 */
import { byName } from '../errors.js';
import { ablationCamMethod } from './ablation_cam.js';
import {
  gradCamMethod,
  gradCamPlusPlusMethod,
  guidedGradCamMethod,
  hiResCamMethod,
  layerCamMethod,
  scoreCamMethod,
  xGradCamMethod,
} from './cams.js';
import { eigenCamMethod, eigenGradCamMethod } from './eigen_cams.js';
import { fullGradMethod } from './fullgrad.js';
import {
  deconvnetMethod,
  guidedMethod,
  integratedGradientsMethod,
  saliencyMethod,
} from './gradients.js';
import { ablationMethod } from './ablation.js';
import { deepLiftMethod, deepShapMethod, gradientShapMethod } from './deeplift.js';
import { hsicMethod } from './hsic.js';
import { kernelShapMethod } from './kernel_shap.js';
import { limeMethod } from './lime.js';
import { riseMethod } from './rise.js';
import { sobolMethod } from './sobol.js';
import { gradientInputMethod, occlusionMethod } from './input_methods.js';
import {
  lrpAlpha2Beta1Method,
  lrpEpsilonGammaBoxMethod,
  lrpEpsilonMethod,
  lrpEpsilonPlusFlatMethod,
} from './lrp.js';
import type { AnyAttribution } from './method.js';
import { smoothGrad2Method, smoothGradMethod, varGradMethod } from './noise_tunnel.js';
import { attentionMethod } from './attention.js';
import { cheferMethod } from './chefer.js';
import { rolloutMethod } from './rollout.js';
import { tokenSimilarityMethod } from './token_similarity.js';

export const ATTRIBUTIONS: readonly AnyAttribution[] = [
  saliencyMethod,
  guidedMethod,
  deconvnetMethod,
  smoothGradMethod,
  integratedGradientsMethod,
  gradCamMethod,
  guidedGradCamMethod,
  gradCamPlusPlusMethod,
  scoreCamMethod,
  layerCamMethod,
  gradientInputMethod,
  smoothGrad2Method,
  varGradMethod,
  occlusionMethod,
  lrpEpsilonMethod,
  lrpEpsilonPlusFlatMethod,
  lrpEpsilonGammaBoxMethod,
  lrpAlpha2Beta1Method,
  deepLiftMethod,
  deepShapMethod,
  gradientShapMethod,
  kernelShapMethod,
  limeMethod,
  riseMethod,
  sobolMethod,
  hsicMethod,
  ablationMethod,
  hiResCamMethod,
  xGradCamMethod,
  eigenCamMethod,
  eigenGradCamMethod,
  ablationCamMethod,
  fullGradMethod,
  attentionMethod,
  rolloutMethod,
  cheferMethod,
  tokenSimilarityMethod,
];

/** The method of that name; an unknown name is one line listing the known ones. */
export const attributionMethod = (name: string): AnyAttribution => byName(ATTRIBUTIONS, name);
