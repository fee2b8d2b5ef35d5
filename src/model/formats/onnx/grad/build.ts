/**
 * The gradient-graph builder (issue 26): from an ONNX model, a set of taps and a rule set, one
 * ONNX graph computing the taps' activations and d(objective)/d(input) for the gradient arriving at
 * the taps — reverse-mode differentiation written out as ONNX nodes, one VJP rule per op, so that
 * onnxruntime runs the backward pass on the same native kernels as the forward (Griewank & Walther
 * 2008 for the method; the rules are the textbook VJPs of each op).
 *
 * At its edges the image comes in NHWC (`dv:x`, tfjs's layout) and its gradient goes out NHWC; the
 * taps go out as ONNX has them (logical order), their gradients come in alike, and an offset added
 * to a layer's output (Grad-CAM's) comes in as `dv:delta`, logical too, with its own gradient. One build gives
 * three graphs (WorkGraph.emit): fused (image and tap gradients in, taps and input gradient out),
 * forward (image in, taps and the tensors the backward reads out) and backward (those tensors and
 * the tap gradients in, the gradients out).
 */
import type { BackwardRules } from '../../../../engine/rules.js';
import type { HostTensor, OnnxNode } from '../decode.js';
import type { EncType } from '../encode.js';
import type { Program } from '../compile.js';
import { FROM_ONNX, WorkGraph, type GNode } from './graph.js';
import { withRuleSet } from './rule_sets.js';
import { addModelNode, gradientOpset } from './upgrade.js';
import { vjpTable, type ConvVjp } from './vjp.js';
import { NoVjp, type Vjp, type VjpTable } from './vjp_types.js';

/** What the builder needs to know about a loaded model. */
export interface GradSource {
  /** The decoded nodes, in file order (decode.ts), and the model's opset and image input. */
  readonly nodes: readonly OnnxNode[];
  readonly opset: number;
  readonly inputName: string;
  /** Static shapes (batch 1) and the constants the importer folded. */
  readonly program: Pick<Program, 'metas' | 'constants' | 'constantDims'>;
  /** decodeModelProto(file bytes): the nodes and initializers as they are in the file. */
  readonly model: Record<string, unknown>;
  /** Those bytes, when sessions can read the weights from them as external data (no copy in each graph). */
  readonly file?: { readonly path: string; readonly bytes: Uint8Array };
}

export interface GradRequest {
  /** ONNX tensor names, distinct. */
  readonly taps: readonly string[];
  /** The tensor an offset is added to (its output and everything downstream see output + delta). */
  readonly offset?: string;
  readonly rules: BackwardRules;
  readonly conv?: ConvVjp;
}

export interface SavedTensor { readonly name: string; readonly dtype: EncType }

export interface GradGraphs {
  /** Graph tensor names of the taps (tap form), the input gradient and the offset's gradient. */
  readonly tapNames: readonly string[];
  readonly dx: string;
  readonly dDelta: string | null;
  /** Tensors the forward graph hands to the backward graph, in order. */
  readonly saved: readonly SavedTensor[];
  fused(): Uint8Array;
  forward(): Uint8Array;
  /** The backward graph for some of the gradients (default both), and the saved tensors it reads. */
  backward(want?: { dx: boolean; dDelta: boolean }): { bytes: Uint8Array; reads: readonly SavedTensor[] };
}

export const GRAPH_X = 'dv:x';
export const GRAPH_DELTA = 'dv:delta';
export const graphDy = (k: number) => `dv:dy${k}`;

const num = (v: unknown): number => (v == null ? 0 : typeof v === 'number' ? v : Number((v as { toNumber?: () => number }).toNumber?.() ?? v));

/** A float32 initializer's values (raw_data or float_data), or undefined. */
function floatsOf(proto: Record<string, unknown>): HostTensor | undefined {
  if (num(proto.data_type) !== 1 || num(proto.data_location) === 1) return undefined;
  const dims = ((proto.dims as unknown[]) ?? []).map(num);
  const raw = proto.raw_data as Uint8Array | undefined;
  if (raw && raw.byteLength) {
    const bytes = raw.byteOffset % 4 === 0 ? raw : (Uint8Array.prototype.slice.call(raw) as Uint8Array);
    return { dims, dtype: 'float32', data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
  }
  const f = proto.float_data as number[] | undefined;
  return f?.length ? { dims, dtype: 'float32', data: Float32Array.from(f) } : undefined;
}

/** The node as rules see it: decoded attributes with the graph's current tensor names. */
function viewOf(node: GNode): OnnxNode {
  const attrs = node.decoded?.attrs ?? new Map(Object.entries(node.attrs ?? {}).map(([k, a]) => [k, (a && typeof a === 'object' && 'f' in a ? a.f : a) as never]));
  return { name: node.name, op: node.op, domain: node.domain ?? '', inputs: node.inputs, outputs: node.outputs, attrs };
}

export function buildGradient(src: GradSource, req: GradRequest): GradGraphs {
  const g = new WorkGraph(gradientOpset(src.opset));
  const graph = src.model.graph as Record<string, unknown>;
  const rawNodes = (graph.node as Record<string, unknown>[]) ?? [];
  if (rawNodes.length !== src.nodes.length) throw new Error('gradient graph: the file and the loaded graph disagree');
  const inits = new Map<string, Record<string, unknown>>();
  for (const t of (graph.initializer as Record<string, unknown>[]) ?? []) {
    const name = String(t.name);
    inits.set(name, t);
    g.addInitializer(name, t, FROM_ONNX[num(t.data_type)] ?? 'other');
  }
  const shapes = new Map<string, readonly number[]>();
  for (const [name, meta] of src.program.metas) shapes.set(name, meta.logical);
  for (const [name, dims] of src.program.constantDims) shapes.set(name, dims);

  // The image: NHWC in, the model's NCHW input out of a transpose.
  const [, c, h, w] = shapes.get(src.inputName)!;
  g.addInput(GRAPH_X, 'fwd');
  shapes.set(GRAPH_X, [1, h, w, c]);
  g.add({ op: 'Transpose', inputs: [GRAPH_X], outputs: [src.inputName], attrs: { perm: [0, 3, 1, 2] }, name: 'dv:x_nchw' });

  // An offset: T' = T + delta replaces T for every reader (taps included).
  const renamed = new Map<string, string>();
  const addOffset = () => {
    const t = req.offset!;
    const s = shapes.get(t)!;
    g.addInput(GRAPH_DELTA, 'fwd');
    shapes.set(GRAPH_DELTA, s);
    const plus = g.op('Add', [t, GRAPH_DELTA], undefined, 'offset');
    shapes.set(plus, s);
    renamed.set(t, plus);
  };
  if (req.offset === src.inputName) addOffset();
  rawNodes.forEach((raw, i) => {
    const node = src.nodes[i];
    const inputs = node.inputs.map((n) => renamed.get(n) ?? n);
    addModelNode(g, raw, node, src.opset, shapes, inputs);
    if (req.offset && node.outputs.includes(req.offset)) addOffset();
  });

  // Taps: the tensors as ONNX has them (the adapter shows them to methods with tfjs ops).
  const tapNames = req.taps.map((t, k) => {
    const name = renamed.get(t) ?? t;
    const s = shapes.get(name);
    if (!s) throw new Error(`gradient graph: no tensor '${t}'`);
    const out = `dv:tap${k}`;
    g.add({ op: 'Identity', inputs: [name], outputs: [out], attrs: {}, name: out });
    shapes.set(out, s);
    g.addInput(graphDy(k), 'bwd');
    return out;
  });

  const table = withRuleSet(vjpTable((name) => weightOf(g, inits, src, name), req.conv ?? 'flip'), req.rules);
  const grads = backpropagate(g, table, src, req, shapes, tapNames);
  const dx = sumOf(g, grads, GRAPH_X) ?? g.op('ConstantOfShape', [g.op('Shape', [GRAPH_X])]);
  const dDelta = req.offset ? (sumOf(g, grads, GRAPH_DELTA) ?? g.op('ConstantOfShape', [g.op('Shape', [GRAPH_DELTA])])) : null;

  const outs = [dx, ...(dDelta ? [dDelta] : [])];
  const saved = savedTensors(g, outs);
  const xIn = [{ name: GRAPH_X }, ...(req.offset ? [{ name: GRAPH_DELTA }] : [])];
  const dyIn = tapNames.map((_, k) => ({ name: graphDy(k) }));
  const ir = Math.max(8, num(src.model.ir_version));
  const named = (names: readonly string[]) => names.map((name) => ({ name }));
  return {
    tapNames,
    dx,
    dDelta,
    saved,
    fused: () => g.emit([...xIn, ...dyIn], named([...tapNames, ...outs]), ir, src.file),
    forward: () => g.emit(xIn, named([...tapNames, ...saved.map((s) => s.name)]), ir, src.file),
    backward: (want = { dx: true, dDelta: true }) => {
      const wanted = [...(want.dx ? [dx] : []), ...(want.dDelta && dDelta ? [dDelta] : [])];
      const reads = savedTensors(g, wanted);
      return { bytes: g.emit([...dyIn, ...reads], named(wanted), ir, src.file), reads };
    },
  };
}

function sumOf(g: WorkGraph, all: Map<string, string[]>, name: string): string | null {
  const parts = all.get(name);
  if (!parts?.length) return null;
  if (parts.length === 1) return parts[0];
  const total = g.op('Sum', parts);
  all.set(name, [total]);
  return total;
}

/** A constant's float values: an initializer (through Identity nodes), or a folded constant. */
function weightOf(g: WorkGraph, inits: Map<string, Record<string, unknown>>, src: GradSource, name: string): HostTensor | undefined {
  let t = name;
  for (let p = g.producer.get(t); p && p.op === 'Identity'; p = g.producer.get(t)) t = p.inputs[0];
  const init = inits.get(t);
  if (init) return floatsOf(init);
  const folded = src.program.constants.get(t)?.t ?? src.program.constants.get(name)?.t;
  return folded?.dtype === 'float32' ? folded : undefined;
}

/** Walks the forward nodes that lead to a tap, last first, applying each op's VJP rule. */
function backpropagate(g: WorkGraph, table: VjpTable, src: GradSource, req: GradRequest, shapes: Map<string, readonly number[]>, taps: readonly string[]): Map<string, string[]> {
  // Per tensor, the gradient contributions from its readers (summed when its producer is reached).
  const grads = new Map<string, string[]>();
  taps.forEach((t, k) => grads.set(t, [graphDy(k)]));
  const needed = new Set<GNode>();
  const stack = [...taps];
  while (stack.length) {
    const p = g.producer.get(stack.pop()!);
    if (!p || needed.has(p) || g.kind.get(p.outputs[0]) !== 'fwd') continue;
    needed.add(p);
    stack.push(...p.inputs.filter((i) => i));
  }
  const forward = g.nodes.filter((n) => needed.has(n));
  const memo = new Map<string, boolean>();
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    const dys = node.outputs.map((o) => (o ? sumOf(g, grads, o) : null));
    if (dys.every((d) => d == null)) continue;
    const rule = table[node.op];
    const view = viewOf(node);
    if (!rule) throw new NoVjp(node.op, node.name, 'no VJP rule for this op');
    const v = vjpContext(g, node, view, dys, req.rules, shapes, src, memo);
    const res = rule(v);
    node.inputs.forEach((input, k) => {
      const d = res[k];
      if (d && input && v.needs(k)) grads.set(input, [...(grads.get(input) ?? []), d]);
    });
  }
  return grads;
}

/** Ops whose outputs carry no gradient, whatever reads them (shapes, indices, comparisons). */
const NO_GRADIENT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf', 'Sign', 'Floor', 'Ceil', 'Round']);

/**
 * Whether a tensor depends differentiably on the image (or an offset): a float made from one by
 * ops that carry gradients. A shape read off an activation (Shape → Gather → Cast → Sqrt, a head
 * size) depends on the image only through its size: its gradient is zero and none is built.
 */
function differentiable(g: WorkGraph, memo: Map<string, boolean>, t: string): boolean {
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

function vjpContext(g: WorkGraph, node: GNode, view: OnnxNode, dys: (string | null)[], rules: BackwardRules, shapes: Map<string, readonly number[]>, src: GradSource, memo: Map<string, boolean>): Vjp {
  const fail = (why: string): never => {
    throw new NoVjp(node.op, node.name, why);
  };
  const shape = (name: string) => shapes.get(name) ?? fail(`no static shape for '${name}'`);
  // Tensors the importer probed carry their batch axes; ones the builder made (a decomposed op's)
  // are batch-first when they come from the image.
  const batched = (name: string, axis: number) => Boolean(src.program.metas.get(name)?.batched?.[axis] ?? (axis === 0 && g.kind.get(name) === 'fwd'));
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
    value: (name) => src.program.constants.get(name)?.t ?? smallInitializer(g.initializers.get(name)) ?? constantNodeValue(g, name),
    attr: ((name: string, fallback: unknown) => view.attrs.get(name) ?? fallback) as Vjp['attr'],
    op: (type, inputs, attrs) => g.op(type, inputs, attrs),
    opN: (type, inputs, n, attrs) => g.opN(type, inputs, n, attrs),
    floats: (data, dims) => g.constant(Float32Array.from(data), dims ?? [data.length], 'float32'),
    ints: (data) => g.constant(BigInt64Array.from(data, (d) => BigInt(Math.trunc(d))), [data.length], 'int64'),
    extraOutput: (k) => g.addOutput(node, k),
    reduceTo: (grad, i) => {
      const sIn = shape(node.inputs[i]), sOut = shape(node.outputs[0]);
      if (sIn.length === sOut.length && sIn.every((d, a) => d === sOut[a])) return grad;
      const lead = sOut.length - sIn.length;
      const axes = sOut.map((d, a) => a).filter((a) => a < lead || (sIn[a - lead] === 1 && sOut[a] !== 1));
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
    return { dims, dtype: 'int32', data: Int32Array.from(new BigInt64Array(bytes.buffer, 0, bytes.byteLength / 8), Number) };
  }
  if (type === 7) return { dims, dtype: 'int32', data: Int32Array.from((t.int64_data as unknown[]) ?? [], num) };
  return undefined;
}

/** A Constant node's value (small, decoded), for rules that read a constant input. */
function constantNodeValue(g: WorkGraph, name: string): HostTensor | undefined {
  const p = g.producer.get(name);
  if (p?.op !== 'Constant') return undefined;
  const a = p.decoded?.attrs;
  const t = (a?.get('value') as HostTensor | undefined);
  if (t) return t;
  const list = (v: unknown) => (Array.isArray(v) ? (v as number[]) : [v as number]);
  const dims = (v: unknown) => (Array.isArray(v) ? [v.length] : []);
  const ints = a?.get('value_ints') ?? a?.get('value_int');
  if (ints != null) return { dims: dims(ints), dtype: 'int32', data: Int32Array.from(list(ints)) };
  const floats = a?.get('value_floats') ?? a?.get('value_float');
  if (floats != null) return { dims: dims(floats), dtype: 'float32', data: Float32Array.from(list(floats)) };
  return undefined;
}

const WIDTH: Record<string, number> = { bool: 1, uint8: 1, int32: 4, float32: 4, int64: 8, other: 8 };

/**
 * The forward tensors the backward nodes read: walking back from the gradients, through backward
 * and constant nodes, stopping at every tensor of the forward pass.
 */
function savedTensors(g: WorkGraph, outputs: readonly string[]): SavedTensor[] {
  const saved = new Map<string, SavedTensor>();
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop()!;
    if (!t || seen.has(t)) continue;
    seen.add(t);
    const kind = g.kind.get(t);
    const p = g.producer.get(t);
    // What is cheaply made again in the backward run is not handed over: zeros from a shape, and a
    // widening cast (a bool mask as floats: the bool goes over, a quarter of the bytes).
    const widened = p?.op === 'Cast' && WIDTH[g.dtype.get(p.inputs[0]) ?? 'float32'] < WIDTH[g.dtype.get(t) ?? 'float32'];
    if (kind === 'fwd' && p?.op !== 'ConstantOfShape' && !widened) {
      saved.set(t, { name: t, dtype: g.elemType(t) });
      continue;
    }
    if (p) stack.push(...p.inputs);
  }
  return [...saved.values()];
}
