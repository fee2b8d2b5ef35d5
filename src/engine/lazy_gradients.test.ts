/**
 * Input gradients pay only for the input (lazy_gradients.ts): a saliency pass over conv + batch
 * norm models — a tfjs-layers model, a converted graph model, and one calling tf.fused.* directly,
 * as the ONNX executor does — runs no filter, bias or batch-norm parameter gradient and no full-size Tile; and the
 * lazy gradients are the true ones: equal to the same function written with unfused ops (whose
 * gradients tfjs registers separately) for every input, and a layers conv + BN model trained with
 * model.fit takes exactly the SGD step those explicit gradients give.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, setup, values, deepvisOnly } from '../../test/helpers.js';
import { graphModelArtifacts } from '../../test/fixtures/graph_model.js';

before(() => setup('wasm'));

const TOL = 2e-5;
const t = (shape: number[], seed: number, scale = 1) =>
  tf
    .tensor(
      values(
        shape.reduce((a, b) => a * b, 1),
        seed,
      ),
      shape,
    )
    .mul(scale);

/** Kernel names run by f (tf.profile), in order. */
async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(async () => {
    const out = f();
    await out.data();
    out.dispose();
  });
  return info.kernels.map((k) => k.name);
}

const PARAMETER_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'Tile',
  'Sum',
];

function assertInputOnly(kernels: string[], what: string): void {
  for (const k of PARAMETER_KERNELS)
    assert.ok(
      !kernels.includes(k),
      `${what}: ran ${k} (${kernels.filter((n) => n === k).length}×)`,
    );
}

/** Layers: bias-free linear conv (stays fused under a gradient) + BN + ReLU, strided conv with bias + BN, depthwise, dense. */
function layersModel(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [9, 9, 3],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(1),
    }),
  );
  m.add(
    tf.layers.batchNormalization({
      gammaInitializer: 'ones',
      movingVarianceInitializer: tf.initializers.constant({ value: 2 }),
    }),
  );
  m.add(tf.layers.reLU());
  m.add(
    tf.layers.conv2d({
      filters: 6,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      kernelInitializer: init(2),
      biasInitializer: tf.initializers.constant({ value: 0.1 }),
    }),
  );
  m.add(
    tf.layers.batchNormalization({
      movingMeanInitializer: tf.initializers.constant({ value: 0.3 }),
    }),
  );
  m.add(
    tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init(3) }),
  );
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 5, kernelInitializer: init(4) }));
  return m;
}

describe(
  'input gradients run no parameter gradient',
  deepvisOnly("tfjs computes every input's gradient of a fused op"),
  () => {
    it('tfjs-layers conv (no bias) + BN + ReLU, strided conv + BN, depthwise, dense', async () => {
      const model = layersModel();
      const x = t([2, 9, 9, 3], 5);
      // Seeded with dy (no Sum in the forward pass, so any Sum would be a bias or BN-parameter gradient).
      const saliency = () =>
        tf.grad((xi: tf.Tensor) => model.apply(xi, { training: false }) as tf.Tensor)(
          x,
          tf.ones([2, 5]),
        );
      const kernels = await kernelsOf(saliency);
      assert.ok(
        kernels.includes('Conv2DBackpropInput') && kernels.includes('FusedBatchNorm'),
        'the pass ran through conv and batch norm',
      );
      assertInputOnly(kernels, 'layers saliency');
      // Training the same model still computes every parameter gradient.
      const train = await kernelsOf(() => {
        const { value, grads } = tf.variableGrads(
          () => (model.apply(x, { training: false }) as tf.Tensor).sum() as tf.Scalar,
        );
        Object.values(grads).forEach((g) => g.dispose());
        return value;
      });
      assert.ok(
        train.includes('Conv2DBackpropFilter') &&
          train.includes('DepthwiseConv2dNativeBackpropFilter') &&
          train.includes('Sum'),
      );
      model.dispose();
    });

    it('tf.fused.conv2d / depthwiseConv2d / matMul called directly, with and without bias', async () => {
      const w1 = t([3, 3, 3, 4], 1);
      const w2 = t([3, 3, 4, 2], 2);
      const w3 = t([5 * 5 * 8, 3], 3);
      const b = t([4], 4);
      const net = (x: tf.Tensor) => {
        const c = tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w1 as tf.Tensor4D,
          strides: 2,
          pad: 'same',
        });
        const bn = tf.batchNorm(c, t([4], 6), t([4], 7).abs().add(0.5), t([4], 8), t([4], 9), 1e-3);
        const d = tf.fused.depthwiseConv2d({
          x: tf.relu(bn) as tf.Tensor4D,
          filter: w2 as tf.Tensor4D,
          strides: 1,
          pad: 'same',
        });
        const c2 = tf.fused.conv2d({
          x: d,
          filter: t([1, 1, 8, 8], 10) as tf.Tensor4D,
          strides: 1,
          pad: 'valid',
          bias: t([8], 11),
        });
        return tf.fused.matMul({
          a: c2.reshape([x.shape[0], -1]),
          b: w3 as tf.Tensor2D,
          bias: b.slice(0, 3),
        });
      };
      const kernels = await kernelsOf(() => tf.grad(net)(t([2, 9, 9, 3], 5), tf.ones([2, 3])));
      assertInputOnly(kernels, 'fused ops saliency');
      assert.equal(
        kernels.filter((k) => k === 'BatchMatMul').length,
        1,
        'one BatchMatMul: the input side of the matMul',
      );
    });
  },
);

describe(
  'input gradients of a converted graph model run no parameter gradient',
  deepvisOnly("tfjs computes every input's gradient of a fused op"),
  () => {
    it('_FusedConv2D (linear and with ReLU), separable conv, FusedBatchNormV3, MatMul', async () => {
      const model = await tf.loadGraphModel(tf.io.fromMemory(graphModelArtifacts()));
      const x = t([2, 12, 12, 3], 5);
      const out = model.execute(x) as tf.Tensor;
      const kernels = await kernelsOf(() =>
        tf.grad((xi: tf.Tensor) => model.execute(xi) as tf.Tensor)(x, tf.ones(out.shape)),
      );
      assert.ok(
        kernels.includes('Conv2DBackpropInput') && kernels.includes('FusedBatchNorm'),
        'the pass ran through conv and batch norm',
      );
      assertInputOnly(kernels, 'graph model saliency');
      out.dispose();
      model.dispose();
    });
  },
);

describe('the lazy gradients are the true gradients', () => {
  const grads = (f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]) =>
    tf.grads((...xs: tf.Tensor[]) =>
      f(...xs)
        .mul(t(f(...inputs).shape, 99))
        .sum(),
    )(inputs);

  const cases: Array<
    [
      string,
      (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor,
      (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor,
      number[][],
    ]
  > = [
    [
      'fused conv2d, stride 2, bias',
      (x, w, b) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: 2,
          pad: 'same',
          bias: b,
        }),
      (x, w, b) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').add(b),
      [[2, 7, 8, 3], [3, 3, 3, 4], [4]],
    ],
    [
      'fused conv2d, dilation 2, bias',
      (x, w, b) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          dilations: 2,
          bias: b,
        }),
      (x, w, b) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2).add(b),
      [[2, 7, 8, 3], [3, 3, 3, 4], [4]],
    ],
    [
      'fused depthwise, multiplier 2, bias',
      (x, w, b) =>
        tf.fused.depthwiseConv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: 2,
          pad: 'valid',
          bias: b,
        }),
      (x, w, b) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid').add(b),
      [[2, 7, 8, 3], [3, 3, 3, 2], [6]],
    ],
    [
      'fused matMul, transposeB, bias',
      (x, w, b) =>
        tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, transposeB: true, bias: b }),
      (x, w, b) => tf.matMul(x, w, false, true).add(b),
      [[5, 6], [4, 6], [4]],
    ],
  ];
  for (const [name, fused, plain, shapes] of cases) {
    // tfjs's own fused conv gradient refuses dilation > 1: deepvis's lazy gradient is what makes it differentiable.
    it(
      `${name}: every input's gradient equals the unfused ops'`,
      /dilation/.test(name) ? deepvisOnly('its fused conv gradient refuses dilation > 1') : {},
      () => {
        const inputs = shapes.map((s, i) => t(s, i + 1));
        const got = grads(fused, inputs);
        const want = grads(plain, inputs);
        got.forEach((g, i) => assertClose(want[i].dataSync(), g.dataSync(), TOL, `input ${i}`));
      },
    );
  }

  it('batchNorm: x, mean, variance, scale and offset gradients equal the explicit formula', () => {
    const inputs = [t([2, 3, 4, 5], 1), t([5], 2), t([5], 3).abs().add(0.2), t([5], 4), t([5], 5)];
    const got = grads((x, m, v, s, o) => tf.batchNorm(x, m, v, o, s, 1e-3), inputs);
    const want = grads(
      (x, m, v, s, o) =>
        x
          .sub(m)
          .mul(tf.rsqrt(v.add(1e-3)))
          .mul(s)
          .add(o),
      inputs,
    );
    got.forEach((g, i) => assertClose(want[i].dataSync(), g.dataSync(), TOL, `input ${i}`));
  });

  it(
    'batchNorm without scale and offset (BatchNormalization with scale: false, center: false) has a gradient',
    deepvisOnly('tf.batchNorm without scale or offset has no gradient'),
    () => {
      const inputs = [t([2, 3, 4, 5], 1), t([5], 2), t([5], 3).abs().add(0.2)];
      const got = grads((x, m, v) => tf.batchNorm(x, m, v, undefined, undefined, 1e-3), inputs);
      const want = grads((x, m, v) => x.sub(m).mul(tf.rsqrt(v.add(1e-3))), inputs);
      got.forEach((g, i) => assertClose(want[i].dataSync(), g.dataSync(), TOL, `input ${i}`));
      const bn = tf.sequential({
        layers: [
          tf.layers.batchNormalization({ inputShape: [3, 4, 5], scale: false, center: false }),
        ],
      });
      const x = t([2, 3, 4, 5], 6);
      const dx = tf.grad((xi: tf.Tensor) =>
        (bn.apply(xi) as tf.Tensor).mul(t([2, 3, 4, 5], 7)).sum(),
      )(x);
      assertClose(
        t([2, 3, 4, 5], 7)
          .div(Math.sqrt(1 + 1e-3))
          .dataSync(),
        dx.dataSync(),
        TOL,
        'layer dx',
      );
    },
  );

  it('model.fit on a layers conv (no bias) + BN (batch statistics) + dense model takes the explicit SGD step', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [6, 6, 2],
        filters: 3,
        kernelSize: 3,
        useBias: false,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
    );
    m.add(
      tf.layers.batchNormalization({
        epsilon: 1e-3,
        gammaInitializer: tf.initializers.constant({ value: 1.5 }),
        betaInitializer: tf.initializers.constant({ value: 0.2 }),
      }),
    );
    m.add(tf.layers.flatten());
    m.add(
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    );
    const lr = 0.1;
    m.compile({ optimizer: tf.train.sgd(lr), loss: 'meanSquaredError' });
    const x = t([4, 6, 6, 2], 3);
    const y = t([4, 2], 4);
    // Trainable weights first: conv kernel, γ, β, dense kernel and bias (then BN's moving statistics).
    const [k, gamma, beta, w, b] = m.getWeights().map((v) => v.clone());
    const explicit = (
      k: tf.Tensor,
      gamma: tf.Tensor,
      beta: tf.Tensor,
      w: tf.Tensor,
      b: tf.Tensor,
    ) => {
      const c = tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid');
      const { mean, variance } = tf.moments(c, [0, 1, 2]);
      const bn = c
        .sub(mean)
        .mul(tf.rsqrt(variance.add(1e-3)))
        .mul(gamma)
        .add(beta);
      return tf
        .matMul(bn.reshape([4, -1]), w)
        .add(b)
        .sub(y)
        .square()
        .mean();
    };
    const g = tf.grads(explicit)([k, gamma, beta, w, b]);
    await m.fit(x, y, { batchSize: 4, epochs: 1, shuffle: false, verbose: 0 });
    const after = m.getWeights();
    [
      [0, k, g[0]],
      [1, gamma, g[1]],
      [2, beta, g[2]],
      [3, w, g[3]],
      [4, b, g[4]],
    ].forEach(([i, before, grad]) => {
      const want = (before as tf.Tensor).sub((grad as tf.Tensor).mul(lr));
      assertClose(want.dataSync(), after[i as number].dataSync(), 1e-4, `weight ${i as number}`);
    });
    m.dispose();
  });
});
