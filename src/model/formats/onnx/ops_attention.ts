/**
 * Attention (opset 23), scaled dot-product attention as one op (Vaswani et al. 2017): Q·Kᵀ·scale,
 * soft-capped (before the masks, as onnxruntime orders it), plus the mask (boolean: attend where
 * true; float: added) and the causal mask (upper-left aligned), softmax, times V. 3-D inputs [B, L, heads·H] take their head counts from
 * the attributes; fewer key/value heads than query heads are shared (grouped-query attention);
 * past keys and values are prepended. Besides ONNX's outputs the op gives its attention
 * probabilities [B, heads, L, S] as one more output, the tensor attention maps read.
 */
import * as tf from '@tensorflow/tfjs';
import { broadcastTo, hostTensor, materialize, type RtMeta } from './layout.js';
import type { OpCompiler, OpCtx } from './op_types.js';

/** The name compile gives an Attention node's probabilities (an output the graph does not list). */
export const PROBS = '/probs';

function heads(t: tf.Tensor, n: number): tf.Tensor {
  if (t.rank === 4) return t;
  const [b, l, hidden] = t.shape;
  return tf.transpose(t.reshape([b, l, n, hidden / n]), [0, 2, 1, 3]);
}

/** Key/value heads shared by groups of query heads: [B, kv, S, H] → [B, q, S, H]. */
function shared(t: tf.Tensor, q: number): tf.Tensor {
  const [b, kv, s, h] = t.shape;
  if (kv === q) return t;
  return broadcastTo(t.reshape([b, kv, 1, s, h]), [b, kv, q / kv, s, h]).reshape([b, q, s, h]);
}

const attention: OpCompiler = (ctx: OpCtx) => {
  const n = ctx.node.inputs.length;
  const metas: Array<RtMeta | undefined> = Array.from({ length: n }, (_, i) => ctx.meta(i));
  const consts = Array.from({ length: n }, (_, i) =>
    ctx.host(i) ? ctx.keep(hostTensor(ctx.host(i)!)) : null,
  );
  const rank = ctx.shape(0).length;
  const qHeads = rank === 4 ? ctx.shape(0)[1] : ctx.attr('q_num_heads', 0);
  const kvHeads = ctx.shape(1).length === 4 ? ctx.shape(1)[1] : ctx.attr('kv_num_heads', 0);
  if (!qHeads || !kvHeads) ctx.fail('3-D inputs need the q_num_heads and kv_num_heads attributes');
  if (qHeads % kvHeads !== 0)
    ctx.fail(`${qHeads} query heads do not share ${kvHeads} key/value heads evenly`);
  const headSize = rank === 4 ? ctx.shape(0)[3] : ctx.shape(0)[2] / qHeads;
  const scale = ctx.attr('scale', 0) || 1 / Math.sqrt(headSize);
  const softcap = ctx.attr('softcap', 0);
  const causal = ctx.attr('is_causal', 0) === 1;
  const mode = ctx.attr('qk_matmul_output_mode', 0);
  return {
    layout: 'plain',
    run: (xs) => {
      const at = (i: number) =>
        i < n && ctx.node.inputs[i] ? (consts[i] ?? materialize(xs[i]!, metas[i]!)) : null;
      const q = heads(at(0)!, qHeads);
      let k = heads(at(1)!, kvHeads),
        v = heads(at(2)!, kvHeads);
      const pastK = at(4),
        pastV = at(5);
      if (pastK) k = tf.concat([pastK, k], 2);
      if (pastV) v = tf.concat([pastV, v], 2);
      const presentK = k,
        presentV = v;
      const qk = tf.matMul(q, shared(k, qHeads), false, true).mul(scale);
      // Soft-capped before the mask, as onnxruntime does (the mask's −∞ stays −∞).
      let logits = softcap > 0 ? tf.tanh(qk.div(softcap)).mul(softcap) : qk;
      const capped = logits;
      const mask = at(3);
      if (mask)
        logits =
          mask.dtype === 'bool'
            ? tf.where(mask, logits, tf.fill(logits.shape, -Infinity))
            : logits.add(mask);
      if (causal) {
        const [l, s] = logits.shape.slice(-2);
        const keep = tf
          .tensor2d(
            Float32Array.from({ length: l * s }, (_, i) => (i % s <= Math.floor(i / s) ? 1 : 0)),
            [l, s],
          )
          .cast('bool');
        logits = tf.where(keep, logits, tf.fill(logits.shape, -Infinity));
      }
      const probs = tf.softmax(logits);
      const y = tf.matMul(probs, shared(v, qHeads));
      const out =
        rank === 4 ? y : tf.transpose(y, [0, 2, 1, 3]).reshape([y.shape[0]!, y.shape[2]!, -1]);
      const qkOut = [qk, logits, capped, probs][mode] ?? qk;
      return [out, presentK, presentV, qkOut, probs];
    },
  };
};

export const ATTENTION_OPS: Record<string, OpCompiler> = { Attention: attention };
