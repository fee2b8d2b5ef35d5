/**
 * Gradient maps against their definitions on models small enough to differentiate by hand:
 * y = V·relu(W·x + b) for saliency / guided / deconvnet, a linear model for SmoothGrad and
 * integrated gradients, a 1×1 conv + global average pool for Grad-CAM; deconvnet through
 * identity-like nets must return the input pattern; and the offset that gives Grad-CAM its
 * gradient agrees with finite differences on a layers CNN and on the converted graph model.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fromLayersModel } from '../model/layers_adapter.js';
import { visModelFromArtifacts } from '../model/from_artifacts.js';
import type { VisModel } from '../model/types.js';
import { attribute } from './attribute.js';
import { gradCam } from './cams.js';
import { deconvnet, integratedGradients, saliency } from './gradients.js';
import { smoothGrad } from './noise_tunnel.js';
import { resolveTarget, targetScores } from '../objectives/target.js';
import { graphModelArtifacts } from '../../test/fixtures/graph_model.js';
import { assertClose, noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

const W = [
  [1, -2, 0.5, 1],
  [-1, 1, 1, 0.5],
  [0.5, 0.5, -1, 2],
]; // hidden × pixels
const B = [0.1, -0.2, 0.3];
const V = [
  [2, -1],
  [-3, 1],
  [1, 1],
]; // hidden × outputs

function mlp(): VisModel {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [2, 2, 1], name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 3,
      activation: 'relu',
      name: 'h',
      weights: [tf.tensor2d(W).transpose(), tf.tensor1d(B)],
    }),
  );
  m.add(tf.layers.dense({ units: 2, name: 'y', useBias: false, weights: [tf.tensor2d(V)] }));
  return fromLayersModel(m, { range: [0, 1] });
}

/** d y_c / d x under a ReLU rule, by hand. */
function byHand(x: number[], c: number, rule: 'gradient' | 'guided'): number[] {
  const pre = W.map((row, j) => row.reduce((s, w, i) => s + w * x[i], B[j]));
  const down = V.map((row, j) => {
    const dy = row[c];
    if (rule === 'gradient') return pre[j] > 0 ? dy : 0;
    return pre[j] > 0 && dy > 0 ? dy : 0;
  });
  return x.map((_, i) => W.reduce((s, row, j) => s + row[i] * down[j], 0));
}

const X = [0.9, 0.2, 0.6, 0.4];

describe('gradient maps', () => {
  it('saliency, guided backpropagation and the deconvnet rule equal their hand derivatives', async () => {
    const model = mlp();
    const x = tf.tensor4d(X, [1, 2, 2, 1]);
    await noLeaks(() => {
      for (const c of [0, 1]) {
        for (const [method, rule] of [
          ['saliency', 'gradient'],
          ['guided', 'guided'],
        ] as const) {
          const a = attribute(model, x, { method, layer: 'y', units: [c] });
          assertClose(a.values, byHand(X, c, rule), 1e-5, `${method} class ${c}`);
        }
        // Deconvnet: the projection of output c is seeded with y_c itself.
        const t = resolveTarget(model, x, { layer: 'y', units: [c] });
        const yc = tf.tidy(() => targetScores(model, x, t).dataSync()[0]);
        const d = deconvnet(model, x, t);
        // The signal sent down is y_c·V[:, c]; the deconvnet ReLU keeps its positive part.
        const down = V.map((row) => Math.max(yc * row[c], 0));
        const expected = X.map((_, i) => W.reduce((s, row, j) => s + row[i] * down[j], 0));
        assertClose(d.dataSync(), expected, 1e-5, `deconvnet class ${c}`);
        d.dispose();
      }
    });
    // The stock rules are back: a plain gradient after a guided one is the plain gradient.
    const t = resolveTarget(model, x, { layer: 'y', units: [1] });
    const g = saliency(model, x, t);
    assertClose(g.dataSync(), byHand(X, 1, 'gradient'), 1e-5, 'saliency after guided');
    tf.dispose([g, x]);
  });

  it('integrated gradients sum to score(x) − score(baseline) and equal (x − x′)·w on a linear model', async () => {
    const model = mlp();
    const x = tf.tensor4d(X, [1, 2, 2, 1]);
    const t = resolveTarget(model, x, { layer: 'y', units: [0] });
    await noLeaks(() => {
      const ig = integratedGradients(model, x, t, { steps: 256 });
      const sum = tf.tidy(() => ig.sum().dataSync()[0]);
      const fx = tf.tidy(() => targetScores(model, x, t).dataSync()[0]);
      const f0 = tf.tidy(
        () => targetScores(model, tf.zeros([1, 2, 2, 1]) as tf.Tensor4D, t).dataSync()[0],
      );
      assert.ok(Math.abs(sum - (fx - f0)) < 1e-3, `completeness: ${sum} vs ${fx - f0}`);
      ig.dispose();
    });
    const lin = tf.sequential();
    lin.add(tf.layers.flatten({ inputShape: [2, 2, 1] }));
    lin.add(
      tf.layers.dense({
        units: 1,
        useBias: false,
        weights: [tf.tensor2d([[1], [-2], [3], [0.5]])],
      }),
    );
    const lm = fromLayersModel(lin, { range: [0, 1] });
    const tl = resolveTarget(lm, x, { units: [0] });
    const ig = integratedGradients(lm, x, tl, { steps: 3, baseline: 0.5 });
    assertClose(
      ig.dataSync(),
      X.map((v, i) => (v - 0.5) * [1, -2, 3, 0.5][i]),
      1e-5,
      'IG linear',
    );
    // SmoothGrad of a linear model is its weights, whatever the noise.
    const sg = smoothGrad(lm, x, tl, { samples: 8, noise: 0.3 });
    assertClose(sg.dataSync(), [1, -2, 3, 0.5], 1e-5, 'SmoothGrad linear');
    tf.dispose([ig, sg, x]);
  });

  it('Grad-CAM is ReLU(Σ_k α_k A_k) with α_k the mean gradient, by hand on conv 1×1 → average pool → dense', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [3, 3, 1],
        filters: 2,
        kernelSize: 1,
        activation: 'relu',
        useBias: false,
        name: 'conv',
        weights: [tf.tensor4d([1, -1], [1, 1, 1, 2])],
      }),
    );
    m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
    m.add(
      tf.layers.dense({
        units: 2,
        useBias: false,
        name: 'y',
        weights: [
          tf.tensor2d([
            [2, -1],
            [0.5, 3],
          ]),
        ],
      }),
    );
    const model = fromLayersModel(m, { range: [-1, 1] });
    const xs = [0.5, -0.3, 0.8, -0.9, 0.1, 0.2, -0.4, 0.7, -0.6];
    const x = tf.tensor4d(xs, [1, 3, 3, 1]);
    await noLeaks(() => {
      for (const c of [0, 1]) {
        const t = resolveTarget(model, x, { layer: 'y', units: [c] });
        const cam = gradCam(model, x, t);
        const v = [
          [2, -1],
          [0.5, 3],
        ];
        const alpha = [v[0][c] / 9, v[1][c] / 9];
        assertClose(cam.weights.dataSync(), alpha, 1e-5, `α class ${c}`);
        const expected = xs.map((p) =>
          Math.max(0, alpha[0] * Math.max(p, 0) + alpha[1] * Math.max(-p, 0)),
        );
        assertClose(cam.map.dataSync(), expected, 1e-5, `map class ${c}`);
        tf.dispose([cam.map, cam.weights]);
      }
    });
    x.dispose();
  });

  it('deconvnet through identity-like nets returns the input pattern (and unpools through the switches)', async () => {
    const id = tf.tensor4d([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3, 1, 1]);
    const conv = () =>
      tf.layers.conv2d({
        inputShape: [4, 4, 1],
        filters: 1,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        useBias: false,
        name: 'conv',
        weights: [id],
      });
    const plain = tf.sequential();
    plain.add(conv());
    const pooled = tf.sequential();
    pooled.add(conv());
    pooled.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
    const pattern = [0, 0.8, 0, 0, 0.3, 0, 0, 0.5, 0, 0, 0.9, 0, 0, 0.2, 0, 0];
    const x = tf.tensor4d(pattern, [1, 4, 4, 1]);
    await noLeaks(() => {
      const m1 = fromLayersModel(plain, { range: [0, 1] });
      const d1 = deconvnet(m1, x, resolveTarget(m1, x, { layer: 'conv', units: [0] }));
      assertClose(d1.dataSync(), pattern, 1e-6, 'identity conv');
      const m2 = fromLayersModel(pooled, { range: [0, 1] });
      const t2 = resolveTarget(m2, x, { layer: 'pool', units: [0] });
      const d2 = deconvnet(m2, x, t2, 'switches');
      // Each 2×2 window's maximum comes back at its own pixel; the rest of the window is 0.
      const kept = [0, 0.8, 0, 0, 0, 0, 0, 0.5, 0, 0, 0.9, 0, 0, 0.2, 0, 0];
      assertClose(d2.dataSync(), kept, 1e-6, 'switches');
      const d3 = deconvnet(m2, x, t2, 'nearest');
      const spread = [
        0.8, 0.8, 0.5, 0.5, 0.8, 0.8, 0.5, 0.5, 0.2, 0.2, 0.9, 0.9, 0.2, 0.2, 0.9, 0.9,
      ];
      assertClose(d3.dataSync(), spread, 1e-6, 'nearest unpooling');
      tf.dispose([d1, d2, d3]);
    });
    x.dispose();
  });

  it('the layer offset gives ∂score/∂A equal to finite differences, on a layers CNN and on the graph model', async () => {
    const cnn = tf.sequential();
    cnn.add(
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
        name: 'c1',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
      }),
    );
    cnn.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'p' }));
    cnn.add(tf.layers.flatten());
    cnn.add(
      tf.layers.dense({
        units: 4,
        name: 'out',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
      }),
    );
    const graph = await visModelFromArtifacts(graphModelArtifacts(3), 'fixture', { range: [0, 1] });
    const cases: Array<[VisModel, string, string]> = [
      [fromLayersModel(cnn, { range: [0, 1] }), 'c1', 'out'],
      [graph, 'pw/conv', 'fc/matmul'],
    ];
    for (const [model, camLayer, outLayer] of cases) {
      const [h, w, c] = model.input.shape;
      const x = tf.tensor4d(
        Float32Array.from(values(2 * h * w * c, 9), (v) => (v + 1) / 2),
        [2, h, w, c],
      );
      const t = resolveTarget(model, x, { layer: outLayer });
      await noLeaks(() => {
        const cam = gradCam(model, x, t, camLayer);
        const alpha = cam.weights.dataSync();
        const [a] = model.activations(x, [camLayer]);
        const k = a.shape[3]!;
        const hw = a.shape[1]! * a.shape[2]!;
        const eps = 1e-3;
        for (let ch = 0; ch < Math.min(k, 3); ch++) {
          // Shifting channel ch by ε everywhere moves the score by ε·Σ_ij ∂s/∂A = ε·hw·α.
          const delta = tf.tidy(() =>
            tf
              .oneHot(tf.fill([2, a.shape[1]!, a.shape[2]!], ch, 'int32'), k)
              .toFloat()
              .mul(eps),
          );
          const s1 = tf.tidy(() =>
            targetScores(model, x, t, { layer: camLayer, delta }).dataSync(),
          );
          const s0 = tf.tidy(() => targetScores(model, x, t).dataSync());
          for (let i = 0; i < 2; i++) {
            const fd = (s1[i] - s0[i]) / (eps * hw);
            assert.ok(
              Math.abs(fd - alpha[i * k + ch]) < 2e-3 + 0.02 * Math.abs(fd),
              `${camLayer} ch ${ch} image ${i}: ${fd} vs ${alpha[i * k + ch]}`,
            );
          }
          delta.dispose();
        }
        tf.dispose([a, cam.map, cam.weights]);
      });
      // Every method runs on the model (graph: fused convs, separable conv, batch norm).
      for (const method of [
        'saliency',
        'guided',
        'deconvnet',
        'smoothgrad',
        'integrated-gradients',
        'gradcam',
        'guided-gradcam',
      ] as const) {
        const r = await noLeaks(() =>
          attribute(model, x, {
            method,
            layer: outLayer,
            options:
              method === 'smoothgrad'
                ? { samples: 4 }
                : method === 'integrated-gradients'
                  ? { 'ig-steps': 8 }
                  : {},
          }),
        );
        assert.equal(r.heat.length, 2 * h * w);
        assert.ok(
          r.heat.some((v) => v !== 0),
          `${method} on ${camLayer} is all zero`,
        );
        assert.ok(r.values.every(Number.isFinite), `${method} not finite`);
      }
      x.dispose();
    }
  });
});
