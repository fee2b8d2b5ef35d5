/**
 * Attention maps (Dosovitskiy et al. 2021, §4.5; Caron et al. 2021's DINO figures): one block's
 * attention from the class token to the patch tokens — one head, or the heads fused — on the
 * patch grid, brought to the input's size. What the class token looks at in that block; not an
 * explanation of the output (rollout and Chefer et al. carry it through the blocks).
 */
import { DeepvisError } from '../errors.js';
import { defineAttribution } from './method.js';
import { attentionLack, attentionMap, heatExplanation } from './transformer_maps.js';

export const attentionMethod = defineAttribution({
  name: 'attention',
  title: 'attention map',
  short: 'attn',
  paper: 'Dosovitskiy et al. 2021',
  summary: "one block's attention from the class token to the patches (a head, or the heads fused)",
  idea: "The map is one block's attention from the class token to each patch, for one head or the heads fused, upsampled from the patch grid to the input. It shows what the class token reads in that block, not why the output is what it is.",
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
    block: { type: 'int', help: 'the block (0 = first, −1 = last)', default: -1 },
    head: { type: 'string', help: "a head's number, or how the heads are fused", default: 'mean' },
  },
  explain: ({ model, x, options }) => {
    const head = /^\d+$/.test(options.head) ? Number(options.head) : options.head;
    if (typeof head === 'string' && !['mean', 'max', 'min'].includes(head))
      throw new DeepvisError(`--head must be a head's number or mean, max or min; got '${head}'`);
    return heatExplanation(
      attentionMap(model, x, {
        block: options.block,
        head: head as number | 'mean' | 'max' | 'min',
      }),
      x.shape[3],
    );
  },
});
