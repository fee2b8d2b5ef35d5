/**
 * Attention rollout (Abnar & Zuidema 2020): the blocks' attention, heads fused, the weakest share
 * of each dropped (jacobgil's vit-explain: 0.9), identity added for the residual stream, rows
 * renormalized, multiplied through the blocks; the class token's row over the patches is the map.
 * Class-agnostic: it shows where information flows from, not what a class reads.
 */
import { defineAttribution } from './method.js';
import { attentionLack, heatExplanation, rolloutMap } from './transformer_maps.js';

export const rolloutMethod = defineAttribution({
  name: 'rollout',
  title: 'attention rollout',
  short: 'rollout',
  paper: 'Abnar & Zuidema 2020',
  summary:
    'attention multiplied through the blocks (heads fused, weakest links dropped, residual added)',
  idea: "Each block's attention, heads fused and its weakest links dropped, gets the identity added for the residual stream, and the blocks' matrices are multiplied through the network. The class token's row of the product says which patches the output's information flows from, whatever the class.",
  signed: false,
  display: 'heat',
  access: 'forward',
  transformer: true,
  readings: ['unit'],
  cannot: (model) =>
    attentionLack(model)
      ? `need a vision transformer with global attention (${attentionLack(model)})`
      : null,
  options: {
    'head-fusion': {
      type: 'string',
      help: 'how the heads are fused',
      choices: ['mean', 'max', 'min'],
      default: 'mean',
    },
    discard: {
      type: 'number',
      help: "share of each block's weakest attention dropped, in [0, 1)",
      default: 0.9,
    },
  },
  explain: ({ model, x, options }) =>
    heatExplanation(
      rolloutMap(model, x, { fusion: options['head-fusion'], discard: options.discard }),
      x.shape[3],
    ),
});
