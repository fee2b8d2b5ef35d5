/**
 * Patch-token similarity as an attribution row (the DINO papers' picture: Caron et al. 2021;
 * Oquab et al. 2023): the cosine similarity of every patch token of a hidden layer to one query
 * token — the class token, or a patch x,y of the grid — over the input. It does not explain a
 * class score; it shows what the layer groups with the query (on a self-supervised model, the
 * object the query patch lies on). The layer is the CAM layer (--cam-layer; default the last
 * block's first norm on a ViT, the last feature map on a CNN, whose positions are its tokens).
 */
import { tokenSimilarity, type TokenQuery } from '../analysis/token_similarity.js';
import { DeepvisError } from '../errors.js';
import type { LayerInfo } from '../model/types.js';
import { SPATIAL_LAYER } from './cam.js';
import { defineAttribution } from './method.js';
import { heatExplanation } from './transformer_maps.js';

/** --query: 'cls', 'center', or a grid position 'x,y'; 'auto' is the class token where the layer has one, else the centre. */
export function tokenQuery(text: string, layer: LayerInfo): TokenQuery {
  const [h, w] = layer.outputShape;
  const q = text === 'auto' ? (layer.tokens && layer.tokens.prefix > 0 ? 'cls' : 'center') : text;
  if (q === 'cls') return 'cls';
  if (q === 'center') return [Math.floor(w / 2), Math.floor(h / 2)];
  const m = /^(\d+),(\d+)$/.exec(q);
  if (!m)
    throw new DeepvisError(
      `--query takes cls, center or a patch x,y of the ${w}×${h} grid; got '${text}'`,
    );
  return [Number(m[1]), Number(m[2])];
}

export const tokenSimilarityMethod = defineAttribution({
  name: 'token-similarity',
  title: 'patch-token similarity',
  short: 'sim',
  paper: 'Caron et al. 2021',
  summary:
    "cosine similarity of a layer's patch tokens to the class token or a chosen patch (DINO's picture; not target-specific)",
  idea: 'Every patch token of a hidden layer is compared with one query token, the class token or a chosen patch, by cosine similarity, and the similarities are laid out on the input. It explains no class score: it shows what the layer groups with the query, on a self-supervised model the object the query patch lies on.',
  signed: true,
  display: 'heat',
  access: 'forward',
  readings: ['unit'],
  layer: SPATIAL_LAYER,
  options: {
    query: {
      type: 'string',
      help: 'the query token: cls, center or a grid position x,y (auto: the class token where there is one)',
      default: 'auto',
    },
  },
  explain: ({ model, x, options, layer }) =>
    heatExplanation(
      tokenSimilarity(model, x, layer!, tokenQuery(options.query, layer!)),
      x.shape[3],
    ),
});
