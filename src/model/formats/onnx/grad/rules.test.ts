/**
 * The gradient graph's rules against hand-worked answers (issue 26, items 2 and 4): each rule set
 * (gradient, guided backpropagation, deconvnet with and without switches) on a net small enough to
 * differentiate on paper; max pooling with ties and with overlapping windows; strided, padded,
 * grouped, dilated and depthwise convolutions (against tfjs's tape) in both VJP forms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { withRules, type BackwardRules } from '../../../../engine/rules.js';
import { setGradientEngine } from '../../../../engine/gradient_engine.js';
import { onnxRuntimeRunner } from '../../../../engine/onnxruntime.js';
import { decodeOnnx } from '../decode.js';
import { compile } from '../compile.js';
import { decodeModelProto } from '../encode.js';
import { buildGradient, GRAPH_X, graphDy } from './build.js';
import type { VisModel } from '../../../types.js';
import { netBytes, netModel, weight, type Net } from '../../../../../test/onnx_nets.js';
import { cosine, noLeaks, relErr, setup } from '../../../../../test/helpers.js';

/** d(Σ output · W)/dx on onnxruntime (and tfjs for comparison) under `rules`. */
function grad(
  model: VisModel,
  x: tf.Tensor4D,
  rules: BackwardRules,
  engine: 'onnxruntime' | 'tfjs',
  W?: tf.Tensor,
): number[] {
  setGradientEngine(engine);
  try {
    return withRules(rules, () =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((v: tf.Tensor) => {
              const y = model.predict(v as tf.Tensor4D);
              return (W ? y.mul(W) : y).sum();
            })(x)
            .dataSync(),
        ),
      ),
    );
  } finally {
    setGradientEngine('auto');
  }
}

/**
 * x (1×2×2) → 1×1 conv to 3 channels (w = 1, −1, 1; bias 0, 0, −2) → ReLU → 2×2 max pool →
 * Gemm (v = 2, −3, 4). At x = [[0.5, −0.25], [0.75, −1]]: channel 0 = x, max 0.75 at (1, 0);
 * channel 1 = −x, max 1 at (1, 1); channel 2 = x − 2 < 0 everywhere, all four ReLU outputs 0, a
 * four-way tie whose switch is the first position, (0, 0). The gradient at the pooled values is v.
 */
const tiny: Net = {
  input: [1, 2, 2],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: [1, 1] } },
    { op: 'Relu', inputs: ['c'], outputs: ['r'] },
    {
      op: 'MaxPool',
      inputs: ['r'],
      outputs: ['p'],
      attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    },
    { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'v'], outputs: ['y'], attrs: { transB: 1 } },
  ],
  initializers: [
    { name: 'w', dims: [3, 1, 1, 1], dtype: 'float32', data: Float32Array.of(1, -1, 1) },
    { name: 'b', dims: [3], dtype: 'float32', data: Float32Array.of(0, 0, -2) },
    { name: 'v', dims: [1, 3], dtype: 'float32', data: Float32Array.of(2, -3, 4) },
  ],
  output: 'y',
};

describe('gradient graph rule sets, by hand', () => {
  const cases: Array<[string, BackwardRules, number[]]> = [
    // Plain: the switches route 2 to (1, 0) of channel 0 and −3 to (1, 1) of channel 1, both open;
    // channel 2's switch (0, 0) is closed. dx = w·g summed over channels: (1, 0) ← 2, (1, 1) ← (−1)(−3).
    ['gradient', { relu: 'gradient' }, [0, 0, 2, 3]],
    // Guided: −3 is negative, so (1, 1) gets nothing; the closed (0, 0) still blocks 4.
    ['guided backpropagation', { relu: 'guided' }, [0, 0, 2, 0]],
    // Deconvnet: positive parts pass whatever the forward was: (0, 0) ← 1·4, (1, 0) ← 2.
    ['deconvnet (switches)', { relu: 'deconvnet' }, [4, 0, 2, 0]],
    // Without switches every position of a window gets its value: relu(2)·1 + relu(−3)·(−1) + relu(4)·1.
    ['deconvnet (no switches)', { relu: 'deconvnet', unpool: 'nearest' }, [6, 6, 6, 6]],
    // Linear (receptive fields): ReLU passes everything: 2 − (−3) + 4 at the switches' positions.
    ['linear', { relu: 'linear' }, [4, 0, 2, 3]],
  ];
  for (const [name, rules, want] of cases) {
    it(`${name}: ${JSON.stringify(want)}`, async () => {
      await setup('wasm');
      const model = await netModel(tiny);
      const x = tf.tensor4d([0.5, -0.25, 0.75, -1], [1, 2, 2, 1]);
      const [native, ref] = await noLeaks(() => [
        grad(model, x, rules, 'onnxruntime'),
        grad(model, x, rules, 'tfjs'),
      ]);
      assert.deepEqual(
        native.map((v) => +v.toFixed(5)),
        want,
        'onnxruntime',
      );
      assert.deepEqual(
        ref.map((v) => +v.toFixed(5)),
        want,
        'tfjs',
      );
      x.dispose();
      model.dispose();
    });
  }
});

describe('gradient graph max pooling', () => {
  const pool = (attrs: Record<string, number[]>): Net => ({
    input: [1, 4, 4],
    nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs }],
    output: 'y',
  });
  const dy = () => tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const grad1 = (model: VisModel, x: tf.Tensor4D, engine: 'onnxruntime' | 'tfjs') => {
    const W = dy();
    const g = grad(model, x, { relu: 'gradient' }, engine, W);
    W.dispose();
    return g;
  };

  it("gives a tied window's gradient to its first maximum, as tfjs and PyTorch do (3×3 / 2, padded)", async () => {
    await setup('wasm');
    const model = await netModel(
      pool({ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    );
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    // Every window is all ones; its first cell inside the image: (0,0), (0,1), (1,0), (1,1).
    const want = [1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert.deepEqual(grad1(model, x, 'onnxruntime'), want);
    assert.deepEqual(grad1(model, x, 'tfjs'), want);
    x.dispose();
    model.dispose();
  });

  it('sums where overlapping windows share their maximum', async () => {
    await setup('wasm');
    const model = await netModel(
      pool({ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    );
    const v = new Float32Array(16);
    v[5] = 5; // (1, 1) lies in all four windows
    const x = tf.tensor4d(v, [1, 4, 4, 1]);
    const g = grad1(model, x, 'onnxruntime');
    assert.equal(g[5], 10);
    assert.equal(
      g.reduce((a, b) => a + b, 0),
      10,
    );
    x.dispose();
    model.dispose();
  });

  it('handles ceil_mode windows past the edge and strides wider than the window', async () => {
    await setup('wasm');
    for (const attrs of [
      { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } as Record<string, unknown>,
      { kernel_shape: [2, 2], strides: [3, 3] },
    ]) {
      const net: Net = {
        input: [2, 7, 7],
        nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: attrs as never }],
        output: 'y',
      };
      const model = await netModel(net);
      const x = tf.randomUniform([2, 7, 7, 2], -1, 1, 'float32', 4) as tf.Tensor4D;
      const W = tf.tidy(() => tf.randomNormal(model.predict(x).shape, 0, 1, 'float32', 5));
      const [a, b] = [
        grad(model, x, { relu: 'gradient' }, 'onnxruntime', W),
        grad(model, x, { relu: 'gradient' }, 'tfjs', W),
      ];
      assert.ok(relErr(a, b) <= 1e-6, JSON.stringify(attrs));
      tf.dispose([x, W]);
      model.dispose();
    }
  });
});

/** Strided with asymmetric pads and groups; dilated; depthwise with SAME_UPPER; a stride that drops rows. */
const convs: Net = {
  input: [4, 11, 11],
  nodes: [
    {
      op: 'Conv',
      inputs: ['x', 'w1', 'b1'],
      outputs: ['c1'],
      attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 2, 1], group: 2 },
    },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    {
      op: 'Conv',
      inputs: ['r1', 'w2'],
      outputs: ['c2'],
      attrs: { kernel_shape: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2], group: 3 },
    },
    {
      op: 'Conv',
      inputs: ['c2', 'w3'],
      outputs: ['c3'],
      attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER', group: 6 },
    },
    { op: 'Tanh', inputs: ['c3'], outputs: ['t3'] },
    {
      op: 'Conv',
      inputs: ['t3', 'w4'],
      outputs: ['y'],
      attrs: { kernel_shape: [2, 2], strides: [3, 3] },
    },
  ],
  initializers: [
    weight('w1', [6, 2, 3, 3], 1),
    weight('b1', [6], 2),
    weight('w2', [6, 2, 3, 3], 3),
    weight('w3', [12, 1, 3, 3], 4),
    weight('w4', [5, 12, 2, 2], 5),
  ],
  output: 'y',
};

describe('gradient graph convolutions', () => {
  it('strided, padded, grouped, dilated and depthwise convolutions match tfjs', async () => {
    await setup('wasm');
    const model = await netModel(convs);
    const x = tf.randomUniform([3, 11, 11, 4], -1, 1, 'float32', 1) as tf.Tensor4D;
    const W = tf.tidy(() => tf.randomNormal(model.predict(x).shape, 0, 1, 'float32', 2));
    const [a, b] = await noLeaks(() => [
      grad(model, x, { relu: 'gradient' }, 'onnxruntime', W),
      grad(model, x, { relu: 'gradient' }, 'tfjs', W),
    ]);
    assert.ok(
      cosine(a, b) >= 0.99999 && relErr(a, b) <= 1e-5,
      `cosine ${cosine(a, b)}, rel ${relErr(a, b)}`,
    );
    tf.dispose([x, W]);
    model.dispose();
  });

  it('gives the same gradient with ConvTranspose as with flipped filters', async () => {
    await setup('wasm');
    const bytes = netBytes(convs);
    const graph = await decodeOnnx(bytes, 'convs', async () => new Uint8Array());
    const program = compile(graph, 'convs', [1, 4, 11, 11]);
    const src = {
      nodes: graph.nodes,
      opset: graph.opset,
      inputName: 'x',
      program,
      model: decodeModelProto(bytes),
    };
    const graphs = onnxRuntimeRunner(() => bytes)('x', ['y'])!.graphs!;
    const x = {
      type: 'float32' as const,
      data: Float32Array.from({ length: 2 * 11 * 11 * 4 }, (_, i) => Math.sin(i)),
      dims: [2, 11, 11, 4],
    };
    const dy = {
      type: 'float32' as const,
      data: Float32Array.from({ length: 2 * 5 }, (_, i) => Math.cos(i)),
      dims: [2, 5, 1, 1],
    };
    const [flip, transpose] = (['flip', 'transpose'] as const).map((conv) => {
      const built = buildGradient(src, { taps: ['y'], rules: { relu: 'gradient' }, conv });
      const s = graphs.session(built.fused());
      const out = s.run({ [GRAPH_X]: x, [graphDy(0)]: dy }, [built.dx])[0].data as Float32Array;
      s.dispose();
      return out;
    });
    assert.ok(relErr(flip, transpose) <= 1e-5);
    assert.ok(Math.max(...flip.map(Math.abs)) > 0);
    program.store.dispose();
  });
});
