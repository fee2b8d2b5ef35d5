/**
 * Ablation-CAM (Desai & Ramaswamy 2020): each channel k of the spatial layer is zeroed in turn and
 * w_k = (y − y_k) / y, the fraction of the target's score y it carries (the raw score, as
 * pytorch-grad-cam's ClassifierOutputTarget); the map is ReLU(Σ_k w_k A_k), upsampled. Batched: one
 * pass per chunk of channels, each row of the chunk the image with one channel ablated through the
 * layer offset (VisModel.activations: the layer's output + delta, delta = −A_k), so the layers
 * before the ablated one run once per row but nothing is patched.
 */
import * as tf from '@tensorflow/tfjs';
import { targetScores } from '../objectives/target.js';
import { camMethod, type CamInputs } from './cam.js';
import { chunkRanges, defaultMaxBatch } from './chunks.js';
import { imageTarget } from './black_box.js';

function ablationWeights({ model, x, target, layer, a, maxBatch }: CamInputs): tf.Tensor4D {
  const [n] = x.shape;
  const k = layer.outputShape[2];
  const chunk = maxBatch ?? defaultMaxBatch(model, target.layer.name);
  const base = tf.tidy(() => targetScores(model, x, target).dataSync() as Float32Array);
  const weights = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const t = imageTarget(target, i);
    for (const [from, to] of chunkRanges(k, chunk)) {
      const rows = to - from;
      const scores = tf.tidy(() => {
        const ai = a.slice([i], [1]);
        const channels = tf.oneHot(tf.range(from, to, 1, 'int32'), k).reshape([rows, 1, 1, k]);
        const delta = ai.mul(channels).neg();
        const xi = x.slice([i], [1]).tile([rows, 1, 1, 1]) as tf.Tensor4D;
        return targetScores(
          model,
          xi,
          {
            ...t,
            units: Array(rows).fill(t.units[0]),
            neurons: t.neurons ? Array(rows).fill(t.neurons[0]) : undefined,
          },
          { layer: layer.name, delta },
        ).dataSync();
      });
      const y = base[i] === 0 ? 1e-7 : base[i];
      scores.forEach((s, r) => (weights[i * k + from + r] = (base[i] - s) / y));
    }
  }
  return tf.tensor4d(weights, [n, 1, 1, k]);
}

export const ablationCamMethod = camMethod({
  name: 'ablationcam',
  idea: 'Each channel of the layer is zeroed in turn, in batches, and its weight is the relative drop of the target score; the weighted channels are summed and the positive part kept. It avoids gradients, which saturate in some networks, at one forward pass per channel.',
  title: 'Ablation-CAM',
  short: 'ablcam',
  paper: 'Desai & Ramaswamy 2020',
  summary: 'ReLU(Σ_k w_k A_k), w_k the fraction of the score lost when channel k is zeroed',
  gradients: false,
  weights: ablationWeights,
});
