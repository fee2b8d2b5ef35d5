/**
 * A layer's gradient graph as a file of its own (VisModel.gradientGraph, issue 26 item 6): fed the
 * image and a unit's seed, it gives what saliency and guided backpropagation give on tfjs's tape,
 * for a channel at one position of a map and for a dense unit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { onnxRuntimeRunner } from '../../../engine/onnxruntime.js';
import { setGradientEngine } from '../../../engine/gradient_engine.js';
import { guidedBackprop, saliency } from '../../../attribution/gradients.js';
import { netBytes, netModel, weight, type Net } from '../../../../test/onnx_nets.js';
import { cosine, relErr, setup } from '../../../../test/helpers.js';

const net: Net = {
  input: [3, 8, 8],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    {
      op: 'MaxPool',
      inputs: ['r1'],
      outputs: ['p1'],
      attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    },
    { op: 'Conv', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
    { op: 'Flatten', inputs: ['r2'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'w3', 'b3'], outputs: ['y'], attrs: { transB: 1 } },
  ],
  initializers: [
    weight('w1', [4, 3, 3, 3], 1),
    weight('b1', [4], 2, 0.1),
    weight('w2', [5, 4, 3, 3], 3),
    weight('b2', [5], 4, 0.1),
    weight('w3', [3, 80], 5, 0.2),
    weight('b3', [3], 6),
  ],
  output: 'y',
};

describe('a layer gradient graph of its own', () => {
  it('gives saliency and guided backpropagation of a map position and of a dense unit', async () => {
    await setup('wasm');
    const model = await netModel(net);
    const graphs = onnxRuntimeRunner(() => netBytes(net))('x', ['y'])!.graphs!;
    const x = tf.randomUniform([1, 8, 8, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const relu2 = model.layers.find((l) => l.name.startsWith('Relu') && l.outputShape[0] === 4)!;
    const out = model.layers[model.layers.length - 1];
    // The strongest position of channel 2: a live ReLU, so the gradient is not zero.
    const [a] = model.activations(x, [relu2.name]);
    const v = a.dataSync();
    a.dispose();
    let best = 2;
    for (let i = 2; i < v.length; i += 5) if (v[i] > v[best]) best = i;
    const at = (best - 2) / 5;
    const neuron: [number, number] = [at % 4, Math.floor(at / 4)];
    assert.ok(v[best] > 0 && neuron[0] !== neuron[1], 'a live neuron off the diagonal');
    const cases = [
      { layer: relu2, unit: 2, neuron },
      { layer: out, unit: 1, neuron: undefined },
    ];
    for (const { layer, unit, neuron } of cases)
      for (const [rules, method] of [
        [{ relu: 'gradient' as const }, saliency],
        [{ relu: 'guided' as const }, guidedBackprop],
      ] as const) {
        const g = model.gradientGraph!(layer.name, rules);
        const s = graphs.session(g.bytes, g.external);
        const [dx] = s.run(
          {
            [g.input]: { type: 'float32', data: x.dataSync() as Float32Array, dims: x.shape },
            [g.seedName]: { type: 'float32', data: g.seed(unit, neuron), dims: g.seedShape },
          },
          [g.output],
        );
        s.dispose();
        assert.deepEqual(dx.dims, x.shape);
        setGradientEngine('tfjs');
        const want = tf.tidy(() =>
          Array.from(
            method(model, x, {
              layer,
              units: [unit],
              neurons: neuron ? [neuron] : undefined,
            }).dataSync(),
          ),
        );
        setGradientEngine('auto');
        const got = Array.from(dx.data as Float32Array);
        const what = `${layer.name} ${rules.relu}`;
        assert.ok(Math.max(...want.map(Math.abs)) > 0, `${what}: a zero gradient proves nothing`);
        assert.ok(cosine(got, want) >= 0.99999 && relErr(got, want) <= 1e-5, what);
      }
    assert.throws(() => model.gradientGraph!('no such layer'), /no such layer/);
    x.dispose();
    model.dispose();
  });
});
