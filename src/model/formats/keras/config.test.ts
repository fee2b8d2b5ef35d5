/**
 * The Keras loader's pieces on inputs worked out by hand: the Normalization layer (Keras's own
 * docstring example among them), Keras's snake_case weight keys, a Keras 2.0-style config (bare
 * layer list, hard_sigmoid, initializers and regularizers tfjs need not know), the Keras 3 call
 * records → inbound nodes, and an injected h5wasm build.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as h5wasm from 'h5wasm';
import * as h5wasmNode from 'h5wasm/node';
import { noLeaks, setup } from '../../../../test/helpers.js';
import { setH5Module } from './h5module.js';
import type { H5Group } from './h5tree.js';
import { model3to2 } from './keras3_config.js';
import { snakeCase } from './keras3_file.js';
import { readLegacyH5 } from './legacy_h5.js';
import { loadKeras } from './load.js';
import { ElementwiseOp } from './op_layers.js';
import { keras3Op, tfOpLambda } from './tf_ops.js';
import { SameAveragePooling2D } from './avg_pool_same.js';
import { Normalization } from './normalization.js';
import { registerKerasLayers } from './register.js';
import { prepareModel } from './prepare.js';

before(() => setup('wasm'));

async function values(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe('Normalization layer', () => {
  it('adapted: (x − mean) / √var per feature, and its inverse', async () => {
    const layer = new Normalization({ axis: [-1] });
    layer.apply(tf.zeros([1, 2]));
    layer.setWeights([tf.tensor1d([1, 2]), tf.tensor1d([4, 0.25]), tf.scalar(10)]);
    await noLeaks(async () => {
      const x = tf.tensor2d([[3, 3]]);
      assert.deepEqual(await values(layer.apply(x) as tf.Tensor), [1, 2]); // (3−1)/2, (3−2)/0.5
      x.dispose();
    });
    const inv = new Normalization({ axis: -1, invert: true });
    inv.apply(tf.zeros([1, 2]));
    inv.setWeights([tf.tensor1d([1, 2]), tf.tensor1d([4, 0.25]), tf.scalar(10)]);
    assert.deepEqual(await values(inv.apply(tf.tensor2d([[1, 2]])) as tf.Tensor), [3, 3]); // 1 + 1·2, 2 + 2·0.5
  });

  it('with mean and variance in the config (Keras docstring: mean 3, variance 2 on 1, 2, 3)', async () => {
    const layer = new Normalization({ mean: 3, variance: 2 });
    const y = await values(layer.apply(tf.tensor2d([[1], [2], [3]])) as tf.Tensor);
    [-1.4142135, -0.70710677, 0].forEach((v, i) =>
      assert.ok(Math.abs(y[i] - v) < 1e-6, `${y[i]} vs ${v}`),
    );
  });

  it('per channel on images; zero variance divides by ε, as Keras', async () => {
    const layer = new Normalization({ axis: -1, mean: [0, 1], variance: [1, 0] });
    const y = await values(layer.apply(tf.ones([1, 1, 2, 2])) as tf.Tensor);
    assert.deepEqual(y, [1, 0, 1, 0]);
  });
});

function near(a: number[], b: number[]): void {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `[${i}] ${v} vs ${b[i]}`));
}

describe("'same' average pooling", () => {
  it('matches tfjs forward, and its gradient divides by the pixels inside the image (tfjs divides by 9)', async () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const layer = new SameAveragePooling2D({ poolSize: [3, 3], strides: [1, 1] });
    const corner = tf.tensor4d([1, 0, 0, 0, 0, 0, 0, 0, 0], [1, 3, 3, 1]);
    await noLeaks(async () => {
      near(await values(layer.apply(x) as tf.Tensor), await values(tf.avgPool(x, 3, 1, 'same')));
      // out[0,0] = (x00 + x01 + x10 + x11) / 4: its gradient is ¼ on those four pixels.
      const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi) as tf.Tensor, corner)))(x);
      near(await values(g), [0.25, 0.25, 0, 0.25, 0.25, 0, 0, 0, 0]);
    });
    const y = tf.tensor4d(
      Array.from({ length: 32 }, (_, i) => i % 7),
      [1, 4, 4, 2],
    );
    const strided = new SameAveragePooling2D({ poolSize: [3, 3], strides: [2, 2] }); // pads 0 before, 1 after
    near(await values(strided.apply(y) as tf.Tensor), await values(tf.avgPool(y, 3, 2, 'same')));
    assert.equal(strided.getClassName(), 'AveragePooling2D');
    tf.dispose([x, corner, y]);
  });
});

describe('Keras config handling', () => {
  it("snake_case keys as Keras's naming.to_snake_case", () => {
    const cases: [string, string][] = [
      ['Conv2D', 'conv2d'],
      ['ReLU', 're_lu'],
      ['BatchNormalization', 'batch_normalization'],
      ['GlobalAveragePooling2D', 'global_average_pooling2d'],
      ['ZeroPadding2D', 'zero_padding2d'],
      ['DepthwiseConv2D', 'depthwise_conv2d'],
      ['SeparableConv2D', 'separable_conv2d'],
      ['InputLayer', 'input_layer'],
    ];
    for (const [cls, key] of cases) assert.equal(snakeCase(cls), key);
  });

  it('a Keras 2.0 Sequential (bare layer list, hard_sigmoid = clip(0.2x + 0.5), exotic initializer and regularizer)', async () => {
    registerKerasLayers();
    const topology = prepareModel(
      {
        class_name: 'Sequential',
        config: [
          {
            class_name: 'Dense',
            config: {
              name: 'd',
              units: 2,
              activation: 'hard_sigmoid',
              use_bias: true,
              batch_input_shape: [null, 3],
              kernel_initializer: { class_name: 'Orthogonal', config: { gain: 1 } },
              kernel_regularizer: { class_name: 'L2', config: { l2: 0.1 } },
            },
          },
        ],
      },
      { source: 'old.h5', kerasMajor: 2 },
    );
    const model = await tf.models.modelFromJSON({
      modelTopology: topology,
    } as unknown as tf.io.ModelJSON);
    model.layers[0].setWeights([
      tf.tensor2d([
        [1, 0],
        [0, 0],
        [0, 0],
      ]),
      tf.tensor1d([0, 5]),
    ]);
    // hard_sigmoid(1·x0 + 0) and hard_sigmoid(5): 0.2·1 + 0.5, clip(1.5) = 1
    const y = await values(model.predict(tf.tensor2d([[1, 7, 7]])) as tf.Tensor);
    assert.ok(Math.abs(y[0] - 0.7) < 1e-6 && y[1] === 1, String(y));
    model.dispose();
  });

  it('a tf.keras Sequential built by .build(shape): its shape comes from build_input_shape', async () => {
    registerKerasLayers();
    const dense = {
      class_name: 'Dense',
      config: { name: 'd', units: 1, activation: 'linear', use_bias: false },
    };
    const topology = prepareModel(
      {
        class_name: 'Sequential',
        config: { name: 's', layers: [dense], build_input_shape: [null, 4] },
      },
      { source: 'b.h5', kerasMajor: 2 },
    );
    const model = await tf.models.modelFromJSON({
      modelTopology: topology,
    } as unknown as tf.io.ModelJSON);
    assert.deepEqual(model.inputs[0].shape, [null, 4]);
    model.dispose();
  });

  it('Keras 3 call records become inbound nodes: list args are inputs, kwargs are not', () => {
    const t = (name: string) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 2], keras_history: [name, 0, 0] },
    });
    const out = model3to2({
      class_name: 'Functional',
      config: {
        name: 'm',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'a',
            config: { batch_shape: [null, 2], name: 'a', optional: false },
            inbound_nodes: [],
          },
          {
            class_name: 'Add',
            name: 'sum',
            config: { name: 'sum' },
            inbound_nodes: [{ args: [[t('a'), t('a')]], kwargs: { mask: t('a') } }],
          },
        ],
        input_layers: ['a', 0, 0],
        output_layers: [['sum', 0, 0]],
      },
    });
    assert.deepEqual(out.config.layers[0].config, { batch_input_shape: [null, 2], name: 'a' });
    assert.deepEqual(out.config.layers[1].inbound_nodes, [
      [
        ['a', 0, 0, {}],
        ['a', 0, 0, {}],
      ],
    ]);
    assert.deepEqual(out.config.input_layers, [['a', 0, 0]]);
    assert.deepEqual(out.config.output_layers, [['sum', 0, 0]]);
  });

  it("Keras 2 .h5: a nested model's weights go to the layers their names give, however deep", () => {
    const h5 = (
      attrs: Record<string, unknown>,
      groups: Record<string, H5Group> = {},
      datasets: Record<string, number[]> = {},
    ): H5Group => ({
      attrs,
      groups: new Map(Object.entries(groups)),
      datasets: new Map(
        Object.entries(datasets).map(([k, v]) => [
          k,
          { shape: [v.length], values: Float32Array.from(v) },
        ]),
      ),
    });
    const conv = (name: string) => ({ class_name: 'Dense', config: { name } });
    const inner = { class_name: 'Functional', config: { name: 'inner', layers: [conv('c')] } };
    const base = { class_name: 'Functional', config: { name: 'base', layers: [conv('b'), inner] } };
    const root = h5(
      {
        model_config: JSON.stringify({
          class_name: 'Sequential',
          config: { layers: [base, conv('head')] },
        }),
        keras_version: '2.9.0',
      },
      {
        model_weights: h5(
          { layer_names: ['base', 'head'] },
          {
            // trainable weights first across the whole base model, as Keras 2 saves a nested model
            base: h5(
              { weight_names: ['b/kernel:0', 'c/kernel:0', 'b/bias:0'] },
              {
                b: h5({}, {}, { 'kernel:0': [1], 'bias:0': [2] }),
                c: h5({}, {}, { 'kernel:0': [3] }),
              },
            ),
            head: h5(
              { weight_names: ['head/kernel:0'] },
              { head: h5({}, {}, { 'kernel:0': [4] }) },
            ),
          },
        ),
      },
    );
    const { weights, kerasMajor } = readLegacyH5(root, 'n.h5');
    assert.equal(kerasMajor, 2);
    const got = Object.fromEntries([...weights].map(([k, v]) => [k, v.map((d) => d.values[0])]));
    assert.deepEqual(got, { 'base/b': [1, 2], 'base/inner/c': [3], head: [4] });
  });

  it('arithmetic outside layers: TFOpLambda with a tensor operand, a Keras 3 op with the constant first', async () => {
    const tfop = tfOpLambda(
      {
        class_name: 'TFOpLambda',
        config: { name: 'm', function: 'math.multiply' },
        inbound_nodes: [[['a', 0, 0, { y: ['b', 1, 0], name: null }]]],
      },
      'm',
    );
    assert.deepEqual(tfop?.inbound_nodes, [
      [
        ['a', 0, 0, {}],
        ['b', 1, 0, {}],
      ],
    ]);
    assert.equal(tfop?.config.constant, null);
    assert.equal(
      tfOpLambda(
        {
          class_name: 'TFOpLambda',
          config: { name: 'r', function: 'nn.relu' },
          inbound_nodes: [[['a', 0, 0, {}]]],
        },
        'r',
      ),
      null,
    );
    const t = { class_name: '__keras_tensor__', config: { keras_history: ['a', 0, 0] } };
    const sub = keras3Op('Subtract', { args: [3, t] }, [['a', 0, 0, {}]]);
    assert.deepEqual(sub?.config, {
      op: 'subtract',
      constant: 3,
      constantFirst: true,
      kind: 'Subtract (keras.ops)',
    });
    assert.equal(keras3Op('Power', { args: [t, 2] }, [['a', 0, 0, {}]]), null);
    // 3 − x and a · b, computed
    const minus = new ElementwiseOp({ ...(sub?.config as { op: 'subtract' }) });
    assert.deepEqual(await values(minus.apply(tf.tensor1d([1, 5])) as tf.Tensor), [2, -2]);
    const times = new ElementwiseOp({ op: 'multiply' });
    assert.deepEqual(
      await values(times.apply([tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])]) as tf.Tensor),
      [3, 6, 4, 8],
    );
  });

  it('reads HDF5 with an injected h5wasm build (h5wasm/node), then the default again', async () => {
    const bytes = new Uint8Array(
      readFileSync(path.resolve(import.meta.dirname, '../../../../test/fixtures/keras/seq_k22.h5')),
    );
    setH5Module(h5wasmNode as unknown as typeof h5wasm);
    try {
      const vis = await loadKeras(bytes, 'seq_k22.h5', {}, {});
      assert.equal(vis.layers.length, 8);
      vis.dispose();
    } finally {
      setH5Module(h5wasm);
    }
  });
});
