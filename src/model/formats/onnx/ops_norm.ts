/**
 * Normalizations of the transformer era (Ba et al. 2016's layer norm, Zhang & Sennrich 2019's RMS
 * norm, Wu & He 2018's group norm, Ulyanov et al. 2016's instance norm), as ONNX defines them:
 * statistics over the trailing axes from `axis` (layer, RMS) or over each group's channels and
 * all positions (group, instance), then the learned scale and shift. On an nhwc tensor the
 * channel-wise ones run in NHWC with their parameters re-laid once at load.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from './decode.js';
import { hostTensor, hostToNhwc, materialize, NHWC_AXIS } from './layout.js';
import type { Compiled, OpCompiler, OpCtx } from './op_types.js';

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** A constant parameter broadcast against the normalized tensor (re-laid for nhwc). */
function param(ctx: OpCtx, i: number, nhwc: boolean): tf.Tensor | null {
  const h = ctx.host(i);
  if (!h) {
    if (ctx.node.inputs[i]) ctx.fail(`its input ${i + 1} must be a constant (initializer)`);
    return null;
  }
  if (nhwc && h.dims.length > 1) {
    const r = hostToNhwc(h);
    return ctx.keep(hostTensor({ ...h, data: r.data }, r.dims));
  }
  return ctx.keep(hostTensor(h));
}

/** (x − mean) / sqrt(var + eps) over `axes`, with the statistics returned for extra outputs. */
function standardize(
  x: tf.Tensor,
  axes: number[],
  eps: number,
): { y: tf.Tensor; mean: tf.Tensor; inv: tf.Tensor } {
  const mean = x.mean(axes, true);
  const d = x.sub(mean);
  const inv = tf.rsqrt(d.square().mean(axes, true).add(eps));
  return { y: d.mul(inv), mean, inv };
}

const affine = (y: tf.Tensor, scale: tf.Tensor | null, bias: tf.Tensor | null) => {
  const s = scale ? y.mul(scale) : y;
  return bias ? s.add(bias) : s;
};

const layerNorm: OpCompiler = (ctx) => {
  const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
  const rank = meta.logical.length;
  const axis = norm(ctx.attr('axis', -1), rank);
  const eps = ctx.attr('epsilon', 1e-5);
  // Over C, H and W of an nhwc map the statistics do not depend on the order: stay NHWC.
  const nhwc = meta.layout === 'nhwc' && axis === 1;
  const scale = param(ctx, 1, nhwc),
    bias = param(ctx, 2, nhwc);
  const axes = nhwc ? [1, 2, 3] : Array.from({ length: rank - axis }, (_, k) => axis + k);
  const extra = ctx.node.outputs.slice(1).some(Boolean);
  return {
    layout: nhwc ? 'nhwc' : 'plain',
    run: ([x]) => {
      const { y, mean, inv } = standardize(nhwc ? x! : materialize(x!, meta), axes, eps);
      const out = affine(y, scale, bias);
      return extra ? [out, mean, inv] : out;
    },
  };
};

const rmsNorm: OpCompiler = (ctx) => {
  const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
  const rank = meta.logical.length;
  const axis = norm(ctx.attr('axis', -1), rank);
  const eps = ctx.attr('epsilon', 1e-5);
  const nhwc = meta.layout === 'nhwc' && axis === 1;
  const scale = param(ctx, 1, nhwc);
  const axes = nhwc ? [1, 2, 3] : Array.from({ length: rank - axis }, (_, k) => axis + k);
  return {
    layout: nhwc ? 'nhwc' : 'plain',
    run: ([x]) => {
      const v = nhwc ? x! : materialize(x!, meta);
      return affine(v.mul(tf.rsqrt(v.square().mean(axes, true).add(eps))), scale, null);
    },
  };
};

/** Per-channel parameters as [C] (group norm's opset-18 form gives one value per group: repeated). */
function perChannel(
  h: HostTensor | undefined,
  channels: number,
  groups: number,
): Float32Array | null {
  if (!h) return null;
  const v = h.data as Float32Array;
  if (v.length === channels) return Float32Array.from(v);
  return Float32Array.from({ length: channels }, (_, c) => v[Math.floor(c / (channels / groups))]);
}

/** Statistics per image and group of channels over every position; instance norm is G = C. */
function groupNormOf(ctx: OpCtx, groups: number, scaleAt: number, biasAt: number): Compiled {
  const meta = ctx.meta(0) ?? ctx.fail('expects a computed input');
  const logical = meta.logical;
  if (logical.length < 3) ctx.fail(`expects [N, C, …] with positions; got rank ${logical.length}`);
  const c = logical[1];
  if (c % groups !== 0) ctx.fail(`${c} channels do not split into ${groups} groups`);
  const eps = ctx.attr('epsilon', 1e-5);
  const gamma = perChannel(ctx.host(scaleAt), c, groups),
    beta = perChannel(ctx.host(biasAt), c, groups);
  if ((ctx.node.inputs[scaleAt] && !gamma) || (ctx.node.inputs[biasAt] && !beta))
    ctx.fail('its scale and bias must be constants');
  const nhwc = meta.layout === 'nhwc';
  // Channels last (nhwc) or in logical order [N, C, …]: parameters shaped to broadcast either way.
  const shape = nhwc ? [c] : [c, ...logical.slice(2).map(() => 1)];
  const scale = gamma ? ctx.keep(tf.tensor(gamma, shape)) : null;
  const bias = beta ? ctx.keep(tf.tensor(beta, shape)) : null;
  return {
    layout: nhwc ? 'nhwc' : 'plain',
    run: ([x]) => {
      const v = nhwc ? x! : materialize(x!, meta);
      const s = v.shape;
      // nhwc: [N, H, W, G, C/G], statistics over H, W and C/G; logical: [N, G, C/G·positions].
      const grouped = nhwc
        ? v.reshape([s[0]!, s[1]!, s[2]!, groups, c / groups])
        : v.reshape([s[0]!, groups, -1]);
      const { y } = standardize(grouped, nhwc ? [1, 2, 4] : [2], eps);
      return affine(y.reshape(s), scale, bias);
    },
  };
}

const groupNorm: OpCompiler = (ctx) => groupNormOf(ctx, ctx.attr('num_groups', 1), 1, 2);
const instanceNorm: OpCompiler = (ctx) =>
  groupNormOf(ctx, (ctx.meta(0) ?? ctx.fail('expects a computed input')).logical[1], 1, 2);

export const NORM_OPS: Record<string, OpCompiler> = {
  LayerNormalization: layerNorm,
  RMSNormalization: rmsNorm,
  GroupNormalization: groupNorm,
  InstanceNormalization: instanceNorm,
};

export { NHWC_AXIS };
