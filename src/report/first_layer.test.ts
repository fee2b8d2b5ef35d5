/**
 * The atlas's first layers (issue 30, item 4): a convolution on the image shows its weights (each
 * filter scaled on its own, zero grey) and its centre neuron's image cropped to the receptive
 * field, instead of the channel mean's near-flat tile. Kernels set by hand: a vertical edge
 * [-1 0 1] in every row and a centre spike of 2.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { setup } from '../../test/helpers.js';
import { isFirstLayer, planReport } from './plan.js';
import { computeVis } from './vis.js';
import { firstLayerWeights } from './weights.js';

let model: VisModel;

before(async () => {
  await setup('wasm');
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [9, 9, 1],
      filters: 2,
      kernelSize: 3,
      useBias: false,
      name: 'c1',
    }),
  );
  m.add(tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', name: 'c2' }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dense({ units: 2, name: 'out' }));
  // c1's kernel [3, 3, 1, 2]: unit 0 = columns -1, 0, 1; unit 1 = 2 at the centre.
  const k = new Float32Array(18);
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++) {
      k[(y * 3 + x) * 2] = x - 1;
      k[(y * 3 + x) * 2 + 1] = x === 1 && y === 1 ? 2 : 0;
    }
  m.getLayer('c1').setWeights([tf.tensor4d(k, [3, 3, 1, 2])]);
  model = fromLayersModel(m, { range: [0, 1] });
});

describe('first layers in the atlas', () => {
  it('a convolution on the image is a first layer; one on a feature map or a dense head is not', () => {
    const names = model.layers.filter((l) => isFirstLayer(model, l)).map((l) => l.name);
    assert.deepEqual(names, ['c1']);
    assert.deepEqual(planReport(model).first, ['c1']);
    assert.deepEqual(planReport(model).centre, ['c1']);
    // A dense layer on the flattened image is a first layer (its weights are pictures), not a centre one.
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [4, 4, 1], name: 'flat' }));
    m.add(tf.layers.dense({ units: 3, name: 'h' }));
    m.add(tf.layers.dense({ units: 2, name: 'o' }));
    const mlp = fromLayersModel(m, { range: [0, 1] });
    assert.deepEqual(planReport(mlp).first, ['h']);
    assert.deepEqual(planReport(mlp).centre, []);
    assert.deepEqual(firstLayerWeights(mlp, 'h').data.shape, [4, 4, 1]);
  });

  it('weights: each filter on its own symmetric scale (−1, 0, 1 → 0, 128, 255; the spike 255 on 128)', () => {
    const w = firstLayerWeights(model, 'c1');
    assert.deepEqual(w.data.shape, [3, 3, 1]);
    assert.deepEqual(w.data.norms, [+Math.sqrt(6).toPrecision(5), 2]);
    const grey = (name: string) => Array.from({ length: 9 }, (_, i) => w.images[name].data[i * 4]);
    assert.deepEqual(grey('u0'), [0, 128, 255, 0, 128, 255, 0, 128, 255]);
    assert.deepEqual(grey('u1'), [128, 128, 128, 128, 255, 128, 128, 128, 128]);
  });

  it("the centre neuron's image is cropped to its 3×3 field and shows the filter: dark left, bright right", () => {
    const group = { layer: 'c1', units: [0, 1], seed: 3, ordinal: 0 };
    const { data, images } = computeVis(model, 'center', { center: { steps: 40 } }, group);
    assert.equal(data.method, 'center');
    assert.deepEqual(data.neuron, [3, 3]);
    assert.deepEqual(data.crop, { y0: 3, x0: 3, y1: 6, x1: 6 });
    const u0 = images.u0;
    assert.deepEqual([u0.width, u0.height], [3, 3]);
    const px = (x: number, y: number) => u0.data[(y * 3 + x) * 4];
    for (let y = 0; y < 3; y++)
      assert.ok(px(0, y) < px(2, y), `row ${y}: ${px(0, y)} < ${px(2, y)}`);
    // The spike's image is brightest at the centre.
    const u1 = images.u1;
    const centre = u1.data[4 * 4];
    for (let i = 0; i < 9; i++) if (i !== 4) assert.ok(u1.data[i * 4] <= centre);
  });
});
