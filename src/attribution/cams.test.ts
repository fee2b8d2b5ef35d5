/**
 * Grad-CAM++, Layer-CAM and Score-CAM against hand computations on conv 1×1 → global average pool
 * → dense → softmax, where A = ReLU(x·K + b) per pixel and ∂logit_c/∂A_ijk = V[k][c] / (h·w); the
 * conv output has the input's size, so the bilinear upsampling is the identity. Then: every method
 * that expands an input (IG, SmoothGrad², VarGrad, Score-CAM, occlusion, MuFidelity) gives the
 * same answer at any chunk size, without leaking tensors; CAM methods refuse a model without a conv.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget } from '../objectives/target.js';
import { muFidelity } from '../metrics/mufidelity.js';
import { assertClose, noLeaks, setup, values } from '../../test/helpers.js';
import { attribute } from './attribute.js';
import { attributionMethod } from './registry.js';
import { pickOptions } from '../options.js';

before(() => setup('wasm'));

const H = 4;
const W = 4;
const C = 3;
const K = [
  [1, -0.5],
  [0.5, 1],
  [-1, 0.8],
]; // in × out
const Kb = [0.1, -0.05];
const V = [
  [2, -1],
  [-1.5, 1],
]; // conv channel × class
const Vb = [0.2, -0.1];

function model(): VisModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [H, W, C],
      filters: 2,
      kernelSize: 1,
      activation: 'relu',
      name: 'conv',
      weights: [tf.tensor4d(K.flat(), [1, 1, C, 2]), tf.tensor1d(Kb)],
    }),
  );
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ units: 2, name: 'logits', weights: [tf.tensor2d(V), tf.tensor1d(Vb)] }));
  m.add(tf.layers.activation({ activation: 'softmax', name: 'softmax' }));
  return fromLayersModel(m, { range: [0, 1], channelOrder: 'rgb' });
}

const xv = values(H * W * C, 11).map((v) => (v + 1) / 2);
const act = (img: ArrayLike<number>) =>
  Array.from({ length: H * W }, (_, p) =>
    [0, 1].map((k) =>
      Math.max(0, Kb[k] + [0, 1, 2].reduce((s, ch) => s + img[p * C + ch] * K[ch][k], 0)),
    ),
  );
const logits = (a: number[][]) =>
  [0, 1].map(
    (c) =>
      Vb[c] +
      [0, 1].reduce((s, k) => s + (V[k][c] * a.reduce((m, row) => m + row[k], 0)) / (H * W), 0),
  );
const softmax = (z: number[]) => {
  const e = z.map(Math.exp);
  const s = e[0] + e[1];
  return e.map((v) => v / s);
};

describe('CAM family by hand', () => {
  let vis: VisModel;
  let x: tf.Tensor4D;
  const cls = 0;
  before(() => {
    vis = model();
    x = tf.tensor4d(xv, [1, H, W, C]);
  });
  const run = (method: string, maxBatch?: number) =>
    attribute(vis, x, {
      method,
      units: [cls],
      maxBatch,
      seed: 3,
      options: pickOptions(attributionMethod(method).options, { samples: 7, 'ig-steps': 9 }),
    });
  const A = act(xv);
  const g = [0, 1].map((k) => V[k][cls] / (H * W));

  it('Grad-CAM++: α = g²/(2g² + ΣA·g³), w = Σ α·ReLU(g), ReLU(Σ w A)', () => {
    const w = [0, 1].map((k) => {
      const sumA = A.reduce((s, row) => s + row[k], 0);
      const alpha = g[k] === 0 ? 0 : g[k] ** 2 / (2 * g[k] ** 2 + sumA * g[k] ** 3);
      return H * W * alpha * Math.max(0, g[k]);
    });
    const want = A.map((row) => Math.max(0, w[0] * row[0] + w[1] * row[1]));
    assertClose(run('gradcam++').heat, want, 1e-5, 'Grad-CAM++');
  });

  it('Layer-CAM: ReLU(Σ ReLU(g) ⊙ A)', () => {
    const want = A.map((row) =>
      Math.max(0, Math.max(0, g[0]) * row[0] + Math.max(0, g[1]) * row[1]),
    );
    assertClose(run('layercam').heat, want, 1e-5, 'Layer-CAM');
  });

  it('Score-CAM: w_k = p(class | x masked by normalized A_k, toward mid-grey), ReLU(Σ w_k A_k)', () => {
    const w = [0, 1].map((k) => {
      const ch = A.map((row) => row[k]);
      const lo = Math.min(...ch);
      const span = Math.max(...ch) - lo;
      const mask = ch.map((v) => (span > 0 ? (v - lo) / span : 0));
      const masked = Array.from(xv, (v, i) => 0.5 + (v - 0.5) * mask[Math.floor(i / C)]);
      return softmax(logits(act(masked)))[cls];
    });
    const want = A.map((row) => Math.max(0, w[0] * row[0] + w[1] * row[1]));
    assertClose(run('scorecam').heat, want, 1e-5, 'Score-CAM');
  });

  it('Gradient × Input is g ⊙ x with g = Σ_k V[k][c]/(hw) · ReLU′ · K[ch][k]', () => {
    const want = Array.from(xv, (v, i) => {
      const p = Math.floor(i / C);
      const ch = i % C;
      return v * [0, 1].reduce((s, k) => s + (A[p][k] > 0 ? g[k] * K[ch][k] : 0), 0);
    });
    assertClose(run('gradient-input').values, want, 1e-5, 'Gradient × Input');
  });

  it('every expanding method gives the same map at any chunk size, and leaks nothing', async () => {
    for (const method of [
      'integrated-gradients',
      'smoothgrad',
      'smoothgrad2',
      'vargrad',
      'scorecam',
      'occlusion',
    ] as const) {
      const full = run(method).values;
      for (const chunk of [1, 2, 5]) {
        const part = await noLeaks(() => run(method, chunk).values);
        assertClose(part, full, 1e-5, `${method} at chunk ${chunk}`);
      }
    }
    const t = resolveTarget(vis, x, { units: [cls] });
    const maps = run('saliency');
    const a = muFidelity({ model: vis, x, t, maps, maxBatch: 3 }, { samples: 50 }).scores;
    const b = await noLeaks(
      () => muFidelity({ model: vis, x, t, maps, maxBatch: 64 }, { samples: 50 }).scores,
    );
    assert.deepEqual(a, b);
  });

  it('VarGrad ≥ 0 and SmoothGrad² = VarGrad + SmoothGrad² of the mean (E g² = Var g + (E g)²)', () => {
    const sg = run('smoothgrad').values;
    const sq = run('smoothgrad2').values;
    const vg = run('vargrad').values;
    assert.ok(vg.every((v) => v >= 0));
    assertClose(
      sq,
      Array.from(vg, (v, i) => v + sg[i] ** 2),
      1e-4,
      'E g² = Var + mean²',
    );
  });

  it('CAM methods refuse a model without a conv layer in one line', () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [2, 2, 1], name: 'flat' }));
    m.add(tf.layers.dense({ units: 2, name: 'out' }));
    const mlp = fromLayersModel(m, { range: [0, 1] });
    const xi = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    for (const method of ['gradcam++', 'layercam', 'scorecam'] as const) {
      assert.throws(
        () => attribute(mlp, xi, { method }),
        (e: Error) => e instanceof DeepvisError && /needs a convolutional layer/.test(e.message),
      );
    }
    xi.dispose();
    mlp.dispose();
  });
});
