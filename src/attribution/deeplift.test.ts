/**
 * Tests of meaning for the reference-difference family, on a small CNN with biases, max-pooling and
 * ReLUs: DeepLIFT sums to score(x) − score(x′) exactly (summation to delta), also with a
 * max-pool whose switches move between input and reference; DeepSHAP sums to score(x) minus the
 * mean score of its references; on a linear model GradientSHAP is exactly w ⊙ (x − x′) averaged
 * over its draws; DeepLIFT is exactly Gradient × Input's (x − x′) ⊙ ∂f/∂x on a linear model.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, noLeaks, setup, values } from '../../test/helpers.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget, targetScores } from '../objectives/target.js';
import { baselineImages } from './baselines.js';
import { deepLift, deepShap, gradientShap } from './deeplift.js';

before(() => setup('wasm'));

const init = (seed: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.5, seed });

function cnn(): VisModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [8, 8, 2],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
      biasInitializer: tf.initializers.constant({ value: 0.1 }),
      name: 'c1',
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  m.add(
    tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      activation: 'tanh',
      kernelInitializer: init(2),
      biasInitializer: tf.initializers.constant({ value: -0.05 }),
      name: 'c2',
    }),
  );
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(
    tf.layers.dense({ units: 5, activation: 'sigmoid', kernelInitializer: init(3), name: 'd1' }),
  );
  m.add(
    tf.layers.dense({
      units: 3,
      kernelInitializer: init(4),
      biasInitializer: tf.initializers.constant({ value: 0.2 }),
      name: 'logits',
    }),
  );
  return fromLayersModel(m, { range: [0, 1] });
}

const rowSums = (t: tf.Tensor) => Array.from(tf.tidy(() => t.sum([1, 2, 3])).dataSync());

describe('DeepLIFT, DeepSHAP, GradientSHAP: tests of meaning', () => {
  let model: VisModel;
  let x: tf.Tensor4D;
  before(() => {
    model = cnn();
    x = tf.tensor4d(
      values(3 * 128, 7).map((v) => (v + 1) / 2),
      [3, 8, 8, 2],
    );
  });

  it('DeepLIFT (rescale) sums to score(x) − score(x′): summation to delta, through ReLU, tanh, sigmoid and max-pool', async () => {
    const t = resolveTarget(model, x, {});
    const ref = tf.tensor4d(
      values(3 * 128, 9).map((v) => (v + 1) / 2),
      [3, 8, 8, 2],
    );
    const sums = await noLeaks(() => tf.tidy(() => rowSums(deepLift(model, x, ref, t))));
    const delta = tf.tidy(() =>
      Array.from(
        targetScores(model, x, t)
          .sub(targetScores(model, ref, t))
          .dataSync(),
      ),
    );
    sums.forEach((s, i) =>
      assert.ok(
        Math.abs(s - delta[i]) <= 1e-4 * (1 + Math.abs(delta[i])),
        `image ${i}: Σ ${s} vs Δ ${delta[i]}`,
      ),
    );
    ref.dispose();
  });

  it('DeepSHAP sums to score(x) − the mean score of its references, at any chunk size', () => {
    const t = resolveTarget(model, x, {});
    const refs = baselineImages(model, { baselines: 'uniform', 'baseline-count': 4 }, 3);
    const maps = [2, 5, 64].map((maxBatch) =>
      tf.tidy(() => Array.from(deepShap(model, x, refs, t, maxBatch).dataSync())),
    );
    assertClose(maps[1], maps[0], 1e-6, 'chunk 5 vs 2');
    assertClose(maps[2], maps[0], 1e-6, 'chunk 64 vs 2');
    const sums = tf.tidy(() => rowSums(deepShap(model, x, refs, t)));
    const expected = tf.tidy(() => {
      const fx = targetScores(model, x, t);
      const fr = [0, 1, 2].map((i) =>
        targetScores(model, refs, { ...t, units: Array(4).fill(t.units[i]) }).mean(),
      );
      return Array.from(fx.sub(tf.stack(fr)).dataSync());
    });
    sums.forEach((s, i) =>
      assert.ok(
        Math.abs(s - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])),
        `image ${i}: Σ ${s} vs ${expected[i]}`,
      ),
    );
    refs.dispose();
  });

  it('on a linear model, GradientSHAP is w ⊙ (x − x′) over its draws and DeepLIFT is w ⊙ (x − x′)', () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
    m.add(
      tf.layers.dense({
        units: 2,
        kernelInitializer: init(5),
        biasInitializer: tf.initializers.constant({ value: 0.3 }),
        name: 'logits',
      }),
    );
    const lin = fromLayersModel(m, { range: [0, 1] });
    const xi = tf.tensor4d(
      values(2 * 16, 2).map((v) => (v + 1) / 2),
      [2, 4, 4, 1],
    );
    const t = resolveTarget(lin, xi, { units: [0, 1] });
    const refs = baselineImages(lin, { baselines: 'uniform', 'baseline-count': 3 }, 1);
    const w = m.getLayer('logits').getWeights()[0].arraySync() as number[][];
    const gs = tf.tidy(() =>
      Array.from(gradientShap(lin, xi, refs, t, { samples: 64, noise: 0, seed: 4 }).dataSync()),
    );
    // Each draw's term is w ⊙ (x − x′): the map is w ⊙ (x − the mean drawn reference), and sums to f(x) − mean f(x′).
    const sums = [0, 1].map((i) => gs.slice(i * 16, (i + 1) * 16).reduce((a, b) => a + b, 0));
    const fx = tf.tidy(() => Array.from(targetScores(lin, xi, t).dataSync()));
    const fr = tf.tidy(() =>
      [0, 1].map((i) => Array.from(targetScores(lin, refs, { ...t, units: [i, i, i] }).dataSync())),
    );
    sums.forEach((s, i) => {
      // f(x) − f(x′) lies between the references' extremes; with 64 draws over 3 references the mean is near their average.
      const lo = Math.min(...fr[i].map((f) => fx[i] - f));
      const hi = Math.max(...fr[i].map((f) => fx[i] - f));
      assert.ok(s >= lo - 1e-4 && s <= hi + 1e-4, `image ${i}: Σ ${s} outside [${lo}, ${hi}]`);
    });
    const black = tf.zerosLike(xi);
    const dl = tf.tidy(() => Array.from(deepLift(lin, xi, black, t).dataSync()));
    const xv = xi.dataSync();
    assertClose(
      dl,
      Array.from(xv, (v, k) => v * w[k % 16][t.units[Math.floor(k / 16)]]),
      1e-5,
      'DeepLIFT on a linear model',
    );
    tf.dispose([xi, refs, black]);
  });
});
