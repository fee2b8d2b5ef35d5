/**
 * The model's nodes into the gradient graph, upgraded to opset 17 when the model's opset is below
 * 16: the VJP rules need ops of the newer opsets (ScatterElements with reduction 'add' for max
 * pooling's overlapping windows, ReduceSum with axes as an input), and one graph has one opset.
 * Only the ops whose signature changed between opsets 11 and 17 are rewritten: Squeeze, Unsqueeze,
 * ReduceSum and Split take axes/split as inputs from 13; Softmax and LogSoftmax before 13 flatten
 * to 2-D at their axis; Clip (< 11), Pad (< 11) and Slice (< 10) had attributes; Dropout is the
 * identity at inference.
 */
import type { EncAttr } from '../encode.js';
import type { OnnxNode } from '../decode.js';
import type { GNode, WorkGraph } from './graph.js';
import { NoVjp } from './vjp_types.js';

export const UPGRADED_OPSET = 17;

/** The opset the gradient graph of a model of opset `opset` uses. */
export const gradientOpset = (opset: number) => (opset < 16 ? UPGRADED_OPSET : opset);

type Shapes = Map<string, readonly number[]>;

const i64 = (g: WorkGraph, values: readonly number[]) =>
  g.constant(
    BigInt64Array.from(values, (v) => BigInt(v)),
    [values.length],
    'int64',
  );
const f32 = (g: WorkGraph, value: number) => g.constant(Float32Array.of(value), [], 'float32');

/** The decoded attributes as specs (ints stay ints; float attributes of these ops are none). */
function specAttrs(node: OnnxNode, drop: readonly string[]): Record<string, EncAttr> {
  const out: Record<string, EncAttr> = {};
  for (const [k, v] of node.attrs) if (!drop.includes(k)) out[k] = v as EncAttr;
  return out;
}

/** Adds `node` (proto `raw`, decoded `node`) to g, rewritten for opset 17 where its signature changed. */
export function addModelNode(
  g: WorkGraph,
  raw: Record<string, unknown>,
  node: OnnxNode,
  opset: number,
  shapes: Shapes,
  inputs: string[],
): void {
  const same = (): GNode =>
    g.add({ op: node.op, inputs, outputs: [...node.outputs], raw, decoded: node, name: node.name });
  if (node.op === 'Attention')
    return decomposeAttention(g, node, inputs, shapes, (why) => {
      throw new NoVjp('Attention', node.name, why);
    });
  if (opset >= 16) {
    same();
    return;
  }
  const spec = (
    op: string,
    ins: string[],
    attrs: Record<string, EncAttr>,
    outputs = [...node.outputs],
  ) =>
    g.add({
      op,
      inputs: ins,
      outputs,
      attrs,
      name: node.name,
      decoded: {
        ...node,
        op,
        inputs: ins,
        outputs,
        attrs: new Map(Object.entries(attrs)) as OnnxNode['attrs'],
      },
    });
  const axes = node.attrs.get('axes') as number[] | undefined;
  switch (node.op) {
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
      if (opset < 13 && axes)
        return void spec(node.op, [inputs[0], i64(g, axes)], specAttrs(node, ['axes']));
      break;
    case 'Split': {
      const split = node.attrs.get('split') as number[] | undefined;
      if (opset < 13 && split)
        return void spec('Split', [inputs[0], i64(g, split)], specAttrs(node, ['split']));
      break;
    }
    case 'Softmax':
    case 'LogSoftmax': {
      if (opset >= 13) break;
      const shape = shapes.get(inputs[0]);
      if (!shape) break;
      const rank = shape.length;
      const axis =
        ((node.attrs.get('axis') as number | undefined) ?? 1) < 0
          ? (node.attrs.get('axis') as number) + rank
          : ((node.attrs.get('axis') as number | undefined) ?? 1);
      if (axis === rank - 1) return void spec(node.op, inputs, { axis: -1 });
      // Before 13: softmax of the input flattened to [∏ dims < axis, ∏ dims ≥ axis].
      const flat = g.fresh('flat');
      g.add({ op: 'Flatten', inputs: [inputs[0]], outputs: [flat], attrs: { axis }, name: flat });
      shapes.set(flat, [
        shape.slice(0, axis).reduce((a, b) => a * b, 1),
        shape.slice(axis).reduce((a, b) => a * b, 1),
      ]);
      const soft = g.fresh('soft');
      spec(node.op, [flat], { axis: -1 }, [soft]);
      shapes.set(soft, shapes.get(flat)!);
      const shapeOf = g.op('Shape', [inputs[0]]);
      return void g.add({
        op: 'Reshape',
        inputs: [soft, shapeOf],
        outputs: [node.outputs[0]],
        attrs: {},
        name: node.outputs[0],
      });
    }
    case 'Clip':
      if (opset < 11) {
        const lo = node.attrs.get('min') as number | undefined,
          hi = node.attrs.get('max') as number | undefined;
        return void spec(
          'Clip',
          [inputs[0], lo == null ? '' : f32(g, lo), hi == null ? '' : f32(g, hi)],
          {},
        );
      }
      break;
    case 'Pad':
      if (opset < 11) {
        const value = (node.attrs.get('value') as number | undefined) ?? 0;
        const mode = (node.attrs.get('mode') as string | undefined) ?? 'constant';
        return void spec(
          'Pad',
          [inputs[0], i64(g, node.attrs.get('pads') as number[]), f32(g, value)],
          { mode },
        );
      }
      break;
    case 'Slice':
      if (opset < 10) {
        const starts = node.attrs.get('starts') as number[];
        const ends = node.attrs.get('ends') as number[];
        const ax = axes ?? starts.map((_, i) => i);
        return void spec('Slice', [inputs[0], i64(g, starts), i64(g, ends), i64(g, ax)], {});
      }
      break;
    case 'Dropout':
      return void spec('Identity', [inputs[0]], {}, [node.outputs[0]]);
    case 'Upsample': {
      // Gone after opset 9: Resize with the same scales (nearest: floor rounding, asymmetric, as Upsample).
      const mode = (node.attrs.get('mode') as string | undefined) ?? 'nearest';
      const scales = node.attrs.get('scales') as number[] | undefined;
      const sc = scales
        ? g.constant(Float32Array.from(scales), [scales.length], 'float32')
        : inputs[1];
      const attrs: Record<string, EncAttr> =
        mode === 'nearest'
          ? { mode, coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
          : { mode: 'linear', coordinate_transformation_mode: 'asymmetric' };
      return void spec('Resize', [inputs[0], '', sc], attrs);
    }
  }
  same();
}

/**
 * Opset 23's Attention written out in the ops it is made of (as ops_attention.ts computes it), so
 * that the VJP rules of MatMul, Softmax, Tanh, Where, Tile and the moves give its gradient: heads
 * split from 3-D inputs, past keys and values prepended, shared key/value heads tiled (grouped-query
 * attention), Q·Kᵀ·scale, soft cap, boolean or additive mask, causal mask, softmax, times V. Only
 * the output Y may be read downstream (present keys/values and the QK output are not written).
 */
export function decomposeAttention(
  g: WorkGraph,
  node: OnnxNode,
  inputs: string[],
  shapes: Shapes,
  fail: (why: string) => never,
): void {
  if (node.outputs.slice(1).some((o) => o)) fail('only its first output can be differentiated');
  const attr = <T>(name: string, fallback: T) =>
    (node.attrs.get(name) as T | undefined) ?? fallback;
  const shapeOf = (t: string, what: string) =>
    shapes.get(t) ?? fail(`no static shape for its ${what}`);
  const qShape = shapeOf(inputs[0], 'query'),
    kShape = shapeOf(inputs[1], 'key');
  const rank = qShape.length;
  const qHeads = rank === 4 ? qShape[1] : attr<number>('q_num_heads', 0);
  const kvHeads = kShape.length === 4 ? kShape[1] : attr<number>('kv_num_heads', 0);
  if (!qHeads || !kvHeads || qHeads % kvHeads) fail('head counts are missing or uneven');
  const headSize = rank === 4 ? qShape[3] : qShape[2] / qHeads;
  const scale = attr<number>('scale', 0) || 1 / Math.sqrt(headSize);
  const softcap = attr<number>('softcap', 0);
  const b = qShape[0],
    l = rank === 4 ? qShape[2] : qShape[1];
  const past = inputs[4] ? shapeOf(inputs[4], 'past keys')[2] : 0;
  const s = (kShape.length === 4 ? kShape[2] : kShape[1]) + past;
  // New tensors get their static shapes (the VJP rules read them).
  const op = (
    type: string,
    ins: string[],
    shape: readonly number[],
    attrs?: Record<string, never | number | number[]>,
  ) => {
    const t = g.op(type, ins, attrs as never);
    shapes.set(t, shape);
    return t;
  };
  const f = (v: number) => g.constant(Float32Array.of(v), [], 'float32');
  const i64 = (v: readonly number[]) =>
    g.constant(
      BigInt64Array.from(v, (x) => BigInt(x)),
      [v.length],
      'int64',
    );
  const heads = (t: string, n: number, len: number) => {
    if (shapeOf(t, 'inputs').length === 4) return t;
    const split = op('Reshape', [t, i64([0, 0, n, -1])], [b, len, n, headSize]);
    return op('Transpose', [split], [b, n, len, headSize], { perm: [0, 2, 1, 3] } as never);
  };
  const q = heads(inputs[0], qHeads, l);
  let k = heads(inputs[1], kvHeads, s - past),
    v = heads(inputs[2], kvHeads, s - past);
  if (inputs[4]) k = op('Concat', [inputs[4], k], [b, kvHeads, s, headSize], { axis: 2 } as never);
  if (inputs[5]) v = op('Concat', [inputs[5], v], [b, kvHeads, s, headSize], { axis: 2 } as never);
  const share = (t: string) => {
    if (kvHeads === qHeads) return t;
    const r = qHeads / kvHeads;
    const u = op('Unsqueeze', [t, i64([2])], [b, kvHeads, 1, s, headSize]);
    const tiled = op('Tile', [u, i64([1, 1, r, 1, 1])], [b, kvHeads, r, s, headSize]);
    return op('Reshape', [tiled, i64([0, qHeads, -1, headSize])], [b, qHeads, s, headSize]);
  };
  const scores = [b, qHeads, l, s];
  const kt = op('Transpose', [share(k)], [b, qHeads, headSize, s], { perm: [0, 1, 3, 2] } as never);
  const qk = op('Mul', [op('MatMul', [q, kt], scores), f(scale)], scores);
  let logits =
    softcap > 0
      ? op('Mul', [op('Tanh', [op('Div', [qk, f(softcap)], scores)], scores), f(softcap)], scores)
      : qk;
  const mask = inputs[3];
  if (mask)
    logits =
      g.dtype.get(mask) === 'bool'
        ? op('Where', [mask, logits, f(-Infinity)], scores)
        : op('Add', [logits, mask], scores);
  if (attr<number>('is_causal', 0) === 1) {
    const keep = g.constant(
      Uint8Array.from({ length: l * s }, (_, i) => (i % s <= Math.floor(i / s) ? 1 : 0)) as never,
      [l, s],
      'bool',
    );
    shapes.set(keep, [l, s]);
    logits = op('Where', [keep, logits, f(-Infinity)], scores);
  }
  const y = op(
    'MatMul',
    [op('Softmax', [logits], scores, { axis: -1 } as never), share(v)],
    [b, qHeads, l, headSize],
  );
  const out = node.outputs[0];
  if (rank === 4) g.add({ op: 'Identity', inputs: [y], outputs: [out], attrs: {}, name: out });
  else {
    const back = op('Transpose', [y], [b, l, qHeads, headSize], { perm: [0, 2, 1, 3] } as never);
    g.add({ op: 'Reshape', inputs: [back, i64([0, 0, -1])], outputs: [out], attrs: {}, name: out });
  }
}
