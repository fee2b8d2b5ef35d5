/**
 * Convolutions, normalization, pooling and dense products. Weights are converted to tfjs's layouts
 * once, here, at load: OIHW → HWIO (depthwise: → [kH, kW, C, M]), batch norm folded to one scale
 * and shift, Gemm's B transposed (and its rows permuted when it reads a 'flat' NHWC tensor).
 */
import { channelAffine } from '../../../engine/channel_affine.js';
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from './decode.js';
import { hostTensor, materialize, toNhwc } from './layout.js';
import type { Compiled, OpCompiler, OpCtx } from './op_types.js';
import { padsOf, type Pads } from './pads.js';
import { ready, type Weight } from './weights.js';

type Pad4 = Pads; // top, left, bottom, right

const explicit = (p: Pad4): tf.backend_util.ExplicitPadding | 'valid' =>
  p.every((v) => v === 0)
    ? 'valid'
    : [
        [0, 0],
        [p[0], p[2]],
        [p[1], p[3]],
        [0, 0],
      ];

function imageInput(ctx: OpCtx): readonly number[] {
  const meta = ctx.meta(0);
  if (!meta || meta.logical.length !== 4)
    ctx.fail('expects a 4-D image tensor (N, C, H, W) computed from the input');
  return meta.logical;
}

/** The op's image input in NHWC (a plain NCHW tensor, say a reshaped token grid, is transposed). */
function nhwcOf(ctx: OpCtx): (x: tf.Tensor) => tf.Tensor4D {
  const meta = ctx.meta(0)!;
  return meta.layout === 'nhwc'
    ? (x) => x as tf.Tensor4D
    : (x) => toNhwc(materialize(x, meta)) as tf.Tensor4D;
}

function hostWeight(ctx: OpCtx, i: number, what: string): HostTensor {
  const w = ctx.host(i);
  if (!w)
    ctx.fail(
      `its ${what} must be a constant (initializer); deepvis does not differentiate through computed weights`,
    );
  return w;
}

/** OIHW (one group's slice [o0, o1)) → HWIO. */
function hwio(w: HostTensor, o0: number, o1: number): Float32Array {
  const [, i, kh, kw] = w.dims;
  const o = o1 - o0;
  const out = new Float32Array(kh * kw * i * o);
  const src = w.data as Float32Array;
  for (let oo = 0; oo < o; oo++)
    for (let ii = 0; ii < i; ii++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          out[((y * kw + x) * i + ii) * o + oo] = src[(((o0 + oo) * i + ii) * kh + y) * kw + x];
  return out;
}

const conv: OpCompiler = (ctx) => {
  const [, cin, h, w] = imageInput(ctx);
  const W = hostWeight(ctx, 1, 'weight');
  if (W.dims.length !== 4)
    ctx.fail(`only 2-D convolutions are supported (weight of rank ${W.dims.length})`);
  const [cout, cpg, kh, kw] = W.dims;
  const group = ctx.attr('group', 1);
  if (cpg * group !== cin)
    ctx.fail(
      `weight [${W.dims.join(', ')}] with group ${group} does not fit ${cin} input channels`,
    );
  const s = ctx.attr<number[]>('strides', [1, 1]);
  const d = ctx.attr<number[]>('dilations', [1, 1]);
  const pad = explicit(padsOf(ctx, h, w, [kh, kw], s, d));
  const strides: [number, number] = [s[0], s[1]];
  const dil: [number, number] = [d[0], d[1]];
  const B = ctx.host(2);
  const bias = B ? ctx.keep(hostTensor(B, [cout])) : null;
  let apply: (x: tf.Tensor4D) => tf.Tensor4D;
  let kernel: Weight<tf.Tensor4D> | null = null;
  if (group === 1) {
    const f = (kernel = ctx.weight(1, [kh, kw, cin, cout], (v) =>
      tf.tensor4d(hwio(v, 0, cout), [kh, kw, cin, cout]),
    ));
    apply = (x) => tf.conv2d(x, f.get(), strides, pad, 'NHWC', dil);
  } else if (cpg === 1) {
    // Depthwise: output channel c·M + m reads input channel c, in ONNX as in tfjs.
    const m = cout / cin;
    const f = (kernel = ctx.weight(1, [kh, kw, cin, m], (v) =>
      tf.tensor4d(hwio(v, 0, cout), [kh, kw, cin, m]),
    ));
    apply = (x) => tf.depthwiseConv2d(x, f.get(), strides, pad, 'NHWC', dil);
  } else {
    const og = cout / group;
    // A loop, not an arrow over W: a closure naming W would keep the host weights alive in the
    // context every closure of this function shares (run, apply), a second copy of the model.
    const fs: Weight<tf.Tensor4D>[] = [];
    for (let g = 0; g < group; g++)
      fs.push(
        ctx.weight(1, [kh, kw, cpg, og], (v) =>
          tf.tensor4d(hwio(v, g * og, (g + 1) * og), [kh, kw, cpg, og]),
        ),
      );
    apply = (x) => {
      const parts = tf.split(x, group, 3);
      return tf.concat(
        parts.map((p, g) => tf.conv2d(p as tf.Tensor4D, fs[g].get(), strides, pad, 'NHWC', dil)),
        3,
      );
    };
  }
  const weights = kernel ? [kernel, ...(bias ? [ready(bias)] : [])] : undefined;
  const toImage = nhwcOf(ctx);
  return {
    layout: 'nhwc',
    weights,
    run: ([x]) => (bias ? apply(toImage(x!)).add(bias) : apply(toImage(x!))),
  };
};

const batchNorm: OpCompiler = (ctx) => {
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map(
    (i) => hostWeight(ctx, i, 'statistics').data as Float32Array,
  );
  const eps = ctx.attr('epsilon', 1e-5);
  const c = gamma.length;
  const scale = new Float32Array(c),
    shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + eps);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
  // Channel axis 1 is the last physical axis for nhwc and for [N, C]; for [N, C, L] it is not.
  const dims = meta.layout === 'plain' && meta.logical.length === 3 ? [c, 1] : [c];
  const sc = ctx.keep(tf.tensor(scale, dims)),
    sh = ctx.keep(tf.tensor(shift, dims));
  return {
    layout: meta.layout === 'flat' ? 'plain' : meta.layout,
    run: ([x]) => channelAffine(meta.layout === 'flat' ? materialize(x!, meta) : x!, sc, sh),
  };
};

function pool(kind: 'max' | 'avg'): OpCompiler {
  return (ctx) => {
    const [, , h, w] = imageInput(ctx);
    const toImage = nhwcOf(ctx);
    const k = ctx.attr<number[]>('kernel_shape', []);
    if (k.length !== 2) ctx.fail('only 2-D pooling is supported');
    const s = ctx.attr<number[]>('strides', [1, 1]);
    const d = ctx.attr<number[]>('dilations', [1, 1]);
    if (d.some((v) => v !== 1)) ctx.fail('dilated pooling is not supported');
    const p = padsOf(ctx, h, w, k, s, [1, 1]);
    // ceil_mode: windows may start in the bottom/right padding's last stride; extend the padding
    // there so a 'valid' pooling over the padded map gives ONNX's (= PyTorch's) output size.
    const extra = [h, w].map((n, i) => {
      if (!ctx.attr('ceil_mode', 0)) return 0;
      const span = n + p[i] + p[i + 2] - k[i];
      let out = Math.ceil(span / s[i]) + 1;
      if ((out - 1) * s[i] >= n + p[i]) out--; // the last window must start inside the image or left padding
      return Math.max(0, (out - 1) * s[i] + k[i] - (n + p[i] + p[i + 2]));
    });
    const full: [number, number][] = [
      [0, 0],
      [p[0], p[2] + extra[0]],
      [p[1], p[3] + extra[1]],
      [0, 0],
    ];
    const padded = full.some(([a, b]) => a + b > 0);
    const ks: [number, number] = [k[0], k[1]],
      st: [number, number] = [s[0], s[1]];
    if (kind === 'max') {
      const padding = padded ? (full as tf.backend_util.ExplicitPadding) : 'valid';
      return { layout: 'nhwc', run: ([x]) => tf.maxPool(toImage(x!), ks, st, padding) };
    }
    if (!padded) return { layout: 'nhwc', run: ([x]) => tf.avgPool(toImage(x!), ks, st, 'valid') };
    // Average over the cells a window counts: the explicit padding too when count_include_pad,
    // never the ceil_mode extension (as PyTorch does); divide by a count map computed once.
    const include = ctx.attr('count_include_pad', 0) === 1;
    const mask = tf.tidy(() => {
      const inner = tf.ones([1, include ? h + p[0] + p[2] : h, include ? w + p[1] + p[3] : w, 1]);
      const rest: [number, number][] = include
        ? [
            [0, 0],
            [0, extra[0]],
            [0, extra[1]],
            [0, 0],
          ]
        : full;
      return tf.avgPool(tf.pad(inner, rest) as tf.Tensor4D, ks, st, 'valid');
    });
    const count = ctx.keep(mask);
    return {
      layout: 'nhwc',
      run: ([x]) =>
        tf.avgPool(tf.pad(toImage(x!), full) as tf.Tensor4D, ks, st, 'valid').div(count),
    };
  };
}

const globalPool =
  (kind: 'max' | 'avg'): OpCompiler =>
  (ctx) => {
    imageInput(ctx);
    const toImage = nhwcOf(ctx);
    return {
      layout: 'nhwc',
      run: ([x]) =>
        kind === 'avg' ? toImage(x!).mean([1, 2], true) : toImage(x!).max([1, 2], true),
    };
  };

/** The [K, N] shape of a product's constant right operand in tfjs's order. */
function productShape(B: HostTensor, transB: boolean): [number, number] {
  const [r, c] = B.dims;
  return transB ? [c, r] : [r, c];
}

/** The layout of a product's input, for productWeight (read at compile: the context forgets it). */
const flatChw = (ctx: OpCtx): readonly [number, number, number] | null => {
  const a = ctx.meta(0);
  return a?.layout === 'flat' ? a.chw! : null;
};

/**
 * A product's constant right operand in tfjs's [K, N] order: transposed when the op says so,
 * scaled, and its rows reordered for a flat input whose producer is HWC-ordered (`chw`).
 */
function productWeight(
  chw: readonly [number, number, number] | null,
  B: HostTensor,
  transB: boolean,
  scale: number,
): tf.Tensor2D {
  const c = B.dims[1];
  const [k, n] = productShape(B, transB);
  // Already [K, N] in order (a MatMul's weight as the exporters write it): no copy of our own.
  if (!chw && !transB && scale === 1) return tf.tensor2d(B.data as Float32Array, [k, n]);
  // Row kk of the physical (HWC-ordered) input holds logical element (ch·H + y)·W + x.
  const logical = Int32Array.from({ length: k }, (_, kk) => {
    if (!chw) return kk;
    const [C, H, W] = chw;
    const ch = kk % C,
      x = Math.floor(kk / C) % W,
      y = Math.floor(kk / (C * W));
    return (ch * H + y) * W + x;
  });
  const src = B.data as Float32Array;
  const out = new Float32Array(k * n);
  const T = 64; // blocked, so both the strided reads and writes stay in cache
  for (let k0 = 0; k0 < k; k0 += T)
    for (let n0 = 0; n0 < n; n0 += T)
      for (let kk = k0; kk < Math.min(k, k0 + T); kk++) {
        const l = logical[kk];
        for (let nn = n0; nn < Math.min(n, n0 + T); nn++)
          out[kk * n + nn] = scale * (transB ? src[nn * c + l] : src[l * c + nn]);
      }
  return tf.tensor2d(out, [k, n]);
}

const gemm: OpCompiler = (ctx) => {
  const a = ctx.meta(0) ?? ctx.fail('expects a computed first input');
  const transA = ctx.attr('transA', 0) === 1,
    transB = ctx.attr('transB', 0) === 1;
  const alpha = ctx.attr('alpha', 1),
    beta = ctx.attr('beta', 1);
  const B = ctx.host(1);
  const C = ctx.host(2);
  const bias = C ? ctx.keep(tf.tidy(() => tf.mul(hostTensor(C), beta))) : null;
  if (B && !transA) {
    const chw = flatChw(ctx);
    const w = ctx.weight(1, productShape(B, transB), (v) => productWeight(chw, v, transB, alpha));
    return {
      layout: 'plain',
      weights: [w, ...(bias ? [ready(bias)] : [])],
      run: ([x]) =>
        bias
          ? tf.matMul(x as tf.Tensor2D, w.get()).add(bias)
          : tf.matMul(x as tf.Tensor2D, w.get()),
    };
  }
  const bConst = B ? ctx.keep(hostTensor(B)) : null;
  return {
    layout: 'plain',
    run: ([x, y]) => {
      const out = tf
        .matMul(materialize(x!, a) as tf.Tensor2D, (bConst ?? y!) as tf.Tensor2D, transA, transB)
        .mul(alpha);
      return bias ? out.add(bias) : out;
    },
  };
};

const matMul: OpCompiler = (ctx) => {
  const a = ctx.meta(0);
  const B = ctx.host(1);
  if (a && B && B.dims.length === 2) {
    const chw = flatChw(ctx);
    const w = ctx.weight(1, productShape(B, false), (v) => productWeight(chw, v, false, 1));
    if (a.logical.length === 2)
      return { layout: 'plain', weights: [w], run: ([x]) => tf.matMul(x as tf.Tensor2D, w.get()) };
    // [..., K] × [K, N] (a token projection): one product over all leading rows.
    const n = w.shape[1];
    return {
      layout: 'plain',
      weights: [w],
      run: ([x]) => {
        const l = materialize(x!, a);
        const k = l.shape[l.rank - 1];
        return tf.matMul(l.reshape([-1, k]), w.get()).reshape([...l.shape.slice(0, -1), n]);
      },
    };
  }
  const consts = [0, 1].map((i) => (ctx.host(i) ? ctx.keep(hostTensor(ctx.host(i)!)) : null));
  const metas = [0, 1].map((i) => ctx.meta(i));
  // Batched products broadcast their leading axes (tfjs's matMul does, as numpy.matmul).
  return {
    layout: 'plain',
    run: (xs) => {
      const [l, r] = [0, 1].map((i) => consts[i] ?? materialize(xs[i]!, metas[i]!));
      if (l.rank === 1 || r.rank === 1) {
        const out = tf.matMul(
          l.rank === 1 ? l.expandDims(0) : l,
          r.rank === 1 ? r.expandDims(1) : r,
        );
        return out.squeeze([l.rank === 1 ? out.rank - 2 : out.rank - 1]);
      }
      return tf.matMul(l, r);
    },
  };
};

export const NN_OPS: Record<string, OpCompiler> = {
  Conv: conv,
  BatchNormalization: batchNorm,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
  Gemm: gemm,
  MatMul: matMul,
};

export type { Compiled };
