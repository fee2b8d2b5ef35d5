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
import { differentiable, floatsOf, num, vjpContext } from './context.js';
import type { ForwardPath } from './vjp_lrp.js';
import { NoVjp, type VjpTable } from './vjp_types.js';

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

export interface SavedTensor {
  readonly name: string;
  readonly dtype: EncType;
}

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
  backward(want?: { dx: boolean; dDelta: boolean }): {
    bytes: Uint8Array;
    reads: readonly SavedTensor[];
  };
}

export const GRAPH_X = 'dv:x';
export const GRAPH_DELTA = 'dv:delta';
export const graphDy = (k: number) => `dv:dy${k}`;

/** The node as rules see it: decoded attributes with the graph's current tensor names. */
function viewOf(node: GNode): OnnxNode {
  const attrs =
    node.decoded?.attrs ??
    new Map(
      Object.entries(node.attrs ?? {}).map(([k, a]) => [
        k,
        (a && typeof a === 'object' && 'f' in a ? a.f : a) as never,
      ]),
    );
  return {
    name: node.name,
    op: node.op,
    domain: node.domain ?? '',
    inputs: node.inputs,
    outputs: node.outputs,
    attrs,
  };
}

export function buildGradient(src: GradSource, req: GradRequest): GradGraphs {
  const g = new WorkGraph(gradientOpset(src.opset));
  const graph = src.model.graph as Record<string, unknown>;
  const rawNodes = (graph.node as Record<string, unknown>[]) ?? [];
  if (rawNodes.length !== src.nodes.length)
    throw new Error('gradient graph: the file and the loaded graph disagree');
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
  g.add({
    op: 'Transpose',
    inputs: [GRAPH_X],
    outputs: [src.inputName],
    attrs: { perm: [0, 3, 1, 2] },
    name: 'dv:x_nchw',
  });

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

  const conv = req.conv ?? 'flip';
  const base = vjpTable((name) => weightOf(g, inits, src, name), conv);
  const grads = backpropagate(
    g,
    (path) => withRuleSet(base, req.rules, path, conv),
    src,
    req,
    shapes,
    tapNames,
  );
  const dx = sumOf(g, grads, GRAPH_X) ?? g.op('ConstantOfShape', [g.op('Shape', [GRAPH_X])]);
  const dDelta = req.offset
    ? (sumOf(g, grads, GRAPH_DELTA) ?? g.op('ConstantOfShape', [g.op('Shape', [GRAPH_DELTA])]))
    : null;

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
function weightOf(
  g: WorkGraph,
  inits: Map<string, Record<string, unknown>>,
  src: GradSource,
  name: string,
): HostTensor | undefined {
  let t = name;
  for (let p = g.producer.get(t); p && p.op === 'Identity'; p = g.producer.get(t)) t = p.inputs[0];
  const init = inits.get(t);
  if (init) return floatsOf(init);
  const folded = src.program.constants.get(t)?.t ?? src.program.constants.get(name)?.t;
  return folded?.dtype === 'float32' ? folded : undefined;
}

/** Walks the forward nodes that lead to a tap, last first, applying each op's VJP rule. */
function backpropagate(
  g: WorkGraph,
  tableFor: (path: ForwardPath) => VjpTable,
  src: GradSource,
  req: GradRequest,
  shapes: Map<string, readonly number[]>,
  taps: readonly string[],
): Map<string, string[]> {
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
  const table = tableFor({
    nodes: forward,
    onPath: (t) => differentiable(g, memo, t),
    shape: (t) => shapes.get(t) ?? constantDims(g, t),
  });
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

const WIDTH: Record<string, number> = {
  bool: 1,
  uint8: 1,
  int32: 4,
  float32: 4,
  int64: 8,
  other: 8,
};

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
    const widened =
      p?.op === 'Cast' &&
      WIDTH[g.dtype.get(p.inputs[0]) ?? 'float32'] < WIDTH[g.dtype.get(t) ?? 'float32'];
    if (kind === 'fwd' && p?.op !== 'ConstantOfShape' && !widened) {
      saved.set(t, { name: t, dtype: g.elemType(t) });
      continue;
    }
    if (p) stack.push(...p.inputs);
  }
  return [...saved.values()];
}

/** The dims of an initializer (the model's or the builder's, through Identity nodes), for constants without a static shape. */
function constantDims(g: WorkGraph, name: string): readonly number[] | undefined {
  let t = name;
  for (let p = g.producer.get(t); p && p.op === 'Identity'; p = g.producer.get(t)) t = p.inputs[0];
  const init = g.initializers.get(t) as { dims?: unknown[] } | undefined;
  return init ? (init.dims ?? []).map(num) : undefined;
}
