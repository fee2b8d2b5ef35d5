/**
 * Weights made on first use (weights.ts): a model whose passes run on onnxruntime holds no tfjs
 * copy of its large weights until a tfjs path reads one, and then gets exactly the weights it
 * would have made at load (grouped and depthwise kernels, a Gemm's transposed, scaled and
 * HWC-reordered matrix, a MatMul's matrix as it is).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { onnxRuntimeRunner } from '../../../engine/onnxruntime.js';
import { setGradientEngine } from '../../../engine/gradient_engine.js';
import { netBytes, weight, type Net } from '../../../../test/onnx_nets.js';
import { setup } from '../../../../test/helpers.js';
import { isWeighted } from '../../../analysis/connections.js';
import { isFirstLayer } from '../../../report/plan.js';
import { DeepvisError } from '../../../errors.js';
import { fromOnnxGraph } from './adapter.js';
import { decodeOnnx } from './decode.js';

const net: Net = {
  input: [3, 8, 8],
  nodes: [
    {
      op: 'Conv',
      inputs: ['x', 'w1', 'b1'],
      outputs: ['c1'],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 3 },
    },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    {
      op: 'Conv',
      inputs: ['r1', 'w2'],
      outputs: ['c2'],
      attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 2 },
    },
    { op: 'Flatten', inputs: ['c2'], outputs: ['f'] },
    {
      op: 'Gemm',
      inputs: ['f', 'w3', 'b3'],
      outputs: ['g'],
      attrs: { transB: 1, alpha: { f: 0.5 } },
    },
    { op: 'Tanh', inputs: ['g'], outputs: ['t'] },
    { op: 'MatMul', inputs: ['t', 'w4'], outputs: ['y'] },
  ],
  initializers: [
    weight('w1', [6, 1, 3, 3], 1),
    weight('b1', [6], 2),
    weight('w2', [6, 3, 3, 3], 3),
    weight('w3', [7, 6 * 4 * 4], 4, 0.2),
    weight('b3', [7], 5),
    weight('w4', [7, 4], 6),
  ],
  output: 'y',
};

/**
 * The net with onnxruntime as its engine; weights of at least `later` bytes wait for first use.
 * `reread` gives the file's bytes for each session and for the weights (default: the same bytes).
 */
async function load(later: number, bytes = netBytes(net), reread = () => bytes) {
  const graph = await decodeOnnx(bytes, 'net.onnx', async () => new Uint8Array());
  const runner = onnxRuntimeRunner(reread)('x', graph.outputs)!;
  return fromOnnxGraph(graph, 'net.onnx', { inputRange: [-1, 1] }, {}, runner, '', later);
}

const kernelBytes = (6 * 9 + 6 * 27 + 7 * 96 + 7 * 4) * 4;
const layersWithWeights = ['c1', 'c2', 'g', 'y'];

describe('weights made on first use', () => {
  it('are not made by load, shape probes, weight counts or native passes', async () => {
    await setup('wasm');
    const base = tf.memory().numBytes;
    const eager = await load(Infinity);
    const eagerBytes = tf.memory().numBytes - base;
    const lazy = await load(0);
    const lazyBytes = tf.memory().numBytes - base - eagerBytes;
    assert.equal(eagerBytes - lazyBytes, kernelBytes, 'the four kernels wait');
    // Shapes, counts and the atlas's layer questions need no made weight.
    for (const l of layersWithWeights) {
      assert.deepEqual(lazy.weightShapes!(l), eager.weightShapes!(l), l);
      assert.equal(isWeighted(lazy, lazy.layer(l)), isWeighted(eager, eager.layer(l)), l);
      assert.equal(isFirstLayer(lazy, lazy.layer(l)), isFirstLayer(eager, eager.layer(l)), l);
    }
    assert.equal(tf.memory().numBytes - base - eagerBytes, lazyBytes, 'asking made weights');
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    setGradientEngine('onnxruntime');
    try {
      // What a native gradient keeps (a copy of its input, for the next pass) is the same for both.
      const growth = [eager, lazy].map((m) => {
        const before = tf.memory().numBytes;
        const g = tf.grad((v: tf.Tensor) => m.predict(v as tf.Tensor4D).sum())(x);
        assert.ok(Math.max(...g.abs().dataSync()) > 0);
        g.dispose();
        return tf.memory().numBytes - before;
      });
      assert.equal(growth[1], growth[0], 'a native gradient makes no weights');
    } finally {
      setGradientEngine('auto');
    }
    x.dispose();
    lazy.dispose();
    eager.dispose();
  });

  it('give a tfjs pass and weightsOf exactly the weights made at load', async () => {
    await setup('wasm');
    const x = tf.randomUniform([3, 8, 8, 3], -1, 1, 'float32', 8) as tf.Tensor4D;
    const start = tf.memory().numTensors;
    const eager = await load(Infinity);
    const lazy = await load(0);
    lazy.useEngine!('tfjs');
    eager.useEngine!('tfjs');
    const tensors = tf.memory().numTensors;
    const [a, b] = [lazy, eager].map((m) => tf.tidy(() => m.predict(x).dataSync()));
    assert.deepEqual(a, b);
    // The first use made the kernels (the depthwise one, one per group of the grouped conv, the
    // Gemm's, the MatMul's) and kept them past the pass's tidy.
    assert.equal(tf.memory().numTensors - tensors, 5);
    for (const l of layersWithWeights) {
      const [u, v] = [lazy, eager].map((m) => m.weightsOf(l).map((t) => Array.from(t.dataSync())));
      assert.deepEqual(u, v, l);
    }
    assert.equal(tf.memory().numTensors - tensors, 5, 'made once');
    // A tfjs gradient (the rule sets' path) reads them too.
    const [ga, gb] = [lazy, eager].map((m) =>
      tf.tidy(() =>
        tf
          .grad((v: tf.Tensor) => m.predict(v as tf.Tensor4D).sum())(x)
          .dataSync(),
      ),
    );
    assert.deepEqual(ga, gb);
    lazy.dispose();
    eager.dispose();
    assert.equal(tf.memory().numTensors, start, 'the made weights go with the model');
    x.dispose();
  });

  it('fail in one line, once, when the file changed since the load', async () => {
    await setup('wasm');
    let reads = 0;
    const lazy = await load(0, netBytes(net), () => {
      reads++;
      throw new DeepvisError('net.onnx changed on disk since it was loaded');
    });
    lazy.useEngine!('tfjs');
    const x = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 2; i++)
      assert.throws(
        () => lazy.predict(x),
        (e: Error) =>
          e instanceof DeepvisError &&
          /^net\.onnx changed on disk since it was loaded; its weights for tfjs cannot be made: load it again$/.test(
            e.message,
          ),
      );
    assert.equal(reads, 1, 'the file is read once, not at every pass');
    assert.equal(tf.memory().numTensors, tensors, 'a failed pass leaves no tensor');
    x.dispose();
    lazy.dispose();
  });
});
