/**
 * FullGrad (Srinivas & Fleuret 2019), as pytorch-grad-cam computes it: the input-gradient part
 * |∂f/∂x ⊙ x| plus, for every layer that adds a bias to a spatial map (convolutions, and batch
 * norms' implied bias β − μγ/√(σ² + ε)), the bias-gradient part |b ⊙ ∂f/∂z| at the point z where the
 * bias is added; each channel of each part min–max scaled to [0, 1] and resized to the input,
 * summed, and the total scaled to [0, 1]. ∂f/∂z comes from the layer offset (one backward pass per
 * bias layer); a layer whose ReLU is fused into it (tfjs layers) gets the gradient at its
 * pre-activation, ∂f/∂a ⊙ [a > 0].
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerInfo, VisModel } from '../model/types.js';
import { targetScores } from '../objectives/target.js';
import { chunkedInputGradient } from './chunks.js';
import { defineAttribution } from './method.js';

const BN_EPSILON = 1e-3;

/** A spatial layer's bias per channel [K], or null: a conv's bias, or a batch norm's implied one (Keras's 4 weights). */
export function biasOf(model: VisModel, layer: LayerInfo): Float32Array | null {
  if (layer.outputShape.length !== 3 || layer.outputShape[0] <= 1 || layer.name.endsWith(':pre'))
    return null;
  const w = model.weightsOf(layer.name).filter((t) => t.dtype === 'float32');
  const k = layer.units;
  if (/batch.?norm/i.test(layer.kind) && w.length === 4 && w.every((t) => t.size === k)) {
    const [gamma, beta, mean, variance] = w.map((t) => t.dataSync());
    return Float32Array.from(
      { length: k },
      (_, c) => beta[c] - (mean[c] * gamma[c]) / Math.sqrt(variance[c] + BN_EPSILON),
    );
  }
  if (/conv/i.test(layer.kind) && w.length >= 2 && w[1].rank === 1 && w[1].size === k)
    return w[1].dataSync() as Float32Array;
  return null;
}

/** Each [N, h, w, K] channel min–max scaled to [0, 1] (per image and channel), resized to [H, W] and summed over channels: [N, H, W]. */
function scaledSum(t: tf.Tensor4D, size: [number, number]): tf.Tensor3D {
  return tf.tidy(() => {
    const lo = t.min([1, 2], true);
    const scaled = t.sub(lo).div(t.max([1, 2], true).sub(lo).add(1e-7));
    return tf.image.resizeBilinear(scaled as tf.Tensor4D, size).sum(3) as tf.Tensor3D;
  });
}

export const fullGradMethod = defineAttribution({
  name: 'fullgrad',
  idea: "The input gradient times the input is combined with every layer's bias gradients times the biases, each made positive and resized to the input, then summed. It accounts for the part of the score that biases contribute, which gradient-only maps leave out.",
  title: 'FullGrad',
  short: 'FullGrad',
  paper: 'Srinivas & Fleuret 2019',
  summary: "|∂f/∂x ⊙ x| plus every bias layer's |b ⊙ ∂f/∂z|, each channel scaled, summed",
  signed: false,
  display: 'heat',
  access: 'gradient',
  options: {},
  cannot: (model) =>
    model.layers.some((l) => biasOf(model, l))
      ? null
      : 'need spatial layers with biases; this model has none',
  explain: ({ model, x, target, maxBatch }) => {
    const [, h, w, c] = x.shape;
    const layers = model.layers.filter((l) => l.index <= target.layer.index && biasOf(model, l));
    const heat = tf.tidy(() => {
      let total = scaledSum(
        chunkedInputGradient(model, x, target, { relu: 'gradient' }, maxBatch)
          .mul(x)
          .abs() as tf.Tensor4D,
        [h, w],
      );
      for (const layer of layers) {
        const part = tf.tidy(() => {
          const [a] = model.activations(x, [layer.name]);
          let g = tf.grad((delta: tf.Tensor) =>
            targetScores(model, x, target, { layer: layer.name, delta }).sum(),
          )(tf.zerosLike(a));
          if (layer.activation === 'relu') g = g.mul(tf.step(a));
          return scaledSum(g.mul(tf.tensor1d(biasOf(model, layer)!)).abs() as tf.Tensor4D, [h, w]);
        });
        const next = total.add(part) as tf.Tensor3D;
        tf.dispose([total, part]);
        total = next;
      }
      const lo = total.min([1, 2], true);
      return total.sub(lo).div(total.max([1, 2], true).sub(lo).add(1e-7)) as tf.Tensor3D;
    });
    return { heat, map: tf.tidy(() => heat.expandDims(3).tile([1, 1, 1, c]) as tf.Tensor4D) };
  },
});
