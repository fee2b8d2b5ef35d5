/**
 * VJP rules of the transformer-era ops against tfjs's tape on small graphs (issue 26, item 4):
 * self-attention with batched MatMul, Softmax, Transpose and Reshape; LayerNorm, RMSNorm,
 * GroupNorm, InstanceNorm; Gelu (exact and tanh); Einsum; Where, Expand, Tile, Split, Concat, Slice,
 * Gather; CumSum; the L1/L2/sum-of-squares/log-sum-exp reductions; Resize (linear, cubic, nearest);
 * ScatterND by hand (tfjs's path
 * cannot differentiate the importer's form of it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { setGradientEngine } from '../../../../engine/gradient_engine.js';
import { netModel, weight, type Net } from '../../../../../test/onnx_nets.js';
import { cosine, noLeaks, relErr, setup } from '../../../../../test/helpers.js';
import type { EncTensor } from '../encode.js';

const i64 = (name: string, data: number[], dims = [data.length]): EncTensor => ({
  name,
  dims,
  dtype: 'int64',
  data,
});
const f32 = (name: string, data: number[], dims = [data.length]): EncTensor => ({
  name,
  dims,
  dtype: 'float32',
  data,
});

/** x [N, 4, 3, 5] → 15 tokens of 4 → attention, norms, Gelu, Einsum, … → a [N, 15, 6]-ish output. */
const attention: Net = {
  input: [4, 3, 5],
  opset: 17,
  nodes: [
    { op: 'Reshape', inputs: ['x', 'tok_shape'], outputs: ['t0'] },
    { op: 'Transpose', inputs: ['t0'], outputs: ['t'], attrs: { perm: [0, 2, 1] } },
    {
      op: 'LayerNormalization',
      inputs: ['t', 'ln_g', 'ln_b'],
      outputs: ['ln'],
      attrs: { axis: -1, epsilon: { f: 1e-5 } },
    },
    { op: 'MatMul', inputs: ['ln', 'wq'], outputs: ['q'] },
    { op: 'MatMul', inputs: ['ln', 'wk'], outputs: ['k'] },
    { op: 'MatMul', inputs: ['ln', 'wv'], outputs: ['vv'] },
    { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: { perm: [0, 2, 1] } },
    { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s0'] },
    { op: 'Div', inputs: ['s0', 'scale'], outputs: ['s'] },
    { op: 'Softmax', inputs: ['s'], outputs: ['p'], attrs: { axis: -1 } },
    { op: 'MatMul', inputs: ['p', 'vv'], outputs: ['a'] },
    { op: 'Add', inputs: ['a', 't'], outputs: ['r'] },
    // Exact Gelu as PyTorch 1.13 exports it: x · (erf(x / √2) + 1) / 2.
    { op: 'Div', inputs: ['r', 'sqrt2'], outputs: ['g0'] },
    { op: 'Erf', inputs: ['g0'], outputs: ['g1'] },
    { op: 'Add', inputs: ['g1', 'one'], outputs: ['g2'] },
    { op: 'Mul', inputs: ['r', 'g2'], outputs: ['g3'] },
    { op: 'Mul', inputs: ['g3', 'half'], outputs: ['g'] },
    { op: 'Einsum', inputs: ['g', 'we'], outputs: ['e'], attrs: { equation: 'btc,cd->btd' } },
    { op: 'Split', inputs: ['e', 'split'], outputs: ['e1', 'e2'], attrs: { axis: 2 } },
    { op: 'Mul', inputs: ['e1', 'e2'], outputs: ['m'] },
    // Along the last axis: tfjs's Cumsum gradient (the reference here) breaks on other axes.
    { op: 'CumSum', inputs: ['m', 'axis2'], outputs: ['c'], attrs: { reverse: 1 } },
    { op: 'Slice', inputs: ['c', 'st', 'en', 'ax', 'sp'], outputs: ['sl'] },
    { op: 'Gather', inputs: ['sl', 'idx'], outputs: ['ga'], attrs: { axis: 1 } },
    { op: 'Concat', inputs: ['ga', 'sl'], outputs: ['y'], attrs: { axis: 1 } },
  ],
  initializers: [
    i64('tok_shape', [0, 4, 15]),
    weight('ln_g', [4], 1),
    weight('ln_b', [4], 2),
    weight('wq', [4, 4], 3),
    weight('wk', [4, 4], 4),
    weight('wv', [4, 4], 5),
    f32('scale', [2], []),
    f32('sqrt2', [Math.SQRT2], []),
    f32('one', [1], []),
    f32('half', [0.5], []),
    weight('we', [4, 6], 6),
    i64('split', [3, 3]),
    i64('axis2', [2], []),
    i64('st', [1]),
    i64('en', [14]),
    i64('ax', [1]),
    i64('sp', [2]),
    i64('idx', [3, 0, 3]),
  ],
  output: 'y',
};

/** x [N, 6, 4, 4]: group, instance and RMS norms, tanh Gelu, Where / Expand / Tile, reductions. */
const norms: Net = {
  input: [6, 4, 4],
  opset: 23,
  nodes: [
    {
      op: 'GroupNormalization',
      inputs: ['x', 'gn_g', 'gn_b'],
      outputs: ['gn'],
      attrs: { num_groups: 3, epsilon: { f: 1e-5 } },
    },
    { op: 'InstanceNormalization', inputs: ['gn', 'in_g', 'in_b'], outputs: ['in'] },
    { op: 'RMSNormalization', inputs: ['in', 'rms_g'], outputs: ['rms'], attrs: { axis: -1 } },
    { op: 'Gelu', inputs: ['rms'], outputs: ['ge'], attrs: { approximate: 'tanh' } },
    // A constant condition (tfjs's own path cannot differentiate one computed from the input).
    { op: 'Where', inputs: ['cond', 'ge', 'bias'], outputs: ['wh'] },
    { op: 'Expand', inputs: ['bias6', 'shape6'], outputs: ['ex'] },
    { op: 'Mul', inputs: ['wh', 'ex'], outputs: ['mx'] },
    { op: 'Tile', inputs: ['mx', 'reps'], outputs: ['ti'] },
    { op: 'Identity', inputs: ['ti'], outputs: ['sc'] },
    { op: 'Mul', inputs: ['sc', 'sc'], outputs: ['sq'] },
    { op: 'ReduceL2', inputs: ['sq', 'ax3'], outputs: ['l2'], attrs: { keepdims: 1 } },
    { op: 'ReduceLogSumExp', inputs: ['sc', 'ax2'], outputs: ['lse'], attrs: { keepdims: 1 } },
    { op: 'ReduceSumSquare', inputs: ['sc', 'ax2'], outputs: ['ss'], attrs: { keepdims: 0 } },
    { op: 'ReduceL1', inputs: ['sc', 'ax3'], outputs: ['l1'], attrs: { keepdims: 1 } },
    { op: 'Add', inputs: ['lse', 'l2'], outputs: ['s1'] },
    { op: 'Add', inputs: ['s1', 'l1'], outputs: ['s2'] },
    { op: 'Unsqueeze', inputs: ['ss', 'ax2'], outputs: ['ssu'] },
    { op: 'Add', inputs: ['s2', 'ssu'], outputs: ['y'] },
  ],
  initializers: [
    weight('gn_g', [6], 11),
    weight('gn_b', [6], 12),
    weight('in_g', [6], 13),
    weight('in_b', [6], 14),
    weight('rms_g', [4], 15),
    {
      name: 'cond',
      dims: [1, 1, 4, 4],
      dtype: 'bool',
      data: Array.from({ length: 16 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
    },
    f32('bias', [0.1], []),
    weight('bias6', [1, 6, 1, 1], 16),
    i64('shape6', [1, 6, 4, 4]),
    i64('reps', [1, 1, 1, 2]),
    i64('ax3', [3]),
    i64('ax2', [2]),
  ],
  output: 'y',
};

/** x [N, 3, 6, 5]: bilinear 2× up (half_pixel), cubic ×(0.5, 1.5) (align_corners), nearest 2× (asymmetric). */
const resizes: Net = {
  input: [3, 6, 5],
  opset: 17,
  nodes: [
    { op: 'Resize', inputs: ['x', '', 'up2'], outputs: ['a'], attrs: { mode: 'linear' } },
    {
      op: 'Resize',
      inputs: ['a', '', 'sc'],
      outputs: ['b'],
      attrs: { mode: 'cubic', coordinate_transformation_mode: 'align_corners' },
    },
    { op: 'Tanh', inputs: ['b'], outputs: ['t'] },
    {
      op: 'Resize',
      inputs: ['t', '', 'up2'],
      outputs: ['y'],
      attrs: {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      },
    },
  ],
  initializers: [f32('up2', [1, 1, 2, 2]), f32('sc', [1, 1, 0.5, 1.5])],
  output: 'y',
};

describe('gradient graph: transformer-era ops', () => {
  for (const [name, net] of [
    ['attention block (opset 17)', attention],
    ['norms, Gelu-tanh, Where, Tile, reductions (opset 23)', norms],
    ['Resize: linear, cubic, nearest', resizes],
  ] as const) {
    it(`${name}: onnxruntime gives tfjs's gradient`, async () => {
      await setup('wasm');
      const model = await netModel(net);
      assert.match(model.gradientEngine ?? '', /^onnxruntime/, model.gradientEngineWhy);
      const [c, h, w] = net.input;
      const x = tf.randomUniform([2, h, w, c], -1, 1, 'float32', 3) as tf.Tensor4D;
      const W = tf.tidy(() => tf.randomNormal(model.predict(x).shape, 0, 1, 'float32', 4));
      const g = (engine: 'onnxruntime' | 'tfjs') => {
        setGradientEngine(engine);
        try {
          return tf.tidy(() =>
            tf
              .grad((v: tf.Tensor) =>
                model
                  .predict(v as tf.Tensor4D)
                  .mul(W)
                  .sum(),
              )(x)
              .dataSync(),
          );
        } finally {
          setGradientEngine('auto');
        }
      };
      const [a, b] = await noLeaks(() => [g('onnxruntime'), g('tfjs')]);
      assert.ok(
        cosine(a, b) >= 0.99999 && relErr(a, b) <= 1e-4,
        `cosine ${cosine(a, b)}, rel ${relErr(a, b)}`,
      );
      tf.dispose([x, W]);
      model.dispose();
    });
  }
});

describe('gradient graph: ScatterND', () => {
  // The net's Reshape fixes batch 1 (onnxruntime refuses a probe at another batch, and says so on stderr).
  it('gives the data the gradient where no update landed, and the updates the gradient at their positions', async () => {
    await setup('wasm');
    // x [1, 1, 2, 2] → [1, 4]; row 0 position 1 overwritten by x's own position 3 (scaled by 10).
    const net: Net = {
      input: [1, 2, 2],
      nodes: [
        { op: 'Reshape', inputs: ['x', 'flat'], outputs: ['f'] },
        { op: 'Slice', inputs: ['f', 's3', 's4', 's1'], outputs: ['u0'] },
        { op: 'Mul', inputs: ['u0', 'ten'], outputs: ['u'] },
        { op: 'ScatterND', inputs: ['f', 'idx', 'u'], outputs: ['y'] },
      ],
      initializers: [
        i64('flat', [1, 4]),
        i64('s3', [3]),
        i64('s4', [4]),
        i64('s1', [1]),
        f32('ten', [10], []),
        i64('idx', [0, 1], [1, 2]),
      ],
      output: 'y',
    };
    const model = await netModel(net);
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const W = tf.tensor2d([[1, 2, 3, 4]]);
    const g = tf.tidy(() =>
      Array.from(
        tf
          .grad((v: tf.Tensor) =>
            model
              .predict(v as tf.Tensor4D)
              .mul(W)
              .sum(),
          )(x)
          .dataSync(),
      ),
    );
    // y = [x0, 10·x3, x2, x3]: dy/dx = [1, 0, 3, 4 + 10·2].
    assert.deepEqual(g, [1, 0, 3, 24]);
    tf.dispose([x, W]);
    model.dispose();
  });
});
