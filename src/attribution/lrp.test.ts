/**
 * Tests of meaning for LRP (engine/lrp_rules.ts, attribution/lrp.ts), on small nets whose answers
 * are known: LRP-0 on a bias-free ReLU network is Gradient × Input (Montavon et al. 2019 §10.2);
 * the composites conserve relevance on bias-free nets (the map sums to the logit; αβ only where
 * every output has contributions of both signs, as on the first net), through
 * max-pools, average pools, residual sums and batch norms; the batch-norm canonizer gives the map
 * of the network with the norm folded into its convolution; z^B's bounds come through the model's
 * own normalization; an op without a rule is one line naming it; the stock engine gives the same maps.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, noLeaks, setup, values } from '../../test/helpers.js';
import { setHookMode } from '../engine/internals.js';
import { loadEvalSet } from '../data/load.js';
import { DeepvisError } from '../errors.js';
import { loadModel } from '../io/model_files.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget, targetScores } from '../objectives/target.js';
import { pickOptions } from '../options.js';
import { attribute } from './attribute.js';
import { gradientTimesInput } from './input_methods.js';
import { COMPOSITES, lrp } from './lrp.js';
import { attributionMethod } from './registry.js';

before(() => setup('wasm'));

const init = (seed: number) => tf.initializers.randomNormal({ mean: 0.05, stddev: 0.4, seed });

/** conv 3×3 ReLU → max-pool → conv 3×3 ReLU → avg-pool → dense ReLU → dense logits, no biases. */
function biasFree(): VisModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [8, 8, 2],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      useBias: false,
      kernelInitializer: init(1),
      name: 'c1',
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  m.add(
    tf.layers.conv2d({
      filters: 5,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      useBias: false,
      kernelInitializer: init(2),
      name: 'c2',
    }),
  );
  m.add(tf.layers.averagePooling2d({ poolSize: 2, name: 'p2' }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 6,
      activation: 'relu',
      useBias: false,
      kernelInitializer: init(3),
      name: 'd1',
    }),
  );
  m.add(tf.layers.dense({ units: 3, useBias: false, kernelInitializer: init(4), name: 'logits' }));
  return fromLayersModel(m, { range: [0, 1] });
}

/** A residual block with batch norms, no biases anywhere: conv → BN → ReLU → conv → BN, + the input's conv, ReLU, GAP, dense. */
function residual(): VisModel {
  const input = tf.input({ shape: [8, 8, 1] });
  const stem = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      useBias: false,
      kernelInitializer: init(5),
      name: 'stem',
    })
    .apply(input) as tf.SymbolicTensor;
  let y = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(6),
      name: 'a',
    })
    .apply(stem) as tf.SymbolicTensor;
  y = tf.layers
    .batchNormalization({
      name: 'bn_a',
      center: false,
      movingVarianceInitializer: tf.initializers.constant({ value: 0.7 }),
      gammaInitializer: tf.initializers.constant({ value: 1.3 }),
    })
    .apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU({ name: 'relu_a' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(7),
      name: 'b',
    })
    .apply(y) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([y, stem]) as tf.SymbolicTensor;
  const out = tf.layers.reLU({ name: 'relu' }).apply(sum) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(out) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: 3, useBias: false, kernelInitializer: init(8), name: 'logits' })
    .apply(gap) as tf.SymbolicTensor;
  return fromLayersModel(tf.model({ inputs: input, outputs: logits }), { range: [0, 1] });
}

const sums = (map: tf.Tensor) => Array.from(tf.tidy(() => map.sum([1, 2, 3])).dataSync());

describe('LRP: tests of meaning', () => {
  let model: VisModel;
  let x: tf.Tensor4D;
  before(() => {
    model = biasFree();
    x = tf.tensor4d(
      values(3 * 8 * 8 * 2, 3).map((v) => (v + 1) / 2),
      [3, 8, 8, 2],
    );
  });

  it('LRP-0 on a bias-free ReLU network is Gradient × Input', async () => {
    const t = resolveTarget(model, x, {});
    const [r, gx] = await noLeaks(() =>
      tf.tidy(() => [
        lrp(model, x, t, {
          conv: { name: 'epsilon', epsilon: 0 },
          dense: { name: 'epsilon', epsilon: 0 },
          stabilizer: 0,
        }).arraySync(),
        gradientTimesInput(model, x, t).arraySync(),
      ]),
    );
    assertClose(
      (r as number[][][][]).flat(3),
      (gx as number[][][][]).flat(3),
      1e-4,
      'LRP-0 vs g×x',
    );
  });

  it('every composite conserves relevance on a bias-free net: the map sums to the logit', () => {
    const t = resolveTarget(model, x, {});
    const logits = Array.from(tf.tidy(() => targetScores(model, x, t)).dataSync());
    for (const [name, composite] of Object.entries(COMPOSITES)) {
      const got = tf.tidy(() => sums(lrp(model, x, t, composite)));
      got.forEach((s, i) =>
        assert.ok(
          Math.abs(s - logits[i]) <= 1e-3 * Math.abs(logits[i]),
          `${name} image ${i}: Σ R = ${s}, logit ${logits[i]}`,
        ),
      );
    }
  });

  it('the residual sum splits relevance in proportion, batch norms merge: conservation through a residual block', () => {
    const res = residual();
    const xr = tf.tensor4d(
      values(2 * 64, 5).map((v) => (v + 1) / 2),
      [2, 8, 8, 1],
    );
    const t = resolveTarget(res, xr, {});
    const logits = Array.from(tf.tidy(() => targetScores(res, xr, t)).dataSync());
    // (αβ conserves only where each output has both positive and negative contributions.)
    for (const name of ['lrp-epsilon', 'lrp-epsilon-plus-flat', 'lrp-epsilon-gamma-box']) {
      const a = attribute(res, xr, { method: name, units: t.units });
      const got = [0, 1].map((i) =>
        a.values.subarray(i * 64, (i + 1) * 64).reduce((s, v) => s + v, 0),
      );
      got.forEach((s, i) =>
        assert.ok(
          Math.abs(s - logits[i]) <= 1e-3 * Math.abs(logits[i]),
          `${name} image ${i}: Σ R = ${s}, logit ${logits[i]}`,
        ),
      );
    }
    xr.dispose();
  });

  it('the batch-norm canonizer: the map of conv → BN is the map of the conv with the norm folded in', () => {
    const make = (bn: boolean) => {
      const m = tf.sequential();
      const k = tf.tensor4d(
        values(9 * 3, 9).map((v) => v * 0.8),
        [3, 3, 1, 3],
      );
      const [mean, variance, gamma, beta] = [
        [0.1, -0.2, 0.3],
        [0.5, 1.5, 0.8],
        [1.2, 0.7, -0.9],
        [0.05, 0.2, -0.1],
      ];
      const gain = gamma.map((g, c) => g / Math.sqrt(variance[c] + 1e-3));
      if (bn) {
        m.add(
          tf.layers.conv2d({
            inputShape: [6, 6, 1],
            filters: 3,
            kernelSize: 3,
            useBias: false,
            weights: [k],
          }),
        );
        m.add(
          tf.layers.batchNormalization({
            weights: [
              tf.tensor1d(gamma),
              tf.tensor1d(beta),
              tf.tensor1d(mean),
              tf.tensor1d(variance),
            ],
          }),
        );
      } else {
        const folded = tf.tidy(() => k.mul(tf.tensor1d(gain)));
        m.add(
          tf.layers.conv2d({
            inputShape: [6, 6, 1],
            filters: 3,
            kernelSize: 3,
            weights: [folded, tf.tensor1d(gain.map((g, c) => beta[c] - mean[c] * g))],
          }),
        );
      }
      m.add(tf.layers.reLU());
      m.add(tf.layers.flatten());
      m.add(
        tf.layers.dense({ units: 2, useBias: false, kernelInitializer: init(11), name: 'logits' }),
      );
      return fromLayersModel(m, { range: [0, 1] });
    };
    const xb = tf.tensor4d(
      values(2 * 36, 4).map((v) => (v + 1) / 2),
      [2, 6, 6, 1],
    );
    for (const name of ['lrp-epsilon-plus-flat', 'lrp-alpha2-beta1', 'lrp-epsilon-gamma-box']) {
      const [a, b] = [make(true), make(false)].map(
        (m) => attribute(m, xb, { method: name, units: [0, 1] }).values,
      );
      assertClose(a, b, 1e-4, `${name}: BN merged vs folded by hand`);
    }
    xb.dispose();
  });

  it("z^B's bounds are the input range seen through the model's normalization", () => {
    // The same net with a (x − mean)/std in front: the first layer sees other numbers, the map is the same as on the plain net fed the normalized input with normalized bounds.
    const t = resolveTarget(model, x, {});
    const m = attribute(model, x, { method: 'lrp-epsilon-gamma-box', units: t.units });
    const logits = Array.from(tf.tidy(() => targetScores(model, x, t)).dataSync());
    [0, 1, 2].forEach((i) => {
      const s = m.values.subarray(i * 128, (i + 1) * 128).reduce((p, v) => p + v, 0);
      assert.ok(
        Math.abs(s - logits[i]) <= 1e-3 * Math.abs(logits[i]),
        `Σ R ${s} vs logit ${logits[i]}`,
      );
    });
  });

  it('an op with no LRP rule is one line naming it', () => {
    const odd: VisModel = {
      ...model,
      activations: (xi, names, offset) =>
        model.activations(tf.cumsum(xi, 1) as tf.Tensor4D, names, offset),
    };
    const t = resolveTarget(model, x, {});
    assert.throws(
      () => lrp(odd, x, t, COMPOSITES['epsilon-plus-flat'], 'lrp-epsilon-plus-flat'),
      (e: Error) =>
        e instanceof DeepvisError &&
        e.message ===
          "lrp-epsilon-plus-flat has no LRP rule for the op 'Cumsum' between the input and the target",
    );
  });

  it('the stock engine gives the same maps', () => {
    const t = resolveTarget(model, x, {});
    const run = () =>
      Object.values(COMPOSITES).map((c) =>
        tf.tidy(() => Array.from(lrp(model, x, t, c).dataSync())),
      );
    const deepvis = run();
    setHookMode('stock');
    try {
      const stock = run();
      stock.forEach((s, k) => assertClose(s, deepvis[k], 1e-5, `composite ${k}`));
    } finally {
      setHookMode('deepvis');
    }
  });

  it('AttnLRP on the trained ViT: relevance lands on the digit, and most of the logit reaches the pixels', async () => {
    const vit = await loadModel('test/fixtures/onnx/trained/mnist-vit/model.onnx');
    const set = await loadEvalSet('mnist', [28, 28, 1]);
    const xv = tf.tensor4d(set.images.slice(0, 8 * 784), [8, 28, 28, 1]);
    const a = attribute(vit, xv, { method: 'lrp-epsilon' });
    const px = xv.dataSync();
    let [on, off, non, noff] = [0, 0, 0, 0];
    a.heat.forEach((v, p) => {
      if (px[p] > 0.3) {
        on += v;
        non++;
      } else {
        off += Math.abs(v);
        noff++;
      }
    });
    // Measured: digit/background 48 (mean relevance per ink pixel over mean |relevance| per background pixel); Σ R / logit 0.39–0.86.
    assert.ok(on / non > 10 * (off / noff), `digit ${on / non}, background ${off / noff}`);
    a.scores.forEach((score, i) => {
      const sum = a.heat.subarray(i * 784, (i + 1) * 784).reduce((p, v) => p + v, 0);
      assert.ok(sum > 0.2 * score && sum < 1.2 * score, `image ${i}: Σ R ${sum}, logit ${score}`);
    });
    xv.dispose();
    vit.dispose();
  });

  it('every LRP method runs through attribute() with its options', () => {
    for (const name of [
      'lrp-epsilon',
      'lrp-epsilon-plus-flat',
      'lrp-epsilon-gamma-box',
      'lrp-alpha2-beta1',
    ]) {
      const a = attribute(model, x, {
        method: name,
        options: pickOptions(attributionMethod(name).options, { epsilon: 0.1 }),
      });
      assert.ok(a.values.every(Number.isFinite) && a.values.some((v) => v !== 0), name);
    }
  });
});
