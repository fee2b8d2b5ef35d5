/**
 * The class-activation-map base (pytorch-grad-cam's base_cam.py): read a spatial layer's
 * activations A [N, h, w, K] and, for gradient CAMs, ∂score/∂A (from an offset added to the
 * layer's output in the forward pass — VisModel.activations' `offset` — so it works on layers and
 * graph models alike); a method's weights function turns them into weights w (per channel
 * [N, 1, 1, K], or per position [N, h, w, K]); the map is ReLU(Σ_k w_k A_k), upsampled
 * (bilinear) to the input, ≥ 0. A CAM is its weights function (cams.ts). The default layer is the
 * last feature map before the target (Selvaraju et al. 2017); on a vision transformer, the last
 * block's first norm, its patch tokens on their grid.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { targetScores, type ResolvedTarget } from '../objectives/target.js';
import type { OptionSpecs } from '../options.js';
import {
  defineAttribution,
  type AnyAttribution,
  type ExplainContext,
  type LayerNeed,
} from './method.js';

/**
 * The layer CAMs read by default: the last feature map before the target, after its activation (a
 * ResNet block's output, not the shortcut's 1×1 conv nor a conv's pre-ReLU output in an ONNX
 * graph), with more channels than the target layer has units: a fully convolutional head's
 * class-score map (a 4×4×7 conv before the pool of a 7-class model) is the scores themselves, and
 * its CAM a band wherever the score map is large, not the features. Pooling only coarsens it. Else
 * the last layer with a spatial output.
 */
export function defaultCamLayer(
  model: VisModel,
  t: ResolvedTarget,
  method = 'Grad-CAM',
): LayerInfo {
  // A transformer: the last block's first norm (pytorch-grad-cam's ViT and Swin recipe) — the last
  // block's patch tokens get no gradient from a class-token head.
  const norm1 = model.transformer?.blocks
    .map((b) => b.norm1)
    .filter((n): n is string => n != null)
    .pop();
  if (norm1 && model.layer(norm1).index <= t.layer.index) return model.layer(norm1);
  const before = model.layers.filter(
    (l) =>
      l.index <= t.layer.index &&
      l.outputShape.length === 3 &&
      l.outputShape[0] > 1 &&
      !l.attention,
  );
  const maps = before.filter((l) => !/pool|pad|flatten|reshape|dropout/i.test(l.kind));
  const features = maps.filter((l) => l.outputShape[2] > t.layer.units);
  const last = features[features.length - 1] ?? maps[maps.length - 1] ?? before[before.length - 1];
  if (!last)
    throw new DeepvisError(
      `${method} needs a convolutional layer before '${t.layer.name}'; this model has none`,
    );
  return last;
}

/** How the default CAM layer is chosen, for the line the CLI prints and the JSON. */
export const DEFAULT_CAM_RULE =
  'the last spatial feature map before the target with more channels than it has classes';

/** A spatial layer before the target: what every CAM reads. */
export const SPATIAL_LAYER: LayerNeed = {
  kind: 'spatial',
  what: 'a convolutional layer',
  has: (model) => model.layers.some((l) => l.outputShape.length === 3 && l.outputShape[0] > 1),
  defaultFor: (model, t, method) => defaultCamLayer(model, t, method),
  check: (_, layer, t, method) => {
    if (layer.outputShape.length !== 3)
      throw new DeepvisError(`${method} needs a convolutional layer; '${layer.name}' is flat`);
    if (layer.attention)
      throw new DeepvisError(
        `${method} needs a feature map; '${layer.name}' holds attention probabilities (try --method chefer)`,
      );
    if (layer.index > t.layer.index)
      throw new DeepvisError(
        `${method} layer '${layer.name}' comes after the target layer '${t.layer.name}'`,
      );
  },
};

/** The layer's activations A and ∂score/∂A, both [N, h, w, K]. */
export function activationAndGradient(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  layer: string,
): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const [a] = model.activations(x, [layer]);
    const g = tf.grad((delta: tf.Tensor) => targetScores(model, x, t, { layer, delta }).sum())(
      tf.zerosLike(a),
    );
    return [a as tf.Tensor4D, g as tf.Tensor4D];
  });
}

/** What a weights function gets: the run's context, the layer, A, and ∂score/∂A for gradient CAMs. */
export interface CamInputs extends ExplainContext {
  readonly layer: LayerInfo;
  readonly a: tf.Tensor4D;
  readonly g: tf.Tensor4D | null;
}

export interface CamSpec {
  readonly name: string;
  readonly title: string;
  readonly short: string;
  readonly paper: string;
  readonly summary: string;
  /** The idea in two sentences (the method's `idea`). */
  readonly idea?: string;
  /** Whether the weights read ∂score/∂A (else forward passes only, as Score-CAM). */
  readonly gradients: boolean;
  readonly options?: OptionSpecs;
  /** ReLU after upsampling rather than before (Score-CAM, as its authors' code does). */
  readonly reluAfterUpsampling?: boolean;
  /** The weights w of Σ_k w_k A_k, per channel [N, 1, 1, K] or per position [N, h, w, K]. */
  weights?(c: CamInputs): tf.Tensor4D;
  /** Or the map before ReLU itself [N, h, w, 1], for a CAM that is not a weighted sum (EigenCAM: pytorch-grad-cam's get_cam_image). */
  image?(c: CamInputs): tf.Tensor4D;
}

/** A CAM's map [N, H, W] ≥ 0 at the input's size and its weights (a map's own CAM: ones); the caller disposes both. */
export function camMap(
  spec: CamSpec,
  ctx: ExplainContext & { readonly layer: LayerInfo },
): { map: tf.Tensor3D; weights: tf.Tensor4D } {
  const [, h, w] = ctx.x.shape;
  return tf.tidy(() => {
    const [a, g] = spec.gradients
      ? activationAndGradient(ctx.model, ctx.x, ctx.target, ctx.layer.name)
      : [ctx.model.activations(ctx.x, [ctx.layer.name])[0] as tf.Tensor4D, null];
    const inputs = { ...ctx, a, g };
    const weights = spec.weights
      ? spec.weights(inputs)
      : (tf.ones([a.shape[0], 1, 1, 1]) as tf.Tensor4D);
    const sum = spec.image ? spec.image(inputs) : (a.mul(weights).sum(3, true) as tf.Tensor4D);
    const up = (m: tf.Tensor4D) => tf.image.resizeBilinear(m, [h, w], true);
    const map = (spec.reluAfterUpsampling ? up(sum).relu() : up(sum.relu() as tf.Tensor4D)).squeeze(
      [3],
    ) as tf.Tensor3D;
    return { map, weights };
  });
}

/** A CAM as a registry value: the base's map as the heat, repeated over the input's channels as the map. */
export function camMethod(spec: CamSpec): AnyAttribution {
  return defineAttribution({
    name: spec.name,
    title: spec.title,
    short: spec.short,
    paper: spec.paper,
    summary: spec.summary,
    idea: spec.idea,
    signed: false,
    display: 'heat',
    access: spec.gradients ? 'gradient' : 'forward',
    layer: SPATIAL_LAYER,
    readings: spec.gradients ? undefined : ['unit'],
    options: spec.options ?? {},
    explain: (ctx) => {
      const { map, weights } = camMap(spec, ctx as ExplainContext & { layer: LayerInfo });
      weights.dispose();
      return {
        heat: map,
        map: tf.tidy(() => map.expandDims(3).tile([1, 1, 1, ctx.x.shape[3]]) as tf.Tensor4D),
      };
    },
  });
}
