/**
 * VJP rules of convolutions, pooling, normalization and products (the input gradient only: weights
 * are constants). A convolution's VJP is the transposed convolution with the same weights
 * (Dumoulin & Visin 2016): at stride 1 a convolution with the flipped, transposed filters (it runs
 * on onnxruntime's fast direct kernels), strided as a ConvTranspose. Max pooling routes the gradient
 * through the forward pass's own argmax (ONNX MaxPool's Indices, summed where windows overlap);
 * average pooling is a ConvTranspose of ones over the gradient divided by each window's count.
 */
import type { HostTensor } from '../decode.js';
import { padsOf, type Pads } from '../pads.js';
import type { Vjp, VjpTable } from './vjp_types.js';

/**
 * A ConvTranspose's pads and output_padding that give back exactly the forward input's size
 * (out = (n_out − 1)·s + d·(k − 1) + 1 − begin − end + op): the end pad grows over what ceil_mode
 * windows read past the input, output_padding adds the rows a floor-mode window never read.
 */
function transposeGeometry(
  inHW: readonly number[],
  outHW: readonly number[],
  k: readonly number[],
  s: readonly number[],
  d: readonly number[],
  p: Pads,
) {
  const pads: Pads = [p[0], p[1], 0, 0];
  const outputPadding = [0, 0];
  for (let i = 0; i < 2; i++) {
    const base = (outHW[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - p[i];
    pads[i + 2] = Math.max(0, base - inHW[i]);
    outputPadding[i] = inHW[i] - base + pads[i + 2];
  }
  return { pads, outputPadding };
}

const spatial = (v: Vjp, name: string) => v.shape(name).slice(2);

/** A constant weight's values (float32), or undefined when it is not a plain float constant. */
type Weights = (name: string) => HostTensor | undefined;

/**
 * Flipped, transposed filters as graph nodes on the constant W [Cout, Cin/g, kh, kw] → W'
 * [Cin, Cout/g, kh, kw], W'[g·cpg + i, o] = flip(W[g·og + o, i]): onnxruntime folds them into one
 * initializer when the session starts, so no copy of the weights is made here.
 */
function flippedFilters(v: Vjp, W: string, dims: readonly number[], group: number): string {
  const [cout, cpg, kh, kw] = dims;
  const og = cout / group;
  const BIG = 2 ** 62;
  const flip = v.op('Slice', [
    W,
    v.ints([-1, -1]),
    v.ints([-BIG, -BIG]),
    v.ints([2, 3]),
    v.ints([-1, -1]),
  ]);
  if (group === 1) return v.op('Transpose', [flip], { perm: [1, 0, 2, 3] });
  const grouped = v.op('Reshape', [flip, v.ints([group, og, cpg, kh, kw])]);
  return v.op('Reshape', [
    v.op('Transpose', [grouped], { perm: [0, 2, 1, 3, 4] }),
    v.ints([group * cpg, og, kh, kw]),
  ]);
}

/**
 * The input gradient of this Conv node's convolution with the weights `W` (shaped as its own, a
 * constant or computed from constants: LRP's W⁺, merged or squared weights) at `dy`.
 */
export function convBack(v: Vjp, W: string, dy: string, convMode: 'flip' | 'transpose'): string {
  const dims = v.shape(v.x(1));
  if (dims.length !== 4) v.fail('only 2-D convolutions are supported');
  const [kh, kw] = dims.slice(2);
  const s = v.attr<number[]>('strides', [1, 1]),
    d = v.attr<number[]>('dilations', [1, 1]);
  const group = v.attr('group', 1);
  const [h, w] = spatial(v, v.x());
  const p = padsOf(v, h, w, [kh, kw], s, d);
  const flipPads = [
    d[0] * (kh - 1) - p[0],
    d[1] * (kw - 1) - p[1],
    d[0] * (kh - 1) - p[2],
    d[1] * (kw - 1) - p[3],
  ];
  if (convMode === 'flip' && s.every((x) => x === 1) && flipPads.every((x) => x >= 0)) {
    const Wf = flippedFilters(v, W, dims, group);
    return v.op('Conv', [dy, Wf], { pads: flipPads, dilations: d, group, kernel_shape: [kh, kw] });
  }
  const geo = transposeGeometry([h, w], spatial(v, v.y()), [kh, kw], s, d, p);
  return v.op('ConvTranspose', [dy, W], {
    strides: s,
    dilations: d,
    group,
    pads: geo.pads,
    output_padding: geo.outputPadding,
    kernel_shape: [kh, kw],
  });
}

export function nnVjp(weights: Weights, convMode: 'flip' | 'transpose'): VjpTable {
  return {
    Conv: (v) => {
      if (v.needs(1) || v.needs(2)) v.fail('computed convolution weights are not supported');
      return [convBack(v, v.x(1), v.dy, convMode), null, null];
    },

    BatchNormalization: (v) => {
      if (v.attr('training_mode', 0)) v.fail('training-mode batch norm is not supported');
      if ([1, 2, 3, 4].some((i) => v.needs(i))) v.fail('computed statistics are not supported');
      const [gamma, , , variance] = [1, 2, 3, 4].map(
        (i) => weights(v.x(i)) ?? v.fail('its statistics must be float constants'),
      );
      const eps = v.attr('epsilon', 1e-5);
      const c = gamma.data.length;
      const scale = Float32Array.from(
        { length: c },
        (_, i) => Number(gamma.data[i]) / Math.sqrt(Number(variance.data[i]) + eps),
      );
      const rank = v.shape(v.x()).length;
      return [
        v.op('Mul', [v.dy, v.floats(scale, [c, ...Array(Math.max(0, rank - 2)).fill(1)])]),
        null,
        null,
        null,
        null,
      ];
    },

    MaxPool: (v) => {
      // Switches: the forward's argmax per window (flat indices into x, first maximum on ties,
      // as tfjs and PyTorch pick), the gradient scattered there and summed where windows overlap.
      const idx = v.extraOutput(1);
      const size = v.op('Reshape', [v.op('Size', [v.x()]), v.ints([1])]);
      const zeros = v.op('ConstantOfShape', [size]);
      const flat = (t: string) => v.op('Reshape', [t, v.ints([-1])]);
      const scattered = v.op('ScatterElements', [zeros, flat(idx), flat(v.dy)], {
        axis: 0,
        reduction: 'add',
      });
      return [v.op('Reshape', [scattered, v.op('Shape', [v.x()])])];
    },

    AveragePool: (v) => [windowSum(v, averageCounts(v))],

    GlobalAveragePool: (v) => {
      const area = spatial(v, v.x()).reduce((a, b) => a * b, 1);
      return [
        v.op('Expand', [v.op('Mul', [v.dy, v.floats([1 / area], [])]), v.op('Shape', [v.x()])]),
      ];
    },

    // tfjs's max gradient: every position equal to the maximum gets it.
    GlobalMaxPool: (v) => [v.op('Where', [v.op('Equal', [v.x(), v.y()]), v.dy, v.floats([0], [])])],

    Gemm: (v) => {
      const transA = v.attr('transA', 0),
        transB = v.attr('transB', 0);
      const alpha = { f: v.attr('alpha', 1) };
      const beta = v.attr('beta', 1);
      const dA = !v.needs(0)
        ? null
        : transA
          ? v.op('Gemm', [v.x(1), v.dy], { alpha, transA: transB, transB: 1 })
          : v.op('Gemm', [v.dy, v.x(1)], { alpha, transB: transB ? 0 : 1 });
      const dB = !v.needs(1)
        ? null
        : transB
          ? v.op('Gemm', [v.dy, v.x(0)], { alpha, transA: 1, transB: transA })
          : v.op('Gemm', [v.x(0), v.dy], { alpha, transA: transA ? 0 : 1 });
      const dC =
        v.node.inputs[2] && v.needs(2)
          ? v.reduceTo(beta === 1 ? v.dy : v.op('Mul', [v.dy, v.floats([beta], [])]), 2)
          : null;
      return [dA, dB, dC];
    },

    MatMul: (v) => {
      const [ra, rb] = [v.shape(v.x(0)).length, v.shape(v.x(1)).length];
      if (ra < 2 || rb < 2) v.fail('a product with a vector operand is not supported');
      const swap = (t: string, r: number) =>
        v.op('Transpose', [t], { perm: [...Array(r - 2).keys(), r - 1, r - 2] });
      let dA: string | null = null;
      if (v.needs(0)) {
        if (rb === 2 && !v.needs(1)) {
          // A constant [K, N] weight: rows of dy times Bᵀ as one Gemm, no transposed copy of the weights.
          const n = v.shape(v.x(1))[1];
          const rows = v.op('Gemm', [v.op('Reshape', [v.dy, v.ints([-1, n])]), v.x(1)], {
            transB: 1,
          });
          dA = ra === 2 ? rows : v.op('Reshape', [rows, v.op('Shape', [v.x(0)])]);
        } else dA = v.reduceTo(v.op('MatMul', [v.dy, swap(v.x(1), rb)]), 0);
      }
      const dB = v.needs(1) ? v.reduceTo(v.op('MatMul', [swap(v.x(0), ra), v.dy]), 1) : null;
      return [dA, dB];
    },
  };
}

/**
 * The transpose of a per-channel window sum (a depthwise ConvTranspose of ones), applied to
 * dy / count: average pooling's VJP, and deconvnet's switch-less unpooling (count null: every
 * position of a window gets the window's value, as engine/rules.ts's nearest unpooling).
 */
export function windowSum(v: Vjp, counts: string | null): string {
  const k = v.attr<number[]>('kernel_shape', []);
  if (k.length !== 2) v.fail('only 2-D pooling is supported');
  const s = v.attr<number[]>('strides', [1, 1]);
  const d = v.attr<number[]>('dilations', [1, 1]);
  const [, c, h, w] = v.shape(v.x());
  const p = padsOf(v, h, w, k, s, d);
  const geo = transposeGeometry([h, w], spatial(v, v.y()), k, s, d, p);
  const ones = v.floats(new Float32Array(c * k[0] * k[1]).fill(1), [c, 1, k[0], k[1]]);
  const g = counts ? v.op('Div', [v.dy, counts]) : v.dy;
  return v.op('ConvTranspose', [g, ones], {
    strides: s,
    dilations: d,
    group: c,
    pads: geo.pads,
    output_padding: geo.outputPadding,
    kernel_shape: k,
  });
}

/**
 * How many cells each average window divides by: the explicit padding counts when
 * count_include_pad, the ceil_mode extension never (PyTorch's rule, the importer's).
 */
function averageCounts(v: Vjp): string {
  const k = v.attr<number[]>('kernel_shape', []);
  const s = v.attr<number[]>('strides', [1, 1]);
  const [, , h, w] = v.shape(v.x());
  const [oh, ow] = spatial(v, v.y());
  const p = padsOf(v, h, w, k, s, [1, 1]);
  const include = v.attr('count_include_pad', 0) === 1;
  const span = (o: number, i: number, n: number) => {
    const start = o * s[i] - p[i];
    const lo = include ? -p[i] : 0,
      hi = include ? n + p[i + 2] : n;
    return Math.max(0, Math.min(start + k[i], hi) - Math.max(start, lo));
  };
  const counts = new Float32Array(oh * ow);
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++) counts[y * ow + x] = span(y, 0, h) * span(x, 1, w);
  return v.floats(counts, [1, 1, oh, ow]);
}
