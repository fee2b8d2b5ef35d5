/**
 * ONNX import against PyTorch: the committed fixtures (scripts/fixtures/make_onnx.py, torch 1.13)
 * hold PyTorch's outputs, three intermediate activations and the input gradient of sum(output·W)
 * for mini networks of each torchvision family at opsets 11, 13, 17 and 18. The full-size graphs
 * (weights not committed) check op coverage and shapes at 224 px with synthesized weights.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { noLeaks, setup } from '../../../../test/helpers.js';
import { DeepvisError } from '../../../errors.js';
import { onnxExternalData } from './decode.js';
import { parity } from './fixture_parity.js';
import { RUNTIME_OPS } from './compile.js';
import { HOST_OPS } from './host_ops.js';
import { loadOnnx } from './load.js';

const DIR = path.resolve('test/fixtures/onnx');
const ARCH = path.join(DIR, 'arch');

/** Random float32 bytes for every external-data file a graph names (its weights are not committed). */
function synthetic(bytes: Uint8Array, source: string) {
  const sizes = new Map(onnxExternalData(bytes, source).map((e) => [e.location, e.size]));
  return async (location: string) => {
    const floats = new Float32Array(Math.ceil((sizes.get(location) ?? 0) / 4));
    let s = 12345;
    for (let i = 0; i < floats.length; i++)
      floats[i] = ((s = (s * 16807) % 2147483647) / 2147483647) * 0.02;
    return new Uint8Array(floats.buffer);
  };
}

describe('ONNX import', () => {
  before(() => setup('wasm'));

  it('matches PyTorch on every fixture: outputs and activations within 1e-4, input gradients cosine ≥ 0.9999', async () => {
    const names = (await fs.readdir(DIR))
      .filter((f) => f.endsWith('.expect.json'))
      .map((f) => f.slice(0, -'.expect.json'.length));
    assert.ok(names.length >= 14, `fixtures found: ${names.length}`);
    const opsets = new Set<number>();
    for (const name of names) {
      const p = await noLeaks(() => parity(DIR, name));
      opsets.add(p.opset);
      assert.ok(p.output <= 1e-4, `${name}: output rel. error ${p.output}`);
      p.activations.forEach((e, i) =>
        assert.ok(e <= 1e-4, `${name}: activation ${p.layers[i]} rel. error ${e}`),
      );
      assert.ok(p.gradientCosine >= 0.9999, `${name}: gradient cosine ${p.gradientCosine}`);
    }
    assert.deepEqual(
      [...opsets].sort((a, b) => a - b),
      [11, 13, 17, 18],
    );
  });

  it('names layers by module path and accepts the full node names', async () => {
    const bytes = new Uint8Array(await fs.readFile(path.join(DIR, 'resnet-mini.onnx')));
    const model = await loadOnnx(bytes, 'resnet-mini.onnx', async () => new Uint8Array());
    try {
      const names = model.layers.map((l) => l.name);
      assert.ok(names.includes('layer1.0.conv1'), names.join(' '));
      assert.equal(model.layer('/layer1/layer1.0/conv1/Conv').name, 'layer1.0.conv1');
      // A module is the output of its last node, as a forward hook sees it.
      assert.equal(model.layer('layer1.0').name, 'layer1.0.relu_1');
      assert.equal(model.layer('layer1.0.relu_1:pre').kind.startsWith('Relu'), true);
      assert.throws(() => model.layer('layer9.conv'), /unknown layer 'layer9.conv'/);
      const conv = model.layer('layer1.0.conv1');
      assert.equal(conv.outputShape.length, 3);
      const [k] = model.weightsOf('layer1.0.conv1');
      assert.deepEqual(k.shape.slice(0, 2), [3, 3]);
    } finally {
      model.dispose();
    }
  });

  it('runs every torchvision family at 224 px (op coverage, shapes, gradients)', async () => {
    const ops = JSON.parse(await fs.readFile(path.join(ARCH, 'ops.json'), 'utf8')) as {
      archs: Record<string, { ops: Record<string, number> }>;
    };
    const archs = Object.keys(ops.archs);
    assert.deepEqual(archs.sort(), [
      'alexnet',
      'densenet121',
      'efficientnet_b0',
      'mobilenet_v2',
      'mobilenet_v3_small',
      'resnet18',
      'squeezenet1_1',
      'vgg11',
    ]);
    // Every op of every family is known; the two largest (VGG, AlexNet: 0.5 GB and 0.25 GB of
    // weights, all of whose ops the others cover) are not run, to keep the suite fast.
    for (const arch of archs) {
      const unknown = Object.keys(ops.archs[arch].ops).filter(
        (op) => !(op in RUNTIME_OPS) && !(op in HOST_OPS) && op !== 'Constant',
      );
      assert.deepEqual(unknown, [], arch);
    }
    for (const arch of archs.filter((a) => a !== 'vgg11' && a !== 'alexnet')) {
      const file = `${arch}.onnx`;
      const bytes = new Uint8Array(await fs.readFile(path.join(ARCH, file)));
      const model = await loadOnnx(bytes, file, synthetic(bytes, file));
      try {
        assert.deepEqual(model.input.shape, [224, 224, 3], arch);
        const x = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
        const y = model.predict(x);
        assert.deepEqual(y.shape, [1, 1000], arch);
        const convs = model.layers.filter((l) => l.kind === 'Conv').length;
        assert.equal(convs, ops.archs[arch].ops.Conv, `${arch}: every Conv is a layer`);
        tf.dispose([x, y]);
      } finally {
        model.dispose();
      }
    }
  });

  it('refuses bad files with one line naming the file and the problem', async () => {
    const good = new Uint8Array(await fs.readFile(path.join(DIR, 'resnet-mini.onnx')));
    const reject = (bytes: Uint8Array, re: RegExp, read = async (_: string) => new Uint8Array()) =>
      assert.rejects(
        loadOnnx(bytes, 'm.onnx', read),
        (e: Error) => e instanceof DeepvisError && re.test(e.message) && !e.message.includes('\n'),
      );
    await reject(good.subarray(0, good.length >> 1), /^m\.onnx/);
    await reject(new TextEncoder().encode('{"modelTopology": 1}'), /^m\.onnx/);
    const ext = new Uint8Array(await fs.readFile(path.join(DIR, 'resnet-mini-ext.onnx')));
    await reject(ext, /external data 'resnet-mini-ext\.weights' is too short/);
    await reject(ext, /weights missing/, async (loc) => {
      throw new DeepvisError(`m.onnx: external data file ${loc} missing (weights missing)`);
    });
  });

  it('lists every unsupported op with its nodes before any work', async () => {
    const { decodeOnnx } = await import('./decode.js');
    const { fromOnnxGraph } = await import('./adapter.js');
    const bytes = new Uint8Array(await fs.readFile(path.join(DIR, 'resnet-mini.onnx')));
    const graph = await decodeOnnx(bytes, 'm.onnx', async () => new Uint8Array());
    const nodes = graph.nodes.map((n, i) =>
      i === 1 ? { ...n, op: 'FancyOp' } : i === 3 ? { ...n, op: 'LSTM' } : n,
    );
    const before = tf.memory().numTensors;
    assert.throws(
      () => fromOnnxGraph({ ...graph, nodes }, 'm.onnx', {}, {}),
      (e: Error) => /unsupported ONNX ops: FancyOp \(.+\); LSTM \(.+\)/.test(e.message),
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
