/**
 * The metrics mean what they say: on a linear model the exact attribution w ⊙ x has MuFidelity 1
 * and the best deletion curve of all 24 orderings of a 4-pixel case; a constant map scores like
 * random orderings; a trained CNN's plain-gradient map decorrelates (|ρ| < 0.3) once every layer is
 * randomized, and the weights come back exactly; randomization works on graph and ONNX models;
 * chunk size changes nothing; no tensor leaks; bad input is one DeepvisError.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../attribution/attribute.js';
import { split } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import { loadModel } from '../io/model_files.js';
import { visModelFromArtifacts } from '../model/from_artifacts.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget } from '../objectives/target.js';
import { buildClassifier } from '../train/architectures.js';
import { fitClassifier } from '../train/fit.js';
import { graphModelArtifacts } from '../../test/fixtures/graph_model.js';
import { maxAbsDiff, noLeaks, setup, values } from '../../test/helpers.js';
import { causalFidelity } from './causal.js';
import type { Explainer, MetricContext } from './metric_context.js';
import { muFidelity } from './mufidelity.js';
import { dataRandomization, mprt, parameterLayers, randomizeLayer } from './randomization.js';
import { road } from './road.js';
import { infidelity, maxSensitivity } from './robustness.js';
import { auc, spearman, summarize } from './stats.js';

before(() => setup('wasm'));

/** score = Σ w ⊙ x, one output, no softmax: the score is exactly linear. */
function linear(w: Float32Array, side: number): VisModel {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [side, side, 1], name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 1,
      useBias: false,
      name: 'out',
      weights: [tf.tensor2d(w, [w.length, 1])],
    }),
  );
  return fromLayersModel(m, { range: [0, 1], channelOrder: 'gray' });
}

function context(model: VisModel, x: tf.Tensor4D, heat: Float32Array): MetricContext {
  const t = resolveTarget(model, x, { units: [0] });
  return { model, x, t, maps: { heat, values: heat }, maxBatch: 64 };
}

const permutations = (n: number): number[][] =>
  n === 1
    ? [[0]]
    : permutations(n - 1).flatMap((p) =>
        Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)]),
      );

describe('statistics', () => {
  it('Spearman with ties equals the hand value; AUC is the trapezoid', () => {
    // ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4]; against [1, 2, 3, 4]: r = 4.5 / √(4.5 · 5)
    assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 4.5 / Math.sqrt(4.5 * 5)) < 1e-12);
    assert.equal(auc([1, 0]), 0.5);
    assert.equal(auc([1, 1, 0]), 0.75);
    const s = summarize([1, 2, 3]);
    assert.equal(s.mean, 2);
    assert.ok(Math.abs(s.ci95 - (4.303 * 1) / Math.sqrt(3)) < 1e-9);
  });
});

describe('faithfulness on a linear model', () => {
  it('w ⊙ x has MuFidelity 1 and the best deletion AUC of all 24 orderings', async () => {
    const w = Float32Array.of(2, -1, 0.5, 3);
    const model = linear(w, 2);
    const xv = Float32Array.of(0.9, 0.8, 0.4, 0.3);
    const x = tf.tensor4d(xv, [1, 2, 2, 1]);
    const exact = w.map((wi, i) => wi * xv[i]); // [1.8, -0.8, 0.2, 0.9]
    await noLeaks(() => {
      const mu = muFidelity(context(model, x, exact), { samples: 200 });
      assert.ok(mu.scores[0] > 0.999, `MuFidelity ${mu.scores[0]}`);
      const del = (heat: Float32Array) =>
        causalFidelity(context(model, x, heat), 'deletion', { steps: 4 }).scores[0];
      const best = del(exact);
      // Every ordering as a heat (rank 4 … 1); w ⊙ x, largest first, must be ≤ all of them.
      const all = permutations(4).map((p) => del(Float32Array.from(p, (r) => 4 - r)));
      assert.ok(
        all.every((a) => best <= a + 1e-6),
        `best ${best}, min ${Math.min(...all)}`,
      );
      // By hand: the curve Σ of the kept contributions after removing 0…4 pixels in order 0, 3, 2, 1.
      const curve = [2.1, 0.3, -0.6, -0.8, 0];
      assert.ok(Math.abs(best - auc(curve)) < 1e-5);
    });
    x.dispose();
    model.dispose();
  });

  it('a constant map scores as random orderings do', async () => {
    const side = 8;
    const w = values(side * side, 3);
    const model = linear(w, side);
    const x = tf.tensor4d(
      values(side * side, 4).map((v) => (v + 1) / 2),
      [1, side, side, 1],
    );
    const constant = new Float32Array(side * side).fill(1);
    const rng = new Rng(5);
    const randomMaps = Array.from({ length: 40 }, () =>
      Float32Array.from({ length: side * side }, () => rng.next()),
    );
    for (const metric of ['deletion', 'mufidelity'] as const) {
      const score = (heat: Float32Array) =>
        (metric === 'deletion'
          ? causalFidelity(context(model, x, heat), 'deletion')
          : muFidelity(context(model, x, heat))
        ).scores[0];
      const random = summarize(randomMaps.map(score));
      const sd = (random.ci95 / 2.023) * Math.sqrt(random.n);
      const c = score(constant);
      assert.ok(
        Math.abs(c - random.mean) < 2.5 * sd,
        `${metric}: constant ${c}, random ${random.mean} ± ${sd}`,
      );
      // …and the exact map is far better than either.
      const exact = score(w.map((wi, i) => wi * x.dataSync()[i]));
      assert.ok(
        metric === 'deletion' ? exact < random.mean - 2.5 * sd : exact > random.mean + 2.5 * sd,
        `${metric}: exact ${exact}`,
      );
    }
    x.dispose();
    model.dispose();
  });

  it('infidelity of the exact map is 0 on a linear model, and is chunk-independent', () => {
    const side = 4;
    const w = values(side * side, 7);
    const model = linear(w, side);
    const x = tf.tensor4d(
      values(2 * side * side, 8).map((v) => (v + 1) / 2),
      [2, side, side, 1],
    );
    const xs = x.dataSync() as Float32Array;
    const exact = xs.map((v, i) => v * w[i % (side * side)]);
    const ctx = { ...context(model, x, exact), t: resolveTarget(model, x, { units: [0] }) };
    // w ⊙ x in Captum's multiply-by-inputs form, and the gradient w in the plain form: both exact.
    const a = infidelity({ ...ctx, maxBatch: 1 }, { multipliedBy: 0 });
    const b = infidelity({ ...ctx, maxBatch: 64 }, { multipliedBy: 0 });
    assert.ok(
      a.scores.every((s) => s < 1e-10),
      `${a.scores}`,
    );
    assert.deepEqual(a.scores, b.scores);
    const gradient = Float32Array.from(xs, (_, i) => w[i % (side * side)]);
    assert.ok(
      infidelity({ ...ctx, maps: { heat: gradient, values: gradient } }).scores.every(
        (s) => s < 1e-10,
      ),
    );
    // A map off by a factor 2 is not.
    const twice = gradient.map((v) => 2 * v);
    assert.ok(
      infidelity({ ...ctx, maps: { heat: twice, values: twice } }).scores.every((s) => s > 1e-7),
    );
    x.dispose();
    model.dispose();
  });
});

describe('bad input', () => {
  it('ROAD without labels is one DeepvisError; max-sensitivity of a fixed map is 0', () => {
    const model = linear(values(4, 1), 2);
    const x = tf.tensor4d([0.1, 0.2, 0.3, 0.4], [1, 2, 2, 1]);
    const ctx = context(model, x, Float32Array.of(1, 2, 3, 4));
    assert.throws(
      () => road(ctx, 'morf'),
      (e: Error) =>
        e instanceof DeepvisError && /ROAD scores accuracy against labels/.test(e.message),
    );
    const fixed: Explainer = () => ({
      values: Float32Array.of(1, 2, 3, 4),
      heat: Float32Array.of(1, 2, 3, 4),
    });
    assert.deepEqual(maxSensitivity(ctx, fixed).scores, [0]);
    x.dispose();
    model.dispose();
  });
});

describe('randomization', () => {
  let cnn: VisModel;
  let images: tf.Tensor4D;
  let labels: number[];
  before(async () => {
    const { train, test } = split(loadMnist(), 0.2, 0);
    const m = buildClassifier('cnn', [28, 28, 1], 10, 0);
    await fitClassifier(m, { ...train, count: 2000 }, { ...test, count: 200 }, 10, { epochs: 1 });
    cnn = fromLayersModel(m, { range: [0, 1], channelOrder: 'gray' });
    images = tf.tensor4d(test.images.subarray(0, 8 * 784), [8, 28, 28, 1]);
    labels = Array.from(test.labels!.subarray(0, 8));
  });

  const saliencyOf: Explainer = (model, x, t) =>
    attribute(model, x, { method: 'saliency', layer: t.layer.name, units: t.units });

  it('MPRT: the plain gradient decorrelates once every layer is randomized, and the weights come back', async () => {
    const t = resolveTarget(cnn, images, { units: labels });
    const before = tf.tidy(() => cnn.predict(images).dataSync());
    // The signed gradient (Adebayo et al.'s "no absolute value" comparison). Of |∂score/∂x| a
    // spatial envelope survives randomization (measured |ρ| ≈ 0.38 here), as the paper also shows.
    const r = await noLeaks(() =>
      mprt(cnn, images, t, saliencyOf, { seed: 1, map: 'values', abs: false }),
    );
    assert.deepEqual(r.layers, ['logits', 'dense1', 'conv3', 'conv2', 'conv1']);
    const last = summarize(r.rho[r.rho.length - 1].map(Math.abs));
    assert.ok(last.mean < 0.3, `|ρ| after all layers ${last.mean}`);
    const after = tf.tidy(() => cnn.predict(images).dataSync());
    assert.equal(maxAbsDiff(before, after), 0);
    const ind = mprt(cnn, images, t, saliencyOf, { seed: 1, order: 'independent' });
    assert.equal(ind.rho.length, 5);
    assert.equal(
      maxAbsDiff(
        before,
        tf.tidy(() => cnn.predict(images).dataSync()),
      ),
      0,
    );
  });

  it('ROAD on the trained CNN: the saliency map removes more accuracy most-relevant-first than least-relevant-first', () => {
    const t = resolveTarget(cnn, images, { units: labels });
    const a = saliencyOf(cnn, images, t);
    const ctx: MetricContext = { model: cnn, x: images, t, maps: a, labels, maxBatch: 128 };
    const morf = summarize(road(ctx, 'morf').scores).mean;
    const lerf = summarize(road(ctx, 'lerf').scores).mean;
    assert.ok(morf < lerf, `morf ${morf} lerf ${lerf}`);
  });

  it('data randomization: a model against itself is ρ = 1; against the same CNN trained on shuffled labels, much lower', async () => {
    const t = resolveTarget(cnn, images, { units: labels });
    assert.deepEqual(dataRandomization(cnn, cnn, images, t, saliencyOf).scores, Array(8).fill(1));
    const { train, test } = split(loadMnist(), 0.2, 0);
    const shuffledLabels = Int32Array.from(new Rng(3).shuffle(Array.from(train.labels!)));
    const m = buildClassifier('cnn', [28, 28, 1], 10, 0);
    await fitClassifier(
      m,
      { ...train, labels: shuffledLabels, count: 2000 },
      { ...test, count: 200 },
      10,
      { epochs: 1 },
    );
    const shuffled = fromLayersModel(m, { range: [0, 1], channelOrder: 'gray' });
    const r = await noLeaks(() => dataRandomization(cnn, shuffled, images, t, saliencyOf));
    assert.ok(
      summarize(r.scores).mean < 0.8,
      `|ρ| real vs shuffled labels ${summarize(r.scores).mean}`,
    );
    shuffled.dispose();
  });

  for (const [name, open] of [
    ['graph', async () => visModelFromArtifacts(graphModelArtifacts(), 'graph fixture')],
    ['onnx', async () => loadModel('test/fixtures/onnx/mobilenetv2-mini-op17.onnx')],
    ['keras', async () => loadModel('test/fixtures/keras/mobile_k3.keras')],
  ] as const) {
    it(`randomizes and restores a ${name} model's layers in place`, async () => {
      const model = await open();
      const x = tf.randomUniform(
        [2, ...model.input.shape],
        ...model.input.range,
        'float32',
        3,
      ) as tf.Tensor4D;
      const layers = parameterLayers(model);
      assert.ok(layers.length >= 2, `${name}: ${layers}`);
      const base = tf.tidy(() => model.predict(x).dataSync());
      await noLeaks(() => {
        const restore = randomizeLayer(model, layers[0], new Rng(1));
        const moved = tf.tidy(() => model.predict(x).dataSync());
        assert.ok(
          maxAbsDiff(base, moved) > 1e-4,
          `${name}: randomizing ${layers[0]} changed nothing`,
        );
        restore();
      });
      assert.equal(
        maxAbsDiff(
          base,
          tf.tidy(() => model.predict(x).dataSync()),
        ),
        0,
      );
      x.dispose();
      model.dispose();
    });
  }
});
