/**
 * The CAM family as weights functions on the base (cam.ts), each a few lines:
 * - Grad-CAM (Selvaraju et al. 2017): w_k = the spatial mean of ∂score/∂A_k;
 * - Grad-CAM++ (Chattopadhay et al. 2018), in the closed form pytorch-grad-cam uses:
 *   α = g² / (2g² + Σ_ij A · g³), w_k = Σ_ij α · ReLU(g);
 * - Layer-CAM (Jiang et al. 2021): w = ReLU(g), a weight per position;
 * - Score-CAM (Wang et al. 2020), as the authors' code does it: each channel, upsampled and min–max
 *   normalized to [0, 1], masks the input (blended toward the model's neutral value, which is the
 *   authors' x ⊙ M on a zero-background input); w_k = the target's softmax probability on that
 *   masked input. K forward passes per image, chunked over channels (chunks.ts), so the answer
 *   does not depend on the chunk size;
 * - Guided Grad-CAM: guided backpropagation's map times Grad-CAM's;
 * - HiResCAM (Draelos & Carin 2020): w = g, a weight per position (Layer-CAM without its ReLU):
 *   the map is the element-wise gradient × activation summed over channels;
 * - XGrad-CAM (Fu et al. 2020): w_k = Σ_ij g_ij A_ij / (Σ_ij A_ij + 1e-7), pytorch-grad-cam's form.
 */
import * as tf from '@tensorflow/tfjs';
import { neutral } from '../model/neutral.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import type { ResolvedTarget } from '../objectives/target.js';
import { camMap, camMethod, SPATIAL_LAYER, type CamInputs, type CamSpec } from './cam.js';
import { chunkRanges, defaultMaxBatch, outputScores } from './chunks.js';
import { guidedBackprop } from './gradients.js';
import { defineAttribution, type ExplainContext } from './method.js';

const GRAD_CAM: CamSpec = {
  name: 'gradcam',
  title: 'Grad-CAM',
  short: 'gradcam',
  paper: 'Selvaraju et al. 2017',
  summary: 'ReLU(Σ_k α_k A_k) with α_k the mean of ∂score/∂A_k',
  gradients: true,
  idea: 'Each channel of a convolutional layer is weighted by the mean gradient of the target over it; the weighted channels are summed and only the positive part is kept. The coarse map, upsampled to the input, shows where in the image the evidence for the target lies.',
  weights: ({ g }) => g!.mean([1, 2], true),
};

const GRAD_CAM_PP: CamSpec = {
  name: 'gradcam++',
  title: 'Grad-CAM++',
  short: 'gcam++',
  paper: 'Chattopadhay et al. 2018',
  summary: 'Grad-CAM with second-order channel weights',
  gradients: true,
  idea: 'Grad-CAM with channel weights that sum the positive gradients, each weighted by higher-order terms, instead of averaging them. Several instances of the evidence in one image then all count, and the map covers whole objects better.',
  weights: ({ a, g }) => {
    const [g2, g3] = [g!.square(), g!.square().mul(g!)];
    const denom = g2.mul(2).add(a.sum([1, 2], true).mul(g3));
    // α is 0/0 where the gradient is 0; pytorch-grad-cam sets it to 0 there.
    const alpha = tf.where(
      g!.notEqual(0),
      g2.div(tf.where(denom.notEqual(0), denom, tf.onesLike(denom))),
      tf.zerosLike(g!),
    );
    return alpha.mul(g!.relu()).sum([1, 2], true);
  },
};

const HIRES_CAM: CamSpec = {
  name: 'hirescam',
  idea: "Each channel's activation map is multiplied element-wise by the gradient of the target at the same positions before summing, instead of by the channel's average gradient. The map then reflects exactly the locations the score's linear approximation uses, as Grad-CAM does only on average.",
  title: 'HiResCAM',
  short: 'hirescam',
  paper: 'Draelos & Carin 2020',
  summary: 'ReLU(Σ_k ∂score/∂A_k ⊙ A_k): the gradient itself as a weight per position',
  gradients: true,
  weights: ({ g }) => g!,
};

const XGRAD_CAM: CamSpec = {
  name: 'xgradcam',
  idea: "Grad-CAM with each channel's gradients weighted by the channel's normalized activations, which makes the map satisfy sensitivity and conservation axioms. It is as cheap as Grad-CAM and usually closer to what the model uses.",
  title: 'XGrad-CAM',
  short: 'xgradcam',
  paper: 'Fu et al. 2020',
  summary: 'Grad-CAM with w_k = Σ_ij g·A / Σ_ij A (axiom-based channel weights)',
  gradients: true,
  weights: ({ a, g }) =>
    g!
      .mul(a)
      .sum([1, 2], true)
      .div(a.sum([1, 2], true).add(1e-7)),
};

const LAYER_CAM: CamSpec = {
  name: 'layercam',
  title: 'Layer-CAM',
  short: 'layercam',
  paper: 'Jiang et al. 2021',
  summary: 'ReLU(Σ_k ReLU(∂score/∂A_k) ⊙ A_k), a weight per position',
  gradients: true,
  idea: 'Every position of every channel gets its own weight, its positive gradient, instead of one weight per channel. The map keeps finer spatial detail, so it also works on earlier layers.',
  weights: ({ g }) => g!.relu(),
};

/** Score-CAM's weights [N, 1, 1, K]: the target's probability on the input masked by each upsampled, normalized channel. */
function scoreWeights({ model, x, target, layer, a, maxBatch }: CamInputs): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const k = layer.outputShape[2];
  const chunk = maxBatch ?? defaultMaxBatch(model, target.layer.name);
  const base = neutral(model);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const ti: ResolvedTarget = {
      ...target,
      units: [target.units[i]],
      neurons: target.neurons ? [target.neurons[i]] : undefined,
    };
    for (const [from, to] of chunkRanges(k, chunk)) {
      const s = tf.tidy(() => {
        // [kc, H, W, 1]: channel k's map, upsampled, as one row per channel.
        const up = tf.image
          .resizeBilinear(
            a.slice([i, 0, 0, from], [1, -1, -1, to - from]) as tf.Tensor4D,
            [h, w],
            true,
          )
          .transpose([3, 1, 2, 0]);
        const lo = up.min([1, 2, 3], true);
        const span = up.max([1, 2, 3], true).sub(lo);
        // A constant channel carries no location: its mask is empty (weight × map still counts).
        const mask = tf.where(
          span.greater(0),
          up.sub(lo).div(tf.where(span.greater(0), span, tf.onesLike(span))),
          tf.zerosLike(up),
        );
        const xi = x.slice([i, 0, 0, 0], [1, -1, -1, -1]);
        return outputScores(model, xi.sub(base).mul(mask).add(base) as tf.Tensor4D, ti);
      });
      scores.set(s.dataSync(), i * k + from);
      s.dispose();
    }
  }
  return tf.tensor4d(scores, [n, 1, 1, k]);
}

const SCORE_CAM: CamSpec = {
  name: 'scorecam',
  title: 'Score-CAM',
  short: 'scorecam',
  paper: 'Wang et al. 2020',
  summary: 'ReLU(Σ_k w_k A_k), w_k the probability on the input masked by channel k',
  gradients: false,
  idea: "Each channel of a convolutional layer, upsampled and normalized, masks the input, and the target's probability on that masked input is the channel's weight. It needs forward passes only, no gradient.",
  reluAfterUpsampling: true,
  weights: scoreWeights,
};

export const gradCamMethod = camMethod(GRAD_CAM);
export const gradCamPlusPlusMethod = camMethod(GRAD_CAM_PP);
export const layerCamMethod = camMethod(LAYER_CAM);
export const scoreCamMethod = camMethod(SCORE_CAM);
export const hiResCamMethod = camMethod(HIRES_CAM);
export const xGradCamMethod = camMethod(XGRAD_CAM);

export const guidedGradCamMethod = defineAttribution({
  name: 'guided-gradcam',
  title: 'guided Grad-CAM',
  short: 'g-cam',
  paper: 'Selvaraju et al. 2017',
  summary: "guided backpropagation's map times Grad-CAM's",
  idea: "Guided backpropagation's sharp pixel map multiplied by Grad-CAM's coarse, class-discriminative map. Grad-CAM says where the evidence is, guided backpropagation which details of it.",
  signed: false,
  display: 'pixels',
  access: 'rules',
  layer: SPATIAL_LAYER,
  options: {},
  explain: (ctx) => {
    const { map: cam, weights } = camMap(GRAD_CAM, ctx as ExplainContext & { layer: LayerInfo });
    weights.dispose();
    try {
      return {
        map: tf.tidy(
          () => guidedBackprop(ctx.model, ctx.x, ctx.target).mul(cam.expandDims(3)) as tf.Tensor4D,
        ),
      };
    } finally {
      cam.dispose();
    }
  },
});

/** Grad-CAM of a target, plain: the map [N, H, W] ≥ 0, the channel weights α [N, K] and the layer read; the caller disposes the tensors. */
export function gradCam(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  camLayer?: string,
): { map: tf.Tensor3D; weights: tf.Tensor2D; layer: LayerInfo } {
  const layer = camLayer ? model.layer(camLayer) : SPATIAL_LAYER.defaultFor(model, t, 'Grad-CAM');
  SPATIAL_LAYER.check(model, layer, t, 'Grad-CAM');
  const { map, weights } = camMap(GRAD_CAM, { model, x, target: t, layer, options: {}, seed: 0 });
  const flat = weights.reshape([x.shape[0], -1]) as tf.Tensor2D;
  weights.dispose();
  return { map, weights: flat, layer };
}
