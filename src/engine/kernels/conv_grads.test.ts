/**
 * Parity of deepvis's wasm convolution-gradient kernels with the cpu backend (the reference): input
 * and filter gradients, strides 1 and 2, 'same' and 'valid' and explicit padding, odd and even
 * kernels, dilation, depthwise multipliers, batch 1 and 16 — through tf.grad, as methods use them.
 */
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBoth, setup, values } from '../../../test/helpers.js';

before(() => setup('wasm'));

const TOL = 2e-5;
type Pad = 'same' | 'valid';

function t4(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.tensor4d(
    values(
      shape.reduce((a, b) => a * b),
      seed,
    ),
    shape,
  );
}

describe('Conv2D gradients on wasm match cpu', () => {
  const cases: Array<{
    n: number;
    hw: number;
    k: number;
    s: number;
    pad: Pad;
    ci: number;
    co: number;
  }> = [];
  for (const n of [1, 16])
    for (const k of [1, 3, 4])
      for (const s of [1, 2])
        for (const pad of ['same', 'valid'] as Pad[]) {
          cases.push({ n, hw: n === 16 ? 7 : 9, k, s, pad, ci: 3, co: 5 });
        }
  for (const c of cases) {
    it(`batch ${c.n}, ${c.k}×${c.k}, stride ${c.s}, ${c.pad}`, async () => {
      const xs: [number, number, number, number] = [c.n, c.hw, c.hw + 1, c.ci];
      const ws: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
      const loss = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, c.s, c.pad).square().sum();
      const dx = await onBoth(() =>
        tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D, t4(ws, 2)))(t4(xs, 1)),
      );
      assertClose(dx.cpu, dx.wasm, TOL, 'dx');
      const dw = await onBoth(() =>
        tf.grad((w: tf.Tensor) => loss(t4(xs, 1), w as tf.Tensor4D))(t4(ws, 2)),
      );
      assertClose(dw.cpu, dw.wasm, TOL, 'dw');
    });
  }
  it('explicit padding and stride (2, 1)', async () => {
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ];
    const loss = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, [2, 1], pad).square().sum();
    const dx = await onBoth(() =>
      tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D, t4([3, 2, 2, 4], 2)))(t4([2, 8, 7, 2], 1)),
    );
    assertClose(dx.cpu, dx.wasm, TOL, 'dx');
    const dw = await onBoth(() =>
      tf.grad((w: tf.Tensor) => loss(t4([2, 8, 7, 2], 1), w as tf.Tensor4D))(t4([3, 2, 2, 4], 2)),
    );
    assertClose(dw.cpu, dw.wasm, TOL, 'dw');
  });
  // Many input channels take the one-convolution-per-phase path of the strided input gradient, few
  // take the stacked one (subpixel.ts); strides 2 and 3, kernels with fewer taps than the stride
  // (phases without taps), the 7×7/2 stem, and paddings larger than the kernel (dy cropped).
  const subPixel: Array<{
    k: number;
    s: number | [number, number];
    pad: Pad | tf.backend_util.ExplicitPadding;
    ci: number;
  }> = [];
  for (const ci of [2, 12]) {
    for (const k of [1, 2, 3])
      for (const st of [2, 3])
        for (const pad of ['same', 'valid'] as Pad[]) subPixel.push({ k, s: st, pad, ci });
    subPixel.push({
      k: 7,
      s: 2,
      pad: [
        [0, 0],
        [3, 3],
        [3, 3],
        [0, 0],
      ],
      ci,
    });
    subPixel.push({
      k: 2,
      s: [2, 3],
      pad: [
        [0, 0],
        [3, 1],
        [2, 4],
        [0, 0],
      ],
      ci,
    });
  }
  for (const c of subPixel) {
    it(`strided input gradient: ${c.ci} input channels, ${c.k}×${c.k}, stride ${c.s}, pad ${JSON.stringify(c.pad)}`, async () => {
      const loss = (x: tf.Tensor4D) =>
        tf
          .conv2d(x, t4([c.k, c.k, c.ci, 6], 2), c.s, c.pad as Pad)
          .square()
          .sum();
      const dx = await onBoth(() =>
        tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D))(t4([2, 11, 10, c.ci], 1)),
      );
      assertClose(dx.cpu, dx.wasm, TOL, 'dx');
    });
  }
  it('dilated convolution (input gradient)', async () => {
    const loss = (x: tf.Tensor4D) =>
      tf
        .conv2d(x, t4([3, 3, 2, 3], 2), 1, 'same', 'NHWC', 2)
        .square()
        .sum();
    const dx = await onBoth(() =>
      tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D))(t4([2, 9, 9, 2], 1)),
    );
    assertClose(dx.cpu, dx.wasm, TOL, 'dx');
  });
  it('fused conv with linear activation (filter gradient computed eagerly by tfjs)', async () => {
    const loss = (x: tf.Tensor4D, w: tf.Tensor4D) =>
      tf.fused
        .conv2d({ x, filter: w, strides: 1, pad: 'same', bias: tf.fill([4], 0.1) as tf.Tensor1D })
        .square()
        .sum();
    const dx = await onBoth(() =>
      tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D, t4([3, 3, 2, 4], 2)))(t4([2, 6, 6, 2], 1)),
    );
    assertClose(dx.cpu, dx.wasm, TOL, 'dx');
  });
});

describe('depthwise and separable convolution gradients on wasm match cpu', () => {
  for (const n of [1, 16])
    for (const mult of [1, 2])
      for (const s of [1, 2])
        for (const pad of ['same', 'valid'] as Pad[])
          for (const k of [3, 4]) {
            it(`batch ${n}, ${k}×${k}, multiplier ${mult}, stride ${s}, ${pad}`, async () => {
              const xs: [number, number, number, number] = [n, 8, 9, 3];
              const ws: [number, number, number, number] = [k, k, 3, mult];
              const loss = (x: tf.Tensor4D, w: tf.Tensor4D) =>
                tf.depthwiseConv2d(x, w, s, pad).square().sum();
              const dx = await onBoth(() =>
                tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D, t4(ws, 2)))(t4(xs, 1)),
              );
              assertClose(dx.cpu, dx.wasm, TOL, 'dx');
              const dw = await onBoth(() =>
                tf.grad((w: tf.Tensor) => loss(t4(xs, 1), w as tf.Tensor4D))(t4(ws, 2)),
              );
              assertClose(dw.cpu, dw.wasm, TOL, 'dw');
            });
          }
  for (const [k, st, pad] of [
    [1, 2, 'valid'],
    [3, 3, 'same'],
    [7, 2, 'same'],
    [2, 3, 'valid'],
  ] as Array<[number, number, Pad]>) {
    it(`strided depthwise input gradient: ${k}×${k}, stride ${st}, ${pad}`, async () => {
      const loss = (x: tf.Tensor4D) =>
        tf
          .depthwiseConv2d(x, t4([k, k, 4, 2], 2), st, pad)
          .square()
          .sum();
      const dx = await onBoth(() =>
        tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D))(t4([2, 11, 10, 4], 1)),
      );
      assertClose(dx.cpu, dx.wasm, TOL, 'dx');
    });
  }
  it('dilated depthwise (input and filter gradients)', async () => {
    const loss = (x: tf.Tensor4D, w: tf.Tensor4D) =>
      tf.depthwiseConv2d(x, w, 1, 'same', 'NHWC', 2).square().sum();
    const dx = await onBoth(() =>
      tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D, t4([3, 3, 2, 2], 2)))(t4([2, 9, 9, 2], 1)),
    );
    assertClose(dx.cpu, dx.wasm, TOL, 'dx');
    const dw = await onBoth(() =>
      tf.grad((w: tf.Tensor) => loss(t4([2, 9, 9, 2], 1), w as tf.Tensor4D))(t4([3, 3, 2, 2], 2)),
    );
    assertClose(dw.cpu, dw.wasm, TOL, 'dw');
  });
  it('separable conv (depthwise then pointwise)', async () => {
    const loss = (x: tf.Tensor4D) =>
      tf
        .separableConv2d(x, t4([3, 3, 4, 2], 2), t4([1, 1, 8, 5], 3), 2, 'same')
        .square()
        .sum();
    const dx = await onBoth(() =>
      tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D))(t4([16, 7, 7, 4], 1)),
    );
    assertClose(dx.cpu, dx.wasm, TOL, 'dx');
  });
});

describe('max-pool gradients on wasm match cpu (the stock wasm kernel misroutes some)', () => {
  const cases: Array<[number[], number, number, Pad]> = [
    [[1, 4, 4, 5], 2, 2, 'valid'],
    [[4, 8, 8, 3], 2, 2, 'valid'],
    [[16, 7, 7, 3], 2, 2, 'same'],
    [[2, 9, 9, 4], 3, 2, 'same'],
    [[1, 8, 8, 2], 3, 1, 'valid'],
  ];
  for (const [shape, size, stride, pad] of cases) {
    it(`${shape.join('×')} pool ${size} stride ${stride} ${pad}`, async () => {
      const loss = (x: tf.Tensor4D) => tf.maxPool(x, size, stride, pad).square().sum();
      const dx = await onBoth(() =>
        tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D))(
          t4(shape as [number, number, number, number], 3),
        ),
      );
      assertClose(dx.cpu, dx.wasm, 1e-6, 'dx');
    });
  }
  it('overlapping 3×3/2 windows, padding 1, with ties: first maximum, gradients of shared inputs added', async () => {
    const x = () => t4([3, 11, 10, 5], 8).mul(2).round().div(2).relu() as tf.Tensor4D;
    const dx = await onBoth(() =>
      tf.grad((xi: tf.Tensor) =>
        tf
          .maxPool(xi as tf.Tensor4D, 3, 2, 1)
          .mul(tf.range(1, 3 * 6 * 5 * 5 + 1).reshape([3, 6, 5, 5]))
          .sum(),
      )(x()),
    );
    assertClose(dx.cpu, dx.wasm, 1e-6, 'dx');
  });
  it('ties (ReLU zeros, repeated values) go to the first maximum of the window, as on cpu', async () => {
    // Half the values are 0 after the ReLU and the rest are rounded to a few levels: many windows
    // have several equal maxima, in every position.
    const x = () => t4([4, 8, 6, 3], 7).mul(2).round().div(2).relu() as tf.Tensor4D;
    const dx = await onBoth(() =>
      tf.grad((xi: tf.Tensor) =>
        tf
          .maxPool(xi as tf.Tensor4D, 2, 2, 'valid')
          .mul(tf.range(1, 4 * 4 * 3 * 3 + 1).reshape([4, 4, 3, 3]))
          .sum(),
      )(x()),
    );
    assertClose(dx.cpu, dx.wasm, 1e-6, 'dx');
  });
});

describe('average-pool gradients on wasm (a depthwise input gradient) match cpu', () => {
  const cases: Array<[number[], number, number, Pad | number]> = [
    [[1, 4, 4, 5], 2, 2, 'valid'],
    [[16, 7, 7, 3], 2, 2, 'same'],
    [[2, 9, 9, 4], 3, 2, 'same'],
    [[2, 9, 8, 4], 3, 1, 'same'],
    [[2, 11, 10, 3], 3, 2, 1],
    [[1, 8, 8, 2], 3, 3, 'valid'],
  ];
  for (const [shape, size, stride, pad] of cases) {
    it(`${shape.join('×')} pool ${size} stride ${stride} ${pad}`, async () => {
      const loss = (x: tf.Tensor4D) =>
        tf
          .avgPool(x, size, stride, pad as Pad)
          .square()
          .sum();
      const dx = await onBoth(() =>
        tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D))(
          t4(shape as [number, number, number, number], 3),
        ),
      );
      assertClose(dx.cpu, dx.wasm, TOL, 'dx');
    });
  }
});

describe('other gradient paths on wasm match cpu', () => {
  it('pooling, dense and batch norm', async () => {
    const x = () => t4([4, 8, 8, 3], 5);
    const loss = (xi: tf.Tensor4D) => {
      const bn = tf.batchNorm(
        xi,
        tf.fill([3], 0.1),
        tf.fill([3], 2),
        tf.fill([3], 0.2),
        tf.fill([3], 1.5),
        1e-3,
      );
      const p = tf.maxPool(bn as tf.Tensor4D, 2, 2, 'valid');
      const a = tf.avgPool(p, 2, 1, 'same');
      const flat = a.reshape([4, -1]);
      return tf
        .matMul(flat, tf.tensor2d(values(48 * 6, 9), [48, 6]))
        .relu()
        .sum();
    };
    const dx = await onBoth(() => tf.grad((xi: tf.Tensor) => loss(xi as tf.Tensor4D))(x()));
    assertClose(dx.cpu, dx.wasm, TOL, 'dx');
  });
});
