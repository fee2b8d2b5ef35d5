/**
 * The optimization methods on small models built here: each must raise what it optimizes, stay in
 * the input range, keep one image per unit, and leave no tensor behind; and run on a converted
 * graph model (separable conv, batch norm, fused ops) on wasm.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { visModelFromArtifacts } from '../model/from_artifacts.js';
import { deepDream } from '../objectives/layer.js';
import { scoreImages, unitObjectiveOf } from './recipe.js';
import { compareWithBlank, dataDriven, estimateSteps, isolatedPixels } from './data_driven.js';
import { dreamPhoto } from './dream.js';
import { dreamUnits } from './dream_units.js';
import { dreamZoom } from './zoom.js';
import { invert } from './invert.js';
import { lucid } from './lucid.js';
import { yosinski, YOSINSKI_PRESETS } from './yosinski.js';
import { graphModelArtifacts } from '../../test/fixtures/graph_model.js';
import { smallCnn } from '../../test/fixtures/small_cnn.js';
import { noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

function randomSet(n: number): ImageSet {
  return {
    name: 'random',
    images: Float32Array.from(values(n * 144, 5), (v) => (v + 1) / 2),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    shape: [12, 12, 1],
    count: n,
    classNames: null,
  };
}

function inRange(t: tf.Tensor, lo: number, hi: number): boolean {
  return t.dataSync().every((v) => v >= lo - 1e-6 && v <= hi + 1e-6);
}

describe('optimization methods', () => {
  it('lucid raises every requested channel far above a random image, inside the range', async () => {
    const model = smallCnn();
    await noLeaks(() => {
      const r = lucid(model, { layer: 'conv:pre', units: [0, 1, 2, 3], steps: 60 });
      assert.deepEqual(r.images.shape, [4, 12, 12, 1]);
      assert.ok(inRange(r.images, 0, 1));
      // Better than the best of 64 random images, for every channel.
      const noise = tf.randomUniform([64, 12, 12, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
      const base = tf.tidy(() =>
        model.activations(noise, ['conv:pre'])[0].mean([1, 2]).max(0).dataSync(),
      );
      r.units.forEach((u, i) =>
        assert.ok(
          u.activation > base[i],
          `channel ${u.unit}: ${u.activation} vs best random ${base[i]}`,
        ),
      );
      tf.dispose([r.images, noise]);
    });
  });

  it("yosinski runs the paper's four sets and each raises the unit", async () => {
    const model = smallCnn();
    await noLeaks(() => {
      // 40 steps, not the toolbox's 500–1000, at the default calibrated rates (the toolbox's CaffeNet
      // pixel rates scaled so a first step predicts its progress target on this net).
      const r = yosinski(model, {
        layer: 'logits',
        units: [0, 1, 2],
        sets: YOSINSKI_PRESETS,
        steps: 40,
      });
      assert.ok(Number(r.params.rateFactor) > 1, `rate factor ${r.params.rateFactor}`);
      assert.deepEqual(r.images.shape, [12, 12, 12, 1]);
      assert.ok(inRange(r.images, 0, 1));
      const zeros = tf.fill([3, 12, 12, 1], 0) as tf.Tensor4D;
      const start = scoreImages(
        model,
        unitObjectiveOf(model, { layer: 'logits', units: [0, 1, 2] }),
        zeros,
      );
      zeros.dispose();
      r.units.forEach((u, i) =>
        assert.ok(
          u.activation > start[i % 3],
          `item ${i}: ${u.activation} vs start ${start[i % 3]}`,
        ),
      );
      r.images.dispose();
    });
  });

  it('data-driven starts from the best data-set image, ends binary, and counts noise as isolated pixels', async () => {
    const model = smallCnn();
    const data = randomSet(30);
    const img = new Float32Array(25);
    img[0] = 1; // isolated
    img[12] = img[13] = 1; // a 2-pixel stroke
    assert.equal(isolatedPixels(img, [5, 5, 1], 0.9), 1);
    await noLeaks(() => {
      const r = dataDriven(model, { layer: 'logits', units: [0, 1], data, steps: 10 });
      const all = tf.tidy(() =>
        model.activations(tf.tensor4d(data.images, [30, 12, 12, 1]), ['logits'])[0].dataSync(),
      );
      for (const k of [0, 1]) {
        const best = Math.max(...Array.from({ length: 30 }, (_, i) => all[i * 3 + k]));
        assert.ok(Math.abs(r.startActivations[k] - best) < 1e-4, 'start is the arg-max image');
        assert.ok(r.ascentActivations[k] > r.startActivations[k], 'the ascent raises the unit');
      }
      assert.ok(
        r.images.dataSync().every((v) => v === 0 || v === 1),
        'step filter output is binary',
      );
      tf.dispose([r.images, r.unfiltered]);
      // The onsets, checked against the method itself: after onset − 1 steps the step-filtered image
      // has fewer than 2 new isolated on-pixels, after onset steps at least 2 (never, if censored).
      const est = estimateSteps(model, { layer: 'logits', units: [0, 1], data, maxSteps: 30 });
      const newIsolated = (steps: number) => {
        const run = dataDriven(model, { layer: 'logits', units: [0, 1], data, steps });
        const start = dataDriven(model, { layer: 'logits', units: [0, 1], data, steps: 0 });
        const count = (t: tf.Tensor4D, i: number) =>
          isolatedPixels(t.dataSync().subarray(i * 144, (i + 1) * 144), [12, 12, 1], 0.9);
        const out = [0, 1].map((i) => count(run.images, i) - count(start.images, i));
        tf.dispose([run.images, run.unfiltered, start.images, start.unfiltered]);
        return out;
      };
      assert.ok(
        est.onsets.some((o) => !o.censored),
        'the test needs a unit whose noise appears',
      );
      est.onsets.forEach((o, i) => {
        if (o.censored) assert.ok(newIsolated(30)[i] < 2, `unit ${o.unit} censored at 30`);
        else
          assert.deepEqual(
            [newIsolated(o.onset - 1)[i] < 2, newIsolated(o.onset)[i] >= 2],
            [true, true],
            `unit ${o.unit} onset ${o.onset}`,
          );
      });
      assert.equal(
        est.steps,
        Math.round(est.onsets.reduce((a, o) => a + o.onset, 0) / est.onsets.length),
      );
      const cmp = compareWithBlank(model, {
        layer: 'logits',
        units: [1],
        data,
        steps: 10,
        blankSteps: 40,
      });
      assert.equal(cmp.length, 1);
      assert.ok(cmp[0].dataDriven.steps != null);
    });
  });

  it('inversion through an identity-like layer recovers the image', async () => {
    const m = tf.sequential();
    // 1×1 conv with identity weights: φ(x) = x. (Behind a ReLU, a pixel pushed to 0 would get no
    // gradient again — a property of ReLU inversion, not of the optimizer.)
    m.add(
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 1,
        kernelSize: 1,
        name: 'id',
        weights: [tf.ones([1, 1, 1, 1]), tf.zeros([1])],
      }),
    );
    const model = fromLayersModel(m, { range: [0, 1] });
    const photo = tf.tensor3d(
      Float32Array.from(values(64, 8), (v) => (v + 1) / 2),
      [8, 8, 1],
    );
    await noLeaks(() => {
      const r = invert(model, photo, {
        layer: 'id',
        restarts: 2,
        steps: 300,
        lambdaTV: 0,
        lambdaAlpha: 0,
      });
      r.errors.forEach((e) => assert.ok(e < 5e-3, `normalized error ${e}`));
      const diff = tf.tidy(() => r.images.sub(photo.expandDims(0)).abs().max().dataSync()[0]);
      assert.ok(diff < 0.02, `max pixel error ${diff}`);
      r.images.dispose();
    });
    assert.throws(
      () => invert(model, tf.zeros([4, 4, 1]) as tf.Tensor3D, { layer: 'id' }),
      /image is 4×4×1, the model takes 8×8×1/,
    );
    photo.dispose();
  });

  it('DeepDream enhances the layer over octaves on a photo larger than the input, and zooms', async () => {
    const model = smallCnn();
    const photo = tf.tensor3d(
      Float32Array.from(values(30 * 20, 6), (v) => (v + 1) / 2),
      [30, 20, 1],
    );
    await noLeaks(() => {
      const r = dreamPhoto(model, photo, {
        objective: deepDream(model.layer('conv')),
        octaves: 2,
        stepsPerOctave: 8,
      });
      assert.deepEqual(r.image.shape, [30, 20, 1]);
      assert.ok(inRange(r.image, 0, 1));
      const energy = (img: tf.Tensor3D) =>
        tf.tidy(
          () =>
            scoreImages(
              model,
              deepDream(model.layer('conv')),
              img.slice([0, 0, 0], [12, 12, 1]).expandDims(0) as tf.Tensor4D,
            )[0],
        );
      const before = energy(photo);
      const after = energy(r.image);
      assert.ok(after > before * 1.2, `layer energy ${before} → ${after}`);
      r.image.dispose();
      const z = dreamZoom(model, photo, {
        objective: deepDream(model.layer('conv')),
        frames: 3,
        stepsPerOctave: 2,
        octaves: 1,
      });
      assert.equal(z.frames.length, 3);
      z.frames.forEach((f) => f.dispose());
      const u = dreamUnits(model, { layer: 'logits', units: [0, 1, 2], steps: 30 });
      assert.deepEqual(u.images.shape, [3, 12, 12, 1]);
      u.images.dispose();
    });
    photo.dispose();
  });

  it('runs on a converted graph model (separable conv, batch norm, fused ops) on wasm', async () => {
    const model = await visModelFromArtifacts(graphModelArtifacts(), 'fixture');
    await noLeaks(() => {
      const r = lucid(model, { layer: 'bn/relu', units: [0, 5], steps: 20 });
      assert.ok(r.units.every((u) => Number.isFinite(u.activation)));
      r.images.dispose();
      const y = yosinski(model, {
        layer: 'fc/matmul',
        units: [1],
        steps: 10,
        sets: YOSINSKI_PRESETS,
      });
      y.images.dispose();
      const photo = tf.randomUniform([12, 12, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
      const inv = invert(model, photo, { layer: 'pw/conv', restarts: 2, steps: 30 });
      assert.ok(
        inv.errors.every((e) => e < 1),
        `errors ${inv.errors}`,
      );
      const d = dreamPhoto(model, photo, {
        objective: deepDream(model.layer('dw/depthwise')),
        octaves: 1,
        stepsPerOctave: 3,
      });
      tf.dispose([inv.images, d.image, photo]);
    });
  });
});
