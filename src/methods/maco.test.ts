/**
 * MaCo and feature accentuation: the transparency map is exactly the accumulated |∂loss/∂canvas|
 * (worked out on a linear model, where that gradient depends only on the crops drawn); MaCo raises
 * its units from its start; accentuation with a zero unit weight returns its start image, and with
 * the unit on raises it above the start image's; the leaky warm-up is applied and undone; nothing leaks.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { Rng } from '../engine/rng.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { oneOverF, spectrumCols, type Spectrum } from '../param/spectrum.js';
import { cropResize, drawBoxes } from '../transforms/crops.js';
import { accentuate } from './accentuate.js';
import { maco } from './maco.js';
import { datasetSpectrum } from '../param/data_spectrum.js';
import { smallCnn } from '../../test/fixtures/small_cnn.js';
import { maxAbsDiff, noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

const flatSpectrum = (h: number, w: number): Spectrum => ({
  values: new Float32Array(h * spectrumCols(w)).fill(1),
  channels: 1,
  height: h,
  width: w,
  source: 'flat',
});

function linearModel(w: Float32Array) {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [8, 8, 1], name: 'flat' }));
  m.add(
    tf.layers.dense({ units: 1, name: 'out', useBias: false, weights: [tf.tensor2d(w, [64, 1])] }),
  );
  return fromLayersModel(m, { range: [0, 1] });
}

function randomSet(n: number, side: number): ImageSet {
  return {
    name: 'random',
    images: Float32Array.from(values(n * side * side, 5), (v) => (v + 1) / 2),
    labels: null,
    shape: [side, side, 1],
    count: n,
    classNames: null,
  };
}

describe('maco', () => {
  it('the transparency map is the accumulated |gradient| (linear model, worked out from the crops drawn)', async () => {
    const w = values(64, 3);
    const model = linearModel(w);
    const steps = 4;
    const crops = 3;
    const before = tf.memory().numTensors;
    const r = maco(model, {
      layer: 'out',
      units: [0],
      steps,
      crops,
      noise: 0,
      canvas: [8, 8],
      boxStart: 1,
      boxEnd: 0.5,
      magnitude: flatSpectrum(8, 8),
      seed: 7,
    });
    assert.equal(
      tf.memory().numTensors,
      before + 3,
      'only the three result tensors outlive the run',
    );
    // The same random stream: one draw for the phase, then each step's boxes (no noise draws at noise 0).
    const rng = new Rng(7);
    rng.seed();
    const expected = tf.tidy(() => {
      const wt = tf.tensor2d(w, [64, 1]);
      const canvas = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
      let sum = tf.zeros([1, 8, 8, 1]);
      for (let s = 0; s < steps; s++) {
        const boxes = drawBoxes(rng, crops, 1 + (-0.5 * s) / (steps - 1));
        // The loop minimizes −(mean over crops of w·crop); the map is |∂/∂canvas| of that.
        const g = tf.grad((c: tf.Tensor) =>
          cropResize(c as tf.Tensor4D, boxes, [8, 8], 0)
            .reshape([crops, 64])
            .matMul(wt)
            .sum()
            .div(-crops),
        )(canvas);
        sum = sum.add(g.abs());
      }
      return sum.dataSync();
    });
    const got = r.transparency.dataSync();
    assert.ok(maxAbsDiff(got, expected) < 1e-5, `max diff ${maxAbsDiff(got, expected)}`);
    assert.ok(got.some((v) => v > 0));
    for (const t of [r.images, r.canvas, r.transparency]) t.dispose();
  });

  it('raises its units from where they started, many at once, keeping one image per unit, without leaks', async () => {
    const model = smallCnn();
    const magnitude = datasetSpectrum(model, randomSet(20, 12));
    await noLeaks(() => {
      const r = maco(model, {
        layer: 'conv:pre',
        units: [0, 1, 2, 3],
        steps: 40,
        crops: 8,
        magnitude,
        warmup: 5,
      });
      assert.deepEqual(r.images.shape, [4, 12, 12, 1]);
      assert.deepEqual(r.transparency.shape, r.canvas.shape);
      // The same run with no steps is the start: every unit must have risen from it.
      const r0 = maco(model, {
        layer: 'conv:pre',
        units: [0, 1, 2, 3],
        steps: 0,
        crops: 8,
        magnitude,
      });
      r.units.forEach((u, i) =>
        assert.ok(
          u.activation > r0.units[i].activation,
          `unit ${u.unit}: ${u.activation} vs start ${r0.units[i].activation}`,
        ),
      );
      for (const t of [r.images, r.canvas, r.transparency, r0.images, r0.canvas, r0.transparency])
        t.dispose();
    });
    assert.ok(
      tf.getGradient('Relu') == null || !/leaky/.test(String(tf.getGradient('Relu')!.gradFunc)),
      'the stock ReLU gradient is back',
    );
  });

  it("a colour model runs on the skimage photographs' spectrum (no data), images inside the range", async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [40, 40, 3],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
      }),
    );
    const model = fromLayersModel(m, { range: [0, 255] });
    await noLeaks(() => {
      const r = maco(model, { layer: 'conv:pre', units: [0, 3], steps: 6, crops: 4 });
      assert.equal(r.params.magnitude, 'skimage photographs (scripts/maco-spectrum.ts)');
      assert.deepEqual(
        r.canvas.shape,
        [2, 80, 80, 3],
        'above 32 pixels the canvas is twice the input',
      );
      assert.deepEqual(r.images.shape, [2, 40, 40, 3]);
      assert.ok(r.images.dataSync().every((v) => v > 0 && v < 255));
      for (const t of [r.images, r.canvas, r.transparency]) t.dispose();
    });
  });

  it('a one-channel model without a data set runs on a 1/f magnitude, exactly on the canvas grid', async () => {
    // 1 / max(f, 1/4) on a 4×4 grid, f in cycles per pixel (row 3 is row −1):
    // rows u = 0, 1, 2, 3 × columns v = 0, 1, 2.
    const s = oneOverF(1, 4, 4);
    // By hand: f(1,1) = √2/4 → 2√2; f(1,2) = f(2,1) = √5/4 → 4/√5; f(2,2) = √2/2 → √2; DC floored at 1/4 → 4.
    const [a, b] = [2 * Math.SQRT2, 4 / Math.sqrt(5)];
    const want = [4, 4, 2, 4, a, b, 2, b, Math.SQRT2];
    assert.ok(maxAbsDiff(s.values.subarray(0, 9), Float32Array.from(want)) < 1e-5, `${s.values}`);
    assert.ok(maxAbsDiff(s.values.subarray(3, 6), s.values.subarray(9, 12)) === 0, 'row 3 = row 1');
    const model = smallCnn();
    await noLeaks(() => {
      const r = maco(model, { layer: 'conv:pre', units: [0, 1], steps: 4, crops: 2 });
      assert.equal(r.params.magnitude, '1/f (no data set given)');
      // Grey: free brightness and contrast (a 1/f image pinned at mid-grey cannot draw a digit's dark ground).
      assert.equal(r.params.levels, true);
      assert.deepEqual(r.images.shape, [2, 12, 12, 1]);
      assert.ok(r.images.dataSync().every(Number.isFinite));
      for (const t of [r.images, r.canvas, r.transparency]) t.dispose();
    });
  });
});

describe('accentuate', () => {
  const start = () =>
    tf.tensor4d(
      Float32Array.from(values(144, 9), (v) => 0.5 + 0.45 * v),
      [1, 12, 12, 1],
    );

  it('with a zero unit weight returns the start image', async () => {
    const model = smallCnn();
    const s = start();
    await noLeaks(() => {
      const r = accentuate(model, {
        layer: 'conv:pre',
        units: [0, 2],
        image: s,
        unitWeight: 0,
        steps: 10,
      });
      const want = s.dataSync();
      const got = r.images.dataSync();
      for (let i = 0; i < 2; i++)
        assert.ok(
          maxAbsDiff(got.subarray(i * 144, (i + 1) * 144), want) < 1e-4,
          `image ${i}: ${maxAbsDiff(got.subarray(i * 144, (i + 1) * 144), want)}`,
        );
      r.dispose();
    });
    s.dispose();
  });

  it('with the unit on, raises it above its activation on the start image', async () => {
    const model = smallCnn();
    const s = start();
    await noLeaks(() => {
      const r = accentuate(model, { layer: 'conv:pre', units: [0, 1, 2, 3], image: s, steps: 30 });
      const onStart = r.params.startActivations as number[];
      r.units.forEach((u, i) =>
        assert.ok(
          u.activation > onStart[i],
          `unit ${u.unit}: ${u.activation} ≤ the start image's ${onStart[i]}`,
        ),
      );
      r.dispose();
    });
    s.dispose();
  });
});
