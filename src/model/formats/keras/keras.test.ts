/**
 * Keras loader: parity with the fixtures' NumPy reference (outputs and three activations within
 * 1e-4 relative, input gradient of sum(output · W) at cosine ≥ 0.9999), for a Keras 2.2 Sequential
 * .h5, a Keras 2.13 functional .h5, a Keras 3 functional .keras and a Keras 3 Sequential .keras;
 * and every kind of bad input failing with one line that names the file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { assertClose, noLeaks, setup } from '../../../../test/helpers.js';
import { DeepvisError } from '../../../errors.js';
import { kerasKind, loadKeras } from './load.js';

const DIR = path.resolve(import.meta.dirname, '../../../../test/fixtures/keras');
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(DIR, name)));

interface Expect {
  inputShape: number[];
  input: number[];
  W: number[];
  output: number[];
  outputShape: number[];
  activations: Record<string, { shape: number[]; values: number[] }>;
  gradient: number[];
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++)
    [ab, aa, bb] = [ab + a[i] * b[i], aa + a[i] * a[i], bb + b[i] * b[i]];
  return ab / Math.sqrt(aa * bb);
}

before(() => setup('wasm'));

const FIXTURES: [string, string, string[]][] = [
  [
    'seq_k22.h5',
    'Keras 2.2.4 Sequential CNN',
    ['Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'Dropout', 'Dense'],
  ],
  [
    'mobile_k213.h5',
    'Keras 2.13 functional',
    [
      'Rescaling',
      'Normalization',
      'ZeroPadding2D',
      'BatchNormalization',
      'ReLU',
      'DepthwiseConv2D',
      'SeparableConv2D',
      'Add',
      'Concatenate',
      'GlobalAveragePooling2D',
      'GlobalMaxPooling2D',
      'Softmax',
    ],
  ],
  [
    'mobile_k3.keras',
    'Keras 3 functional',
    ['Normalization', 'SeparableConv2D', 'DepthwiseConv2D', 'Add', 'Softmax'],
  ],
  [
    'seq_k3.keras',
    'Keras 3 Sequential',
    ['Conv2D', 'BatchNormalization', 'Activation', 'Reshape', 'Flatten'],
  ],
  [
    'transfer_k215.h5',
    'Keras 2.15 Sequential around a functional base model',
    ['Functional', 'GlobalAveragePooling2D'],
  ],
  [
    'block_k3.keras',
    'Keras 3 functional around a Sequential block',
    ['Sequential', 'AveragePooling2D', 'Flatten', 'Softmax'],
  ],
  ['half_k212.h5', 'Keras 2.12 Sequential in float16', ['Conv2D', 'Dense']],
  [
    'se_k211.h5',
    'tf.keras 2.11 MobileNetV3 pieces: TFOpLambda arithmetic, keepdims pooling, Multiply',
    ['TFOpLambda', 'Multiply', 'GlobalAveragePooling2D'],
  ],
  [
    'se_k3.keras',
    'Keras 3 MobileNetV3 pieces: keras.ops arithmetic, hard_silu, hard_sigmoid',
    ['Add (keras.ops)', 'Multiply (keras.ops)', 'Activation'],
  ],
  [
    'transfer_tfk215.keras',
    "tf.keras 2.15's own .keras zip",
    ['Functional', 'GlobalAveragePooling2D', 'Dense'],
  ],
];

describe('Keras loader: parity with the NumPy reference', () => {
  for (const [file, what, kinds] of FIXTURES) {
    it(`${file} (${what})`, async () => {
      const exp = JSON.parse(
        readFileSync(path.join(DIR, file.replace(/\.(h5|keras)$/, '.expect.json')), 'utf8'),
      ) as Expect;
      const vis = await loadKeras(bytes(file), file, {}, {});
      for (const k of kinds)
        assert.ok(
          vis.layers.some((l) => l.kind === k),
          `${file} has a ${k} layer`,
        );
      await noLeaks(async () => {
        const x = tf.tensor4d(exp.input, exp.inputShape as [number, number, number, number]);
        const w = tf.tensor(exp.W, exp.outputShape);
        const y = vis.predict(x);
        assert.deepEqual(y.shape, exp.outputShape);
        assertClose(await y.data(), exp.output, 1e-4, `${file} output`);
        const names = Object.keys(exp.activations);
        assert.equal(names.length, 3);
        const acts = vis.activations(x, names);
        for (const [i, name] of names.entries()) {
          assert.deepEqual(acts[i].shape, exp.activations[name].shape, `${name} shape`);
          assertClose(await acts[i].data(), exp.activations[name].values, 1e-4, `${file} ${name}`);
        }
        const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(vis.predict(xi as tf.Tensor4D), w)))(x);
        const cos = cosine(await g.data(), exp.gradient);
        assert.ok(cos >= 0.9999, `${file} input gradient cosine ${cos}`);
        tf.dispose([x, w, y, g, ...acts]);
      });
      vis.dispose();
    });
  }

  it('attaches the sidecar metadata, so labels and input range reach the VisModel', async () => {
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const vis = await loadKeras(
      bytes('seq_k22.h5'),
      'seq_k22.h5',
      { labels, inputRange: [0, 255] },
      {},
    );
    assert.deepEqual(vis.labels, labels);
    assert.deepEqual(vis.input.range, [0, 255]);
    assert.equal(vis.input.provenance.range, 'metadata');
    assert.equal(vis.logitsLayer, null); // dense_2 has a fused softmax: no separate logits layer
    vis.dispose();
  });

  it('recognizes files by their first bytes, not their names', async () => {
    assert.equal(kerasKind(bytes('seq_k22.h5')), 'hdf5');
    assert.equal(kerasKind(bytes('seq_k3.keras')), 'zip');
    const withUserBlock = new Uint8Array(512 + 8);
    withUserBlock.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 512);
    assert.equal(kerasKind(withUserBlock), 'hdf5');
    assert.equal(kerasKind(strToU8('{"modelTopology": {}}')), null);
    const vis = await loadKeras(bytes('seq_k3.keras'), 'renamed.h5', {}, {});
    assert.equal(vis.layers.length, 9);
    vis.dispose();
  });
});

/** The .keras fixture with config.json edited (or an entry dropped). */
function editKeras(
  file: string,
  edit: (config: Record<string, any>) => void,
  drop?: string,
): Uint8Array {
  const files = unzipSync(bytes(file));
  const config = JSON.parse(strFromU8(files['config.json']));
  edit(config);
  files['config.json'] = strToU8(JSON.stringify(config));
  if (drop) delete files[drop];
  return zipSync(files);
}

async function rejects(data: Uint8Array, source: string, pattern: RegExp): Promise<void> {
  await noLeaks(async () => {
    await assert.rejects(loadKeras(data, source, {}, {}), (e: unknown) => {
      assert.ok(e instanceof DeepvisError, `a DeepvisError, not ${String(e)}`);
      assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
      assert.ok(e.message.startsWith(`${source}: `), `names the file: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    });
  });
}

describe('Keras loader: bad input is one line naming the file', () => {
  it('a weights-only .h5', () =>
    rejects(
      bytes('weights_only.h5'),
      'weights_only.h5',
      /no model_config: this file holds weights only; save the whole model$/,
    ));

  it('a custom layer in an .h5, named with its class', () =>
    rejects(
      bytes('custom_layer.h5'),
      'net.h5',
      /^net\.h5: layer 'foo' has Keras class 'MyLayer', which deepvis does not know \(custom layer\?\)$/,
    ));

  it('a custom layer in a .keras', () =>
    rejects(
      editKeras('mobile_k3.keras', (c) => (c.config.layers[12].class_name = 'FancyBlock')),
      'net.keras',
      /layer 'sep' has Keras class 'FancyBlock'.*custom layer/,
    ));

  it('an .h5 whose weights do not fit its config (the layer and both shapes named)', () =>
    rejects(
      bytes('misfit.h5'),
      'misfit.h5',
      /layer 'conv2d_2' weight 0 \(kernel\) is \[3, 3, 4, 7\] in the file, its config needs \[3, 3, 4, 6\]/,
    ));

  it('a .keras whose config was changed after saving', () =>
    rejects(
      editKeras('seq_k3.keras', (c) => (c.config.layers[8].config.units = 4)),
      'x.keras',
      /layer 'dense' weight 0 \(kernel\) is \[54, 3\] in the file, its config needs \[54, 4\]/,
    ));

  it('a truncated .h5', async () => {
    const full = bytes('mobile_k213.h5');
    await rejects(full.subarray(0, full.length >> 1), 'cut.h5', /truncated or corrupt HDF5 file/);
  });

  it('a truncated .keras', async () => {
    const full = bytes('mobile_k3.keras');
    await rejects(
      full.subarray(0, full.length - 100),
      'cut.keras',
      /truncated or corrupt \.keras zip/,
    );
  });

  it('a .keras without its weights', () =>
    rejects(
      editKeras('seq_k3.keras', () => {}, 'model.weights.h5'),
      'x.keras',
      /has no model\.weights\.h5/,
    ));

  it('a file that is neither', () =>
    rejects(
      strToU8('not a model at all'),
      'notes.txt',
      /not a Keras file \(neither HDF5 nor a \.keras zip\)/,
    ));

  it('an activation deepvis does not have', () =>
    rejects(
      editKeras('seq_k3.keras', (c) => (c.config.layers[1].config.activation = 'exponential')),
      'e.keras',
      /layer 'conv2d' uses activation 'exponential', which deepvis does not know/,
    ));

  it('Keras 3 operations, tf.keras TF ops and Lambda layers, named', async () => {
    const asOp = (c: Record<string, any>) =>
      Object.assign(c.config.layers[11], { module: 'keras.src.ops.numpy', class_name: 'Power' });
    await rejects(
      editKeras('mobile_k3.keras', asOp),
      'o.keras',
      /layer 'add' is the Keras operation Power \(keras\.src\.ops\.numpy\), which deepvis does not run/,
    );
    const tfop = (c: Record<string, any>) =>
      Object.assign(c.config.layers[11], {
        class_name: 'TFOpLambda',
        config: { name: 'tf.math.multiply', function: 'math.multiply' },
      });
    await rejects(
      editKeras('mobile_k3.keras', tfop),
      't.keras',
      /layer 'tf\.math\.multiply' is a TensorFlow op saved by tf\.keras \(TFOpLambda math\.multiply\)/,
    );
    const lambda = (c: Record<string, any>) =>
      Object.assign(c.config.layers[11], { class_name: 'Lambda', config: { name: 'fn' } });
    await rejects(
      editKeras('mobile_k3.keras', lambda),
      'l.keras',
      /layer 'fn' is a Lambda layer, whose Python code the file does not hold/,
    );
  });

  it('options tfjs would silently ignore', async () => {
    await rejects(
      editKeras('seq_k3.keras', (c) => (c.config.layers[1].config.groups = 2)),
      'g.keras',
      /layer 'conv2d' uses grouped convolution \(groups=2\)/,
    );
    await rejects(
      editKeras('mobile_k3.keras', (c) => (c.config.layers[6].config.negative_slope = 0.1)),
      'r.keras',
      /layer 'relu1' uses negative_slope=0.1/,
    );
  });
});
