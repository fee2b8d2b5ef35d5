/**
 * Load-time pass over an ONNX graph: checks every op is known (all unknown ones listed at once),
 * folds what is constant, converts weights and axes to NHWC once (the layout pass), and runs the
 * graph once on a batch-1 probe to learn every tensor's shape. The result is a list of steps that
 * `execute` runs with plain tfjs ops, so tfjs's autodiff differentiates any of them.
 */
import * as tf from '@tensorflow/tfjs';
import { withShapeProbes } from '../../../engine/shape_probe.js';
import { DeepvisError } from '../../../errors.js';
import type { HostTensor, OnnxGraph, OnnxNode } from './decode.js';
import { FOLD_LIMIT, HOST_OPS } from './host_ops.js';
import { hostTensor, logicalShape, type RtMeta, type Value } from './layout.js';
import { ELEMENTWISE_OPS } from './ops_elementwise.js';
import { NN_OPS } from './ops_nn.js';
import { NORM_OPS } from './ops_norm.js';
import { ATTENTION_OPS, PROBS } from './ops_attention.js';
import { EINSUM_OPS } from './ops_einsum.js';
import { INDEX_OPS } from './ops_index.js';
import { RESIZE_OPS } from './ops_resize.js';
import { SHAPE_OPS } from './ops_shape.js';
import { OpCtx, type Compiled, type OpCompiler } from './op_types.js';

export const RUNTIME_OPS: Record<string, OpCompiler> = {
  ...NN_OPS, ...NORM_OPS, ...ELEMENTWISE_OPS, ...SHAPE_OPS, ...INDEX_OPS, ...EINSUM_OPS, ...RESIZE_OPS, ...ATTENTION_OPS,
};

/** A node's outputs as compile tracks them: an Attention node's probabilities are one more. */
function outputsOf(node: OnnxNode): string[] {
  if (node.op !== 'Attention') return [...node.outputs];
  return [...node.outputs, ...Array(Math.max(0, 4 - node.outputs.length)).fill(''), node.name + PROBS];
}

/** Ops whose output shape comes from a constant input that may derive from the batch size. */
const SHAPED_BY_INPUT: Readonly<Record<string, number>> = { Expand: 1, ConstantOfShape: 0, Tile: 1, Range: 1 };

export interface Step {
  readonly node: OnnxNode;
  readonly compiled: Compiled;
  /** Per node input: the runtime tensor's name, or null where the op kept a constant. */
  readonly reads: readonly (string | null)[];
  /** The first output (most ops have one). */
  readonly output: string;
  /** Every output, in node order ('' for an unused optional one). */
  readonly outputs: readonly string[];
}

export interface Program {
  readonly inputName: string;
  /** Logical NCHW shape of the image input, batch 1. */
  readonly inputShape: readonly [number, number, number, number];
  readonly steps: readonly Step[];
  readonly metas: ReadonlyMap<string, RtMeta>;
  /** Tensor name → index of the step that makes it. */
  readonly producer: ReadonlyMap<string, number>;
  readonly outputs: readonly string[];
  readonly kept: readonly tf.Tensor[];
  /** Values known at load: small ones (≤ FOLD_LIMIT entries: shapes, axes, pads) with their batch marks; every one's dims. */
  readonly constants: ReadonlyMap<string, Extract<Value, { kind: 'host' }>>;
  readonly constantDims: ReadonlyMap<string, readonly number[]>;
}

function constantValue(node: OnnxNode): HostTensor {
  const a = node.attrs;
  if (a.has('value')) return a.get('value') as HostTensor;
  if (a.has('value_float')) return { dims: [], dtype: 'float32', data: Float32Array.of(a.get('value_float') as number) };
  if (a.has('value_floats')) { const v = a.get('value_floats') as number[]; return { dims: [v.length], dtype: 'float32', data: Float32Array.from(v) }; }
  if (a.has('value_int')) return { dims: [], dtype: 'int32', data: Int32Array.of(a.get('value_int') as number) };
  if (a.has('value_ints')) { const v = a.get('value_ints') as number[]; return { dims: [v.length], dtype: 'int32', data: Int32Array.from(v) }; }
  throw new DeepvisError(`Constant node '${node.name}' has no value deepvis can read`);
}

function checkOps(graph: OnnxGraph, source: string): void {
  const unknown = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const known = n.op === 'Constant' || n.op in RUNTIME_OPS || n.op in HOST_OPS;
    const key = `${n.domain ? n.domain + '.' : ''}${n.op}`;
    if (!known || (n.domain && n.domain !== 'ai.onnx')) unknown.set(key, [...(unknown.get(key) ?? []), n.name]);
  }
  if (unknown.size) {
    const list = [...unknown].map(([op, names]) => `${op} (${names.slice(0, 3).join(', ')}${names.length > 3 ? `, … ${names.length} nodes` : ''})`);
    throw new DeepvisError(`${source}: unsupported ONNX ops: ${list.join('; ')}`);
  }
}

/** Per tensor, the index of the last node that reads it (probe tensors are freed after it). */
function lastReads(graph: OnnxGraph): Map<string, number> {
  const last = new Map<string, number>();
  graph.nodes.forEach((n, i) => { for (const x of n.inputs) if (x) last.set(x, i); });
  return last;
}

const asList = (t: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(t) ? t : [t]);

/**
 * Compiles `graph` for an image input of logical shape `inputShape` (batch 1). The graph is run
 * twice while it compiles, at batch 1 and at batch 2: a tensor's axes that double are its batch
 * axes (RtMeta.batched), which Shape needs to mark the entries it derives from the batch — a
 * [T, B, C] tensor inside an attention block has its batch on axis 1 — and which tell the adapter
 * which tensors are per-image layers. The batch-2 run also proves the program does not bake in
 * batch size 1.
 */
export function compile(graph: OnnxGraph, source: string, inputShape: readonly [number, number, number, number]): Program {
  checkOps(graph, source);
  if (graph.inputs.length !== 1) throw new DeepvisError(`${source}: deepvis needs a model with one image input; this one has ${graph.inputs.length}`);
  const inputName = graph.inputs[0].name;
  const values = new Map<string, Value>();
  for (const [name, t] of graph.initializers) values.set(name, { kind: 'host', t });
  const probes = [new Map<string, tf.Tensor>(), new Map<string, tf.Tensor>()];
  const metas = new Map<string, RtMeta>();
  const producer = new Map<string, number>();
  const steps: Step[] = [];
  const kept: tf.Tensor[] = [];
  const [, c, h, w] = inputShape;
  const inMeta: RtMeta = { layout: 'nhwc', logical: [1, c, h, w], batched: [true, false, false, false] };
  values.set(inputName, { kind: 'rt', meta: inMeta });
  metas.set(inputName, inMeta);
  probes.forEach((p, k) => p.set(inputName, tf.zeros([k + 1, h, w, c])));
  const last = lastReads(graph);
  const graphOutputs = new Set(graph.outputs);
  const free = (i: number, names: readonly string[]) => {
    for (const name of names) {
      if (last.get(name) !== i || graphOutputs.has(name)) continue;
      for (const p of probes) {
        p.get(name)?.dispose();
        p.delete(name);
      }
    }
  };
  try {
    for (const [i, original] of graph.nodes.entries()) {
      const node = original.op === 'Attention' ? { ...original, outputs: outputsOf(original) } : original;
      const ins = node.inputs.map((name) => {
        if (!name) return undefined;
        const v = values.get(name);
        if (!v) throw new DeepvisError(`${source}: node '${node.name}' reads '${name}', which nothing computes (nodes out of order?)`);
        return v;
      });
      const ctx = new OpCtx(node, graph.opset, ins, source);
      if (node.op === 'Constant') {
        values.set(node.outputs[0], { kind: 'host', t: constantValue(node) });
        continue;
      }
      const allHost = ins.every((v) => !v || v.kind === 'host');
      const small = ins.every((v) => !v || v.kind !== 'host' || v.t.data.length <= FOLD_LIMIT);
      const shapedByBatch = node.op in SHAPED_BY_INPUT && ctx.batchDependent(SHAPED_BY_INPUT[node.op]);
      const host = HOST_OPS[node.op];
      if (host && (node.op === 'Shape' || (allHost && !shapedByBatch && (small || !(node.op in RUNTIME_OPS))))) {
        values.set(node.outputs[0], host(ctx, ins as never));
        free(i, node.inputs);
        continue;
      }
      if (allHost && !shapedByBatch) {
        foldWithTf(ctx, ins as Array<Extract<Value, { kind: 'host' }> | undefined>).forEach((v, k) => {
          if (node.outputs[k]) values.set(node.outputs[k], v);
        });
        continue;
      }
      const op = RUNTIME_OPS[node.op] ?? ctx.fail('is only supported on constants known at load');
      const compiled = op(ctx);
      kept.push(...ctx.kept);
      ctx.release();
      const reads = node.inputs.map((name, k) => (name && ins[k]?.kind === 'rt' ? name : null));
      const outs = probes.map((p, k) => {
        const xs = reads.map((r) => (r ? p.get(r)! : null));
        // An output that is an input (Identity) gets its own handle, so freeing one keeps the other.
        // Shapes only: the products and convolutions answer zeros (engine/shape_probe.ts).
        return tf.tidy(() => asList(withShapeProbes(() => compiled.run(xs, k + 1)))).map((t) => (xs.includes(t) ? t.clone() : t));
      });
      node.outputs.forEach((name, k) => {
        if (!name) return;
        const [one, two] = outs.map((o) => o[k]);
        // An output the op does not make (Dropout's mask): a node reading it is refused as reading
        // something nothing computes.
        if (!one) return;
        const logical = logicalShape(one.shape, compiled.layout, compiled.chw);
        const logical2 = logicalShape(two.shape, compiled.layout, compiled.chw);
        const meta: RtMeta = { layout: compiled.layout, logical, chw: compiled.chw, batched: logical.map((d, a) => logical2[a] !== d) };
        probes[0].set(name, one);
        probes[1].set(name, two);
        values.set(name, { kind: 'rt', meta });
        metas.set(name, meta);
        producer.set(name, steps.length);
      });
      outs.forEach((o) => o.forEach((t, k) => { if (!node.outputs[k]) t.dispose(); }));
      steps.push({ node, compiled, reads, output: node.outputs[0], outputs: node.outputs });
      free(i, node.inputs);
    }
  } catch (e) {
    tf.dispose(kept);
    throw e instanceof DeepvisError ? e : new DeepvisError(`${source}: cannot run the graph (${(e as Error).message.split('\n')[0]})`);
  } finally {
    for (const p of probes) tf.dispose([...p.values()]);
  }
  const outputs = graph.outputs.filter((o) => metas.has(o));
  if (outputs.length === 0) throw new DeepvisError(`${source}: no graph output is computed from the input`);
  const constants = new Map<string, Extract<Value, { kind: 'host' }>>();
  const constantDims = new Map<string, readonly number[]>();
  for (const [name, v] of values) {
    if (v.kind !== 'host') continue;
    constantDims.set(name, v.t.dims);
    if (v.t.data.length <= FOLD_LIMIT) constants.set(name, v);
  }
  return { inputName, inputShape, steps, metas, producer, outputs, kept, constants, constantDims };
}

/**
 * A node whose inputs are all constants but that no host op covers: run it once with tfjs. An input
 * entry derived from the batch size marks every entry of the result (the op's arithmetic is not
 * followed); a reshape that reads such a value refuses it in one line.
 */
function foldWithTf(ctx: OpCtx, ins: ReadonlyArray<Extract<Value, { kind: 'host' }> | undefined>): Value[] {
  const node = ctx.node;
  const rtCtx = new OpCtx(node, ctx.opset, ins, ctx.source, true);
  const compiled = RUNTIME_OPS[node.op](rtCtx);
  const outs = tf.tidy(() => asList(compiled.run(ins.map((v) => (v ? hostTensor(v.t) : null)), 1)));
  tf.dispose(rtCtx.kept);
  const marked = ins.some((v) => v?.batch?.some(Boolean));
  return outs.map((out) => {
    const dtype = out.dtype === 'float32' ? 'float32' : out.dtype === 'bool' ? 'bool' : 'int32';
    const raw = out.dataSync();
    const data = dtype === 'float32' ? Float32Array.from(raw) : dtype === 'bool' ? Uint8Array.from(raw) : Int32Array.from(raw);
    const dims = out.shape;
    out.dispose();
    return { kind: 'host', t: { dims, dtype, data }, batch: marked ? Array.from(data, () => true) : undefined };
  });
}
