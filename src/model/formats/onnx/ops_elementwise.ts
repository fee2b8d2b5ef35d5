/**
 * Activations and broadcasting arithmetic. Unary ops keep their input's layout. A binary op with an
 * nhwc operand runs in NHWC: constants are re-laid once at load ([C, 1, 1] → [1, 1, 1, C]),
 * plain runtime operands are aligned per call; otherwise every operand is taken in logical order.
 */
import * as tf from '@tensorflow/tfjs';
import { hostTensor, hostToNhwc, materialize, toNhwc, type RtMeta } from './layout.js';
import type { Compiled, OpCompiler, OpCtx } from './op_types.js';

function unary(fn: (x: tf.Tensor, ctx: OpCtx) => tf.Tensor, activation?: string): OpCompiler {
  return (ctx) => {
    const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
    return {
      layout: meta.layout,
      chw: meta.chw as Compiled['chw'],
      activation,
      run: ([x]) => fn(x!, ctx),
    };
  };
}

const hardSigmoid = (x: tf.Tensor, alpha: number, beta: number) =>
  tf.clipByValue(x.mul(alpha).add(beta), 0, 1);

function clip(ctx: OpCtx): Compiled {
  const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
  // Opset < 11: min/max attributes; from 11 optional inputs (absent = unbounded).
  const lo = ctx.opset < 11 ? ctx.attr('min', -3.4e38) : (ctx.host(1)?.data[0] ?? -3.4e38);
  const hi = ctx.opset < 11 ? ctx.attr('max', 3.4e38) : (ctx.host(2)?.data[0] ?? 3.4e38);
  if ((ctx.node.inputs[1] && !ctx.host(1)) || (ctx.node.inputs[2] && !ctx.host(2)))
    ctx.fail('computed clip bounds are not supported');
  const activation = lo === 0 && hi === 6 ? 'relu6' : undefined;
  // ReLU6 runs tfjs's Relu6 kernel (not ClipByValue), so the guided/deconvnet rules (engine/rules.ts) reach it.
  return {
    layout: meta.layout,
    chw: meta.chw as Compiled['chw'],
    activation,
    run: ([x]) => (activation ? tf.relu6(x!) : tf.clipByValue(x!, lo, hi)),
  };
}

/** An op over all its inputs at once, broadcast as below (Where). */
function binary(fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpCompiler {
  return nary((xs) => xs.reduce((a, b) => fn(a, b)));
}

/**
 * Broadcasting ops. With an nhwc operand the op runs in NHWC: constants are re-laid once at load
 * ([C, 1, 1] → [1, 1, 1, C]), plain runtime operands aligned per call; otherwise every operand is
 * taken in logical order.
 */
function nary(fn: (xs: tf.Tensor[], ctx: OpCtx) => tf.Tensor): OpCompiler {
  return (ctx) => {
    const n = ctx.node.inputs.length;
    const metas = Array.from({ length: n }, (_, i) => ctx.meta(i));
    const ranks = Array.from({ length: n }, (_, i) => ctx.shape(i).length);
    const nhwc = metas.some((m) => m?.layout === 'nhwc') && ranks.every((r) => r <= 4);
    const flatOnly = !nhwc && metas.every((m) => !m || m.layout === 'flat') && metas.some((m) => m);
    const consts = Array.from({ length: n }, (_, i) => {
      const h = ctx.host(i);
      if (!h) return null;
      if (nhwc && h.dims.length > 1) {
        const r = hostToNhwc(h);
        return ctx.keep(hostTensor({ ...h, data: r.data }, r.dims));
      }
      return ctx.keep(hostTensor(h));
    });
    // Flat operands that meet only scalars and other flat operands stay flat (same element order).
    const scalarsOnly = flatOnly && consts.every((c) => !c || c.size === 1);
    const prep = (x: tf.Tensor, m: RtMeta): tf.Tensor => {
      if (scalarsOnly) return x;
      if (nhwc) return m.layout === 'nhwc' ? x : toNhwc(materialize(x, m));
      return materialize(x, m);
    };
    const first = metas.find((m) => m);
    return {
      layout: nhwc ? 'nhwc' : scalarsOnly ? 'flat' : 'plain',
      chw: scalarsOnly ? (first?.chw as Compiled['chw']) : undefined,
      run: (xs) =>
        fn(
          xs.map((x, i) => consts[i] ?? prep(x!, metas[i]!)),
          ctx,
        ),
    };
  };
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Gelu (opset 20): 'none' is x·Φ(x) with the exact erf; 'tanh' is the tanh approximation. */
function gelu(x: tf.Tensor, approximate: string): tf.Tensor {
  if (approximate === 'tanh')
    return x.mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI)).add(1)).mul(0.5);
  return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

/** C's fmod: the remainder with the sign of the dividend. */
function fmod(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const q = tf.div(a, b);
  return tf.sub(a, tf.mul(tf.sign(q).mul(tf.floor(tf.abs(q))), b));
}

const asBool = (t: tf.Tensor) => (t.dtype === 'bool' ? t : t.notEqual(0));

export const ELEMENTWISE_OPS: Record<string, OpCompiler> = {
  Relu: unary((x) => tf.relu(x), 'relu'),
  LeakyRelu: unary((x, c) => tf.leakyRelu(x, c.attr('alpha', 0.01)), 'leakyrelu'),
  Sigmoid: unary((x) => tf.sigmoid(x), 'sigmoid'),
  Tanh: unary((x) => tf.tanh(x), 'tanh'),
  Elu: unary((x, c) =>
    c.attr('alpha', 1) === 1
      ? tf.elu(x)
      : tf.where(x.greater(0), x, tf.exp(x).sub(1).mul(c.attr('alpha', 1))),
  ),
  Selu: unary((x) => tf.selu(x)),
  Softplus: unary((x) => tf.softplus(x)),
  HardSigmoid: unary((x, c) => hardSigmoid(x, c.attr('alpha', 0.2), c.attr('beta', 0.5))),
  HardSwish: unary((x) => x.mul(hardSigmoid(x, 1 / 6, 0.5))),
  Erf: unary((x) => tf.erf(x)),
  Exp: unary((x) => tf.exp(x)),
  Log: unary((x) => tf.log(x)),
  Sqrt: unary((x) => tf.sqrt(x)),
  Neg: unary((x) => tf.neg(x)),
  Abs: unary((x) => tf.abs(x)),
  Reciprocal: unary((x) => tf.reciprocal(x)),
  Identity: unary((x) => x),
  Dropout: unary((x) => x),
  Clip: clip,
  Add: binary((a, b) => tf.add(a, b)),
  Sub: binary((a, b) => tf.sub(a, b)),
  Mul: binary((a, b) => tf.mul(a, b)),
  Div: binary((a, b) => tf.div(a, b)),
  Pow: binary((a, b) => tf.pow(a, b)),
  Max: binary((a, b) => tf.maximum(a, b)),
  Min: binary((a, b) => tf.minimum(a, b)),
  Sum: binary((a, b) => tf.add(a, b)),
  PRelu: binary((a, b) => tf.prelu(a, b)),
  Gelu: unary((x, c) => gelu(x, c.attr('approximate', 'none'))),
  Sign: unary((x) => tf.sign(x)),
  Floor: unary((x) => tf.floor(x)),
  Ceil: unary((x) => tf.ceil(x)),
  Round: unary((x) => tf.round(x)),
  Sin: unary((x) => tf.sin(x)),
  Cos: unary((x) => tf.cos(x)),
  Not: unary((x) => tf.logicalNot(asBool(x))),
  IsNaN: unary((x) => tf.isNaN(x)),
  IsInf: unary((x, c) => {
    const pos = c.attr('detect_positive', 1) === 1,
      neg = c.attr('detect_negative', 1) === 1;
    if (pos && neg) return tf.isInf(x);
    if (!pos && !neg) return tf.zerosLike(x).cast('bool');
    return tf.logicalAnd(tf.isInf(x), pos ? x.greater(0) : x.less(0));
  }),
  Equal: binary((a, b) => tf.equal(a, b)),
  Less: binary((a, b) => tf.less(a, b)),
  Greater: binary((a, b) => tf.greater(a, b)),
  LessOrEqual: binary((a, b) => tf.lessEqual(a, b)),
  GreaterOrEqual: binary((a, b) => tf.greaterEqual(a, b)),
  And: binary((a, b) => tf.logicalAnd(asBool(a), asBool(b))),
  Or: binary((a, b) => tf.logicalOr(asBool(a), asBool(b))),
  Xor: binary((a, b) => tf.logicalXor(asBool(a), asBool(b))),
  Mod: nary(([a, b], c) => (c.attr('fmod', 0) ? fmod(a, b) : tf.mod(a, b))),
  Where: nary(([cond, a, b]) => tf.where(asBool(cond), a, b)),
  Cast: unary((x, c) => {
    const to = c.attr('to', 1);
    return to === 9
      ? asBool(x)
      : [1, 10, 11, 16].includes(to)
        ? x.cast('float32')
        : x.cast('int32');
  }),
};
