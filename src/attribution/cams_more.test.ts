/**
 * HiResCAM, XGrad-CAM, Ablation-CAM, EigenCAM, EigenGradCAM and FullGrad against hand computations
 * on conv 1×1 (ReLU) → global average pool → dense, where A = ReLU(x·K + b) per pixel and
 * ∂logit_c/∂A_ijk = V[k][c] / (h·w): HiResCAM is ReLU(Σ_k g_k A_k), XGrad-CAM weighs channels by
 * Σ g·A / Σ A, ablating channel k removes V[k][c]·mean(A_k) from the logit, EigenCAM is the first
 * principal component of the activations (against a Jacobi eigendecomposition), FullGrad on a net
 * with biases adds their parts to the input part and is scaled to [0, 1].
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, setup, values } from '../../test/helpers.js';
import { eigh } from '../data/eigh.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { attribute } from './attribute.js';
import { firstComponent } from './eigen_cams.js';

before(() => setup('wasm'));

const [H, W, C] = [4, 4, 3];
const K = [
  [1, -0.5, 0.3],
  [0.5, 1, -0.2],
  [-1, 0.8, 0.6],
]; // in × out (3 channels)
const Kb = [0.1, -0.05, 0.2];
const V = [
  [2, -1],
  [-1.5, 1],
  [0.7, 0.4],
];
const Vb = [0.2, -0.1];

function model(): VisModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [H, W, C],
      filters: 3,
      kernelSize: 1,
      activation: 'relu',
      name: 'conv',
      weights: [tf.tensor4d(K.flat(), [1, 1, C, 3]), tf.tensor1d(Kb)],
    }),
  );
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ units: 2, name: 'logits', weights: [tf.tensor2d(V), tf.tensor1d(Vb)] }));
  return fromLayersModel(m, { range: [0, 1], channelOrder: 'rgb' });
}

const xv = values(H * W * C, 11).map((v) => (v + 1) / 2);
const A = Array.from({ length: H * W }, (_, p) =>
  [0, 1, 2].map((k) =>
    Math.max(0, Kb[k] + [0, 1, 2].reduce((s, ch) => s + xv[p * C + ch] * K[ch][k], 0)),
  ),
);
const cls = 0;
const g = [0, 1, 2].map((k) => V[k][cls] / (H * W));
const logit =
  Vb[cls] +
  [0, 1, 2].reduce((s, k) => s + (V[k][cls] * A.reduce((m, row) => m + row[k], 0)) / (H * W), 0);
const relu = (v: number) => Math.max(0, v);

describe('more CAMs by hand', () => {
  let vis: VisModel;
  let x: tf.Tensor4D;
  before(() => {
    vis = model();
    x = tf.tensor4d(xv, [1, H, W, C]);
  });
  const run = (method: string) => attribute(vis, x, { method, units: [cls] }).heat;

  it('HiResCAM: ReLU(Σ_k g_k A_k) per position', () => {
    assertClose(
      run('hirescam'),
      A.map((row) => relu(row.reduce((s, a, k) => s + g[k] * a, 0))),
      1e-5,
      'HiResCAM',
    );
  });

  it('XGrad-CAM: w_k = Σ g·A / Σ A', () => {
    const w = [0, 1, 2].map((k) => {
      const sa = A.reduce((s, row) => s + row[k], 0);
      return (g[k] * sa) / (sa + 1e-7);
    });
    assertClose(
      run('xgradcam'),
      A.map((row) => relu(row.reduce((s, a, k) => s + w[k] * a, 0))),
      1e-5,
      'XGrad-CAM',
    );
  });

  it('Ablation-CAM: w_k = (y − y_k)/y with y − y_k = V[k][c]·mean(A_k)', () => {
    const w = [0, 1, 2].map(
      (k) => (V[k][cls] * A.reduce((s, row) => s + row[k], 0)) / (H * W) / logit,
    );
    assertClose(
      run('ablationcam'),
      A.map((row) => relu(row.reduce((s, a, k) => s + w[k] * a, 0))),
      1e-4,
      'Ablation-CAM',
    );
  });

  it('EigenCAM is the projection on the first principal component (Jacobi eigenvectors), sign to the larger magnitude', () => {
    const X = A.flat();
    const mean = [0, 1, 2].map((k) => A.reduce((s, row) => s + row[k], 0) / A.length);
    const Xc = A.map((row) => row.map((v, k) => v - mean[k]));
    const cov = [0, 1, 2].flatMap((i) =>
      [0, 1, 2].map((j) => Xc.reduce((s, row) => s + row[i] * row[j], 0)),
    );
    const { vectors } = eigh(cov, 3);
    let proj = Xc.map((row) => row.reduce((s, v, k) => s + v * vectors[k * 3], 0));
    if (Math.abs(Math.min(...proj)) > Math.abs(Math.max(...proj))) proj = proj.map((p) => -p);
    assertClose(firstComponent(X, H * W, 3), proj, 1e-9, 'first component');
    assertClose(run('eigencam'), proj.map(relu), 1e-5, 'EigenCAM');
    // A wide matrix (fewer rows than columns) goes through the other Gram matrix to the same answer.
    const wide = values(4 * 9, 3);
    const viaCols = firstComponent(wide, 4, 9);
    const t = Array.from({ length: 9 * 4 }, (_, k) => wide[(k % 4) * 9 + Math.floor(k / 4)]);
    assert.equal(viaCols.length, 4);
    assert.ok(Number.isFinite(firstComponent(t, 9, 4)[0]));
  });

  it('EigenGradCAM is the first component of gradient × activation', () => {
    const ga = A.map((row) => row.map((a, k) => a * g[k]));
    assertClose(
      run('eigengradcam'),
      Array.from(firstComponent(ga.flat(), H * W, 3), relu),
      1e-5,
      'EigenGradCAM',
    );
  });

  it('FullGrad: the scaled input part |∂f/∂x ⊙ x| plus the scaled bias part |b ⊙ ∂f/∂z|, scaled to [0, 1]', () => {
    const scale = (v: number[]) => {
      const lo = Math.min(...v);
      const hi = Math.max(...v) - lo;
      return v.map((q) => (q - lo) / (hi + 1e-7));
    };
    const on = A.map((row) => row.map((a) => (a > 0 ? 1 : 0)));
    const gx = A.map((_, p) =>
      [0, 1, 2].map((ch) =>
        Math.abs(xv[p * C + ch] * [0, 1, 2].reduce((s, k) => s + g[k] * on[p][k] * K[ch][k], 0)),
      ),
    );
    const parts = [0, 1, 2].map((ch) => scale(gx.map((r) => r[ch])));
    const bias = [0, 1, 2].map((k) => scale(on.map((r) => Math.abs(Kb[k] * g[k] * r[k]))));
    const total = A.map((_, p) => [...parts, ...bias].reduce((s, part) => s + part[p], 0));
    assertClose(run('fullgrad'), scale(total), 1e-4, 'FullGrad');
  });
});
