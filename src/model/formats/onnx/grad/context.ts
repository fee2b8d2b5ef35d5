/**
 * What one VJP rule sees (vjp_types.ts's Vjp) for one node of the working graph: its gradients,
 * which inputs need one (differentiable tensors only), static shapes and batch axes, constants
 * known at build time, and the node-emitting calls onto the graph.
 */
import type { BackwardRules } from '../../../../engine/rules.js';
import type { HostTensor, OnnxNode } from '../decode.js';
import type { GradSource } from './build.js';
import type { GNode, WorkGraph } from './graph.js';
import { NoVjp, type Vjp } from './vjp_types.js';

export const num = (v: unknown): number =>
  v == null
    ? 0
    : typeof v === 'number'
      ? v
      : Number((v as { toNumber?: () => number }).toNumber?.() ?? v);

/** A float32 initializer's values (raw_data or float_data), or undefined. */
export function floatsOf(proto: Record<string, unknown>): HostTensor | undefined {
  if (num(proto.data_type) !== 1 || num(proto.data_location) === 1) return undefined;
  const dims = ((proto.dims as unknown[]) ?? []).map(num);
  const raw = proto.raw_data as Uint8Array | undefined;
  if (raw && raw.byteLength) {
    const bytes =
      raw.byteOffset % 4 === 0 ? raw : (Uint8Array.prototype.slice.call(raw) as Uint8Array);
    return {
      dims,
      dtype: 'float32',
      data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
    };
  }
  const f = proto.float_data as number[] | undefined;
  return f?.length ? { dims, dtype: 'float32', data: Float32Array.from(f) } : undefined;
}

/** Ops whose outputs carry no gradient, whatever reads them (shapes, indices, comparisons). */
const NO_GRADIENT = new Set([
  'Shape',
  'Size',
  'NonZero',
  'ArgMax',
  'ArgMin',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
]);

/**
 * Whether a tensor depends differentiably on the image (or an offset): a float made from one by
 * ops that carry gradients. A shape read off an activation (Shape → Gather → Cast → Sqrt, a head
 * size) depends on the image only through its size: its gradient is zero and none is built.
 */
export function differentiable(g: WorkGraph, memo: Map<string, boolean>, t: string): boolean {
  const known = memo.get(t);
  if (known != null) return known;
  memo.set(t, false); // a cycle cannot occur in a DAG; this only guards the recursion
  let d: boolean;
  if (g.kind.get(t) !== 'fwd' || g.dtype.get(t) !== 'float32') d = false;
  else {
    const p = g.producer.get(t);
    d = !p ? true : !NO_GRADIENT.has(p.op) && p.inputs.some((i) => i && differentiable(g, memo, i));
  }
  memo.set(t, d);
  return d;
}

export function vjpContext(
  g: WorkGraph,
  node: GNode,
  view: OnnxNode,
  dys: (string | null)[],
  rules: BackwardRules,
  shapes: Map<string, readonly number[]>,
  src: GradSource,
  memo: Map<string, boolean>,
): Vjp {
  const fail = (why: string): never => {
    throw new NoVjp(node.op, node.name, why);
  };
  const shape = (name: string) => shapes.get(name) ?? fail(`no static shape for '${name}'`);
  // Tensors the importer probed carry their batch axes; ones the builder made (a decomposed op's)
  // are batch-first when they come from the image.
  const batched = (name: string, axis: number) =>
    Boolean(
      src.program.metas.get(name)?.batched?.[axis] ?? (axis === 0 && g.kind.get(name) === 'fwd'),
    );
  const v: Vjp = {
    node: view,
    opset: g.opset,
    rules,
    get dy() {
      return dys[0] ?? fail('no gradient reaches its first output');
    },
    dyOf: (k) => dys[k] ?? null,
    needs: (i) => Boolean(node.inputs[i]) && differentiable(g, memo, node.inputs[i]),
    x: (i = 0) => node.inputs[i],
    y: (k = 0) => node.outputs[k],
    shape,
    batched,
    reshapeTarget: (name) => shape(name).map((d, a) => (batched(name, a) ? -1 : d)),
    value: (name) =>
      src.program.constants.get(name)?.t ??
      smallInitializer(g.initializers.get(name)) ??
      constantNodeValue(g, name),
    attr: ((name: string, fallback: unknown) => view.attrs.get(name) ?? fallback) as Vjp['attr'],
    op: (type, inputs, attrs) => g.op(type, inputs, attrs),
    opN: (type, inputs, n, attrs) => g.opN(type, inputs, n, attrs),
    floats: (data, dims) => g.constant(Float32Array.from(data), dims ?? [data.length], 'float32'),
    ints: (data) =>
      g.constant(
        BigInt64Array.from(data, (d) => BigInt(Math.trunc(d))),
        [data.length],
        'int64',
      ),
    extraOutput: (k) => g.addOutput(node, k),
    reduceTo: (grad, i) => {
      const sIn = shape(node.inputs[i]),
        sOut = shape(node.outputs[0]);
      if (sIn.length === sOut.length && sIn.every((d, a) => d === sOut[a])) return grad;
      const lead = sOut.length - sIn.length;
      const axes = sOut
        .map((d, a) => a)
        .filter((a) => a < lead || (sIn[a - lead] === 1 && sOut[a] !== 1));
      const summed = axes.length ? g.op('ReduceSum', [grad, v.ints(axes)], { keepdims: 1 }) : grad;
      return g.op('Reshape', [summed, g.op('Shape', [node.inputs[i]])]);
    },
    fail,
  };
  return v;
}

/** A small initializer's values as a HostTensor (int64 → int32, as decode.ts reads them). */
function smallInitializer(proto: unknown): HostTensor | undefined {
  const t = proto as Record<string, unknown> | undefined;
  if (!t) return undefined;
  const dims = ((t.dims as unknown[]) ?? []).map(num);
  if (dims.reduce((a, b) => a * b, 1) > 4096) return undefined;
  const type = num(t.data_type);
  const raw = t.raw_data as Uint8Array | undefined;
  if (type === 1) return floatsOf(t);
  if (type === 7 && raw?.byteLength) {
    const bytes = Uint8Array.prototype.slice.call(raw) as Uint8Array;
    return {
      dims,
      dtype: 'int32',
      data: Int32Array.from(new BigInt64Array(bytes.buffer, 0, bytes.byteLength / 8), Number),
    };
  }
  if (type === 7)
    return { dims, dtype: 'int32', data: Int32Array.from((t.int64_data as unknown[]) ?? [], num) };
  return undefined;
}

/** A Constant node's value (small, decoded), for rules that read a constant input. */
function constantNodeValue(g: WorkGraph, name: string): HostTensor | undefined {
  const p = g.producer.get(name);
  if (p?.op !== 'Constant') return undefined;
  const a = p.decoded?.attrs;
  const t = a?.get('value') as HostTensor | undefined;
  if (t) return t;
  const list = (v: unknown) => (Array.isArray(v) ? (v as number[]) : [v as number]);
  const dims = (v: unknown) => (Array.isArray(v) ? [v.length] : []);
  const ints = a?.get('value_ints') ?? a?.get('value_int');
  if (ints != null) return { dims: dims(ints), dtype: 'int32', data: Int32Array.from(list(ints)) };
  const floats = a?.get('value_floats') ?? a?.get('value_float');
  if (floats != null)
    return { dims: dims(floats), dtype: 'float32', data: Float32Array.from(list(floats)) };
  return undefined;
}
