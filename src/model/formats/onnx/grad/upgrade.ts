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

export const UPGRADED_OPSET = 17;

/** The opset the gradient graph of a model of opset `opset` uses. */
export const gradientOpset = (opset: number) => (opset < 16 ? UPGRADED_OPSET : opset);

type Shapes = Map<string, readonly number[]>;

const i64 = (g: WorkGraph, values: readonly number[]) => g.constant(BigInt64Array.from(values, (v) => BigInt(v)), [values.length], 'int64');
const f32 = (g: WorkGraph, value: number) => g.constant(Float32Array.of(value), [], 'float32');

/** The decoded attributes as specs (ints stay ints; float attributes of these ops are none). */
function specAttrs(node: OnnxNode, drop: readonly string[]): Record<string, EncAttr> {
  const out: Record<string, EncAttr> = {};
  for (const [k, v] of node.attrs) if (!drop.includes(k)) out[k] = v as EncAttr;
  return out;
}

/** Adds `node` (proto `raw`, decoded `node`) to g, rewritten for opset 17 where its signature changed. */
export function addModelNode(g: WorkGraph, raw: Record<string, unknown>, node: OnnxNode, opset: number, shapes: Shapes, inputs: string[]): void {
  const same = (): GNode => g.add({ op: node.op, inputs, outputs: [...node.outputs], raw, decoded: node, name: node.name });
  if (opset >= 16) {
    same();
    return;
  }
  const spec = (op: string, ins: string[], attrs: Record<string, EncAttr>, outputs = [...node.outputs]) =>
    g.add({ op, inputs: ins, outputs, attrs, name: node.name, decoded: { ...node, op, inputs: ins, outputs, attrs: new Map(Object.entries(attrs)) as OnnxNode['attrs'] } });
  const axes = node.attrs.get('axes') as number[] | undefined;
  switch (node.op) {
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
      if (opset < 13 && axes) return void spec(node.op, [inputs[0], i64(g, axes)], specAttrs(node, ['axes']));
      break;
    case 'Split': {
      const split = node.attrs.get('split') as number[] | undefined;
      if (opset < 13 && split) return void spec('Split', [inputs[0], i64(g, split)], specAttrs(node, ['split']));
      break;
    }
    case 'Softmax':
    case 'LogSoftmax': {
      if (opset >= 13) break;
      const shape = shapes.get(inputs[0]);
      if (!shape) break;
      const rank = shape.length;
      const axis = ((node.attrs.get('axis') as number | undefined) ?? 1) < 0 ? ((node.attrs.get('axis') as number) + rank) : ((node.attrs.get('axis') as number | undefined) ?? 1);
      if (axis === rank - 1) return void spec(node.op, inputs, { axis: -1 });
      // Before 13: softmax of the input flattened to [∏ dims < axis, ∏ dims ≥ axis].
      const flat = g.fresh('flat');
      g.add({ op: 'Flatten', inputs: [inputs[0]], outputs: [flat], attrs: { axis }, name: flat });
      shapes.set(flat, [shape.slice(0, axis).reduce((a, b) => a * b, 1), shape.slice(axis).reduce((a, b) => a * b, 1)]);
      const soft = g.fresh('soft');
      spec(node.op, [flat], { axis: -1 }, [soft]);
      shapes.set(soft, shapes.get(flat)!);
      const shapeOf = g.op('Shape', [inputs[0]]);
      return void g.add({ op: 'Reshape', inputs: [soft, shapeOf], outputs: [node.outputs[0]], attrs: {}, name: node.outputs[0] });
    }
    case 'Clip':
      if (opset < 11) {
        const lo = node.attrs.get('min') as number | undefined, hi = node.attrs.get('max') as number | undefined;
        return void spec('Clip', [inputs[0], lo == null ? '' : f32(g, lo), hi == null ? '' : f32(g, hi)], {});
      }
      break;
    case 'Pad':
      if (opset < 11) {
        const value = (node.attrs.get('value') as number | undefined) ?? 0;
        const mode = (node.attrs.get('mode') as string | undefined) ?? 'constant';
        return void spec('Pad', [inputs[0], i64(g, node.attrs.get('pads') as number[]), f32(g, value)], { mode });
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
  }
  same();
}
