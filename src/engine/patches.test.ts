/**
 * The two engine modes give the same numbers: every attribution method of the registry and every
 * feature-visualization method (a few steps), on a layers CNN (conv, ReLU, max-pool, dense), a
 * layers model with batch norm, a padded average pool, a depthwise conv and ReLU6, and a converted
 * graph model (fused convs, separable conv, FusedBatchNormV3), computed under deepvis's patches
 * and again on stock tfjs in the same process, agree within float error. The stock mode is plain
 * tfjs where tfjs is right: no tape or kernel hook acts, tfjs's own gradients are registered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../attribution/attribute.js';
import { unfit } from '../attribution/method.js';
import { ATTRIBUTIONS } from '../attribution/registry.js';
import { argsFor, runChunked } from '../methods/method.js';
import { FEATURE_VIS } from '../methods/registry.js';
import { visModelFromArtifacts } from '../model/from_artifacts.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { pickOptions } from '../options.js';
import { assertClose, noLeaks, setup, values } from '../../test/helpers.js';
import { graphModelArtifacts } from '../../test/fixtures/graph_model.js';
import { smallCnn } from '../../test/fixtures/small_cnn.js';
import { tapeState } from './internals.js';
import { applyPatches, tapeHooks } from './patches.js';
import { RELU_GRADIENT } from './relu_gradient.js';

function bnModel(): VisModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [10, 10, 3],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      name: 'conv',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
    }),
  );
  m.add(
    tf.layers.batchNormalization({
      name: 'bn',
      gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 6 }),
      movingVarianceInitializer: tf.initializers.constant({ value: 0.7 }),
    }),
  );
  m.add(tf.layers.activation({ activation: 'relu6', name: 'relu6' }));
  m.add(tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'avg' }));
  m.add(
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      depthMultiplier: 2,
      activation: 'relu',
      name: 'dw',
      depthwiseInitializer: tf.initializers.glorotUniform({ seed: 7 }),
    }),
  );
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 3,
      name: 'logits',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }),
    }),
  );
  return fromLayersModel(m, { range: [0, 1] });
}

type Numbers = Record<string, Float32Array>;

/** Every attribution map and a few steps of every feature-visualization method on `model`. */
function everything(model: VisModel, convLayer: string, out: string): Numbers {
  const [h, w, c] = model.input.shape;
  const x = tf.tensor4d(
    Float32Array.from(values(2 * h * w * c, 3), (v) => (v + 1) / 2),
    [2, h, w, c],
  );
  const res: Numbers = {};
  try {
    // Attention maps need a transformer; these are CNNs (the invariants table runs them on a ViT).
    for (const m of ATTRIBUTIONS.filter((a) => unfit(a, model) == null)) {
      res[m.name] = attribute(model, x, {
        method: m,
        layer: out,
        units: [0, 1],
        camLayer: m.layer ? convLayer : undefined,
        options: pickOptions(m.options, { samples: 3, 'ig-steps': 4, size: 3, stride: 2 }),
      }).values;
    }
    const data = {
      name: 'x',
      images: x.dataSync() as Float32Array,
      labels: null,
      shape: [h, w, c] as [number, number, number],
      count: 2,
      classNames: null,
    };
    const image = x.slice([0], [1]);
    for (const m of FEATURE_VIS) {
      const r = runChunked(
        m,
        model,
        argsFor(m, { layer: out, units: [0, 1], steps: 3 }, m.quick ?? {}, { model, data, image }),
      );
      res[`${m.name} image`] = r.images.dataSync() as Float32Array;
      r.dispose();
    }
    image.dispose();
  } finally {
    x.dispose();
  }
  return res;
}

describe('deepvis and stock tfjs give the same numbers', () => {
  const cases: Array<[string, () => Promise<VisModel>, string, string]> = [
    ['layers CNN', async () => smallCnn(10, 3), 'conv', 'logits'],
    ['batch norm, ReLU6, padded average pool, depthwise', async () => bnModel(), 'dw', 'logits'],
    [
      'graph model',
      async () => visModelFromArtifacts(graphModelArtifacts(2), 'fixture', { range: [0, 1] }),
      'pw/conv',
      'fc',
    ],
  ];
  before(() => setup('wasm'));
  after(() => applyPatches('deepvis', 'wasm'));
  for (const [name, make, conv, out] of cases) {
    it(name, async () => {
      const model = await make();
      applyPatches('deepvis', 'wasm');
      const ours = await noLeaks(() => everything(model, conv, out));
      applyPatches('stock', 'wasm');
      const stock = await noLeaks(() => everything(model, conv, out));
      applyPatches('deepvis', 'wasm');
      for (const key of Object.keys(ours))
        assertClose(stock[key], ours[key], 1e-5, `${name}: ${key}`);
      model.dispose();
    });
  }

  it('stock is plain tfjs: its own ReLU gradient, no tape hook, tfjs’s backward walk; deepvis puts them back', () => {
    applyPatches('stock', 'wasm');
    assert.notEqual(tf.getGradient('Relu'), RELU_GRADIENT);
    let saved: unknown[] = [];
    tf.tidy(() =>
      tf.grad((v: tf.Tensor) => {
        const y = v.add(1).square();
        saved = (tapeState().activeTape ?? [])
          .filter((n) => n.kernelName === 'Add')
          .flatMap((n) => n.saved);
        return y.sum();
      })(tf.ones([4])),
    );
    assert.ok(
      saved.length > 0 && saved.every((t) => t instanceof tf.Tensor),
      'stock Add keeps real tensors',
    );
    applyPatches('deepvis', 'wasm');
    assert.equal(tf.getGradient('Relu'), RELU_GRADIENT);
    assert.deepEqual(tapeHooks(), ['lazy fused gradients', 'shape-only saves']);
  });
});
