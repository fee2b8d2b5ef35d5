/**
 * Grad-CAM (Selvaraju et al. 2017): the weights α_k of a conv layer's channels are the spatial
 * means of ∂score/∂A_k; the map is ReLU(Σ_k α_k A_k), upsampled (bilinear) to the input. Guided
 * Grad-CAM multiplies it into the guided-backpropagation map. ∂score/∂A comes from an offset added
 * to the layer's output in the forward pass (VisModel.activations' `offset`), so it works on layers
 * and graph models alike.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { guidedBackprop } from './gradients.js';
import { targetScores, type ResolvedTarget } from '../objectives/target.js';

/**
 * The layer Grad-CAM reads by default: the last convolution before the target (as Selvaraju et al.
 * do), else the last layer with a spatial output.
 */
export function defaultCamLayer(model: VisModel, t: ResolvedTarget): LayerInfo {
  // The last feature map before the target, after its activation (a ResNet block's output, not the
  // shortcut's 1×1 conv nor a conv's pre-ReLU output in an ONNX graph); pooling only coarsens it.
  const before = model.layers.filter((l) => l.index <= t.layer.index && l.outputShape.length === 3 && l.outputShape[0] > 1);
  const maps = before.filter((l) => !/pool|pad|flatten|reshape|dropout/i.test(l.kind));
  const last = maps[maps.length - 1] ?? before[before.length - 1];
  if (!last) throw new DeepvisError(`Grad-CAM needs a convolutional layer before '${t.layer.name}'; this model has none`);
  return last;
}

export interface GradCam {
  /** [N, H, W] at the input's size, ≥ 0. */
  readonly map: tf.Tensor3D;
  /** [N, K]: the channel weights α. */
  readonly weights: tf.Tensor2D;
  readonly layer: LayerInfo;
}

export function gradCam(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, camLayer?: string): GradCam {
  const layer = camLayer ? model.layer(camLayer) : defaultCamLayer(model, t);
  if (layer.outputShape.length !== 3) throw new DeepvisError(`Grad-CAM needs a convolutional layer; '${layer.name}' is flat`);
  if (layer.index > t.layer.index) throw new DeepvisError(`Grad-CAM layer '${layer.name}' comes after the target layer '${t.layer.name}'`);
  const [, h, w] = x.shape;
  const [map, weights] = tf.tidy(() => {
    const [a] = model.activations(x, [layer.name]);
    const dA = tf.grad((delta: tf.Tensor) => targetScores(model, x, t, { layer: layer.name, delta }).sum())(tf.zerosLike(a));
    const weights = dA.mean([1, 2]) as tf.Tensor2D;
    const cam = a.mul(weights.expandDims(1).expandDims(1)).sum(3, true).relu() as tf.Tensor4D;
    const map = tf.image.resizeBilinear(cam, [h, w], true).squeeze([3]) as tf.Tensor3D;
    return [map, weights] as [tf.Tensor3D, tf.Tensor2D];
  });
  return { map, weights, layer };
}

export function guidedGradCam(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget, camLayer?: string): { map: tf.Tensor4D; cam: GradCam } {
  const cam = gradCam(model, x, t, camLayer);
  const map = tf.tidy(() => guidedBackprop(model, x, t).mul(cam.map.expandDims(3)) as tf.Tensor4D);
  return { map, cam };
}
