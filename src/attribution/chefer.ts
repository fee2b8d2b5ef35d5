/**
 * Gradient-weighted attention (Chefer et al. 2021, "Generic Attention-model Explainability"): per
 * block the mean over heads of clamp(∂score/∂A ⊙ A, 0), accumulated as R ← R + cam·R from R = I;
 * the class token's row over the patches is the map. Class-specific, unlike rollout.
 */
import { defineAttribution } from './method.js';
import { attentionLack, cheferMap, heatExplanation } from './transformer_maps.js';

export const cheferMethod = defineAttribution({
  name: 'chefer',
  title: 'gradient-weighted attention',
  short: 'Chefer',
  paper: 'Chefer et al. 2021',
  summary:
    "the blocks' attention weighted by the target's gradient, accumulated R ← R + relu(∇A ⊙ A)·R",
  idea: "Every block's attention is weighted by the target's gradient with respect to it, the positive part averaged over the heads, and the blocks are accumulated as in rollout. Unlike rollout the map is class-specific: it keeps the attention that raises the target's score.",
  signed: false,
  display: 'heat',
  access: 'gradient',
  transformer: true,
  cannot: (model) =>
    attentionLack(model)
      ? `need a vision transformer with global attention (${attentionLack(model)})`
      : null,
  options: {},
  explain: ({ model, x, target }) => heatExplanation(cheferMap(model, x, target), x.shape[3]),
});
