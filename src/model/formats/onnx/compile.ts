/**
 * Load-time pass over an ONNX graph: checks every op is known (all unknown ones listed at once),
 * folds what is constant, converts weights and axes to NHWC once (the layout pass), and runs the
 * graph once on a batch-1 probe to learn every tensor's shape. The result is a list of steps that
 * `execute` runs with plain tfjs ops, so tfjs's autodiff differentiates any of them.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../../../errors.js';
import type { HostTensor, OnnxGraph, OnnxNode } from './decode.js';
import { FOLD_LIMIT, HOST_OPS } from './host_ops.js';
import { hostTensor, logicalShape, type RtMeta, type Value } from './layout.js';
import { ELEMENTWISE_OPS } from './ops_elementwise.js';
import { NN_OPS } from './ops_nn.js';
import { SHAPE_OPS } from './ops_shape.js';
import { OpCtx, type Compiled, type OpCompiler } from './op_types.js';

export const RUNTIME_OPS: Record<string, OpCompiler> = { ...NN_OPS, ...ELEMENTWISE_OPS, ...SHAPE_OPS };

export interface Step {
  readonly node: OnnxNode;
  readonly compiled: Compiled;
  /** Per node input: the runtime tensor's name, or null where the op kept a constant. */
  readonly reads: readonly (string | null)[];
  readonly output: string;
}

export interface Program {
  readonly inputName: string;
  /** Logical NCHW shape of the image input, batch 1. */
  readonly inputShape: readonly [number, number, number, number];
  readonly steps: readonly Step[];
  readonly metas: ReadonlyMap<string, RtMeta>;
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
    if (!known || (n.domain && n.domain !== 'ai.onnx')) unknown.set(`${n.domain ? n.domain + '.' : ''}${n.op}`, [...(unknown.get(n.op) ?? []), n.name]);
  }
  if (unknown.size) {
    const list = [...unknown].map(([op, names]) => `${op} (${names.slice(0, 3).join(', ')}${names.length > 3 ? `, … ${names.length} nodes` : ''})`);
    throw new DeepvisError(`${source}: unsupported ONNX ops: ${list.join('; ')}`);
  }
}

export function compile(graph: OnnxGraph, source: string, inputShape: readonly [number, number, number, number]): Program {
  checkOps(graph, source);
  if (graph.inputs.length !== 1) throw new DeepvisError(`${source}: deepvis needs a model with one image input; this one has ${graph.inputs.length}`);
  const inputName = graph.inputs[0].name;
  const values = new Map<string, Value>();
  for (const [name, t] of graph.initializers) values.set(name, { kind: 'host', t });
  const probe = new Map<string, tf.Tensor>();
  const metas = new Map<string, RtMeta>();
  const producer = new Map<string, number>();
  const steps: Step[] = [];
  const kept: tf.Tensor[] = [];
  const [, c, h, w] = inputShape;
  const inMeta: RtMeta = { layout: 'nhwc', logical: [1, c, h, w] };
  values.set(inputName, { kind: 'rt', meta: inMeta });
  metas.set(inputName, inMeta);
  probe.set(inputName, tf.zeros([1, h, w, c]));
  try {
    for (const node of graph.nodes) {
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
      const host = HOST_OPS[node.op];
      if (host && (allHost && small || node.op === 'Shape')) {
        values.set(node.outputs[0], host(ctx, ins as never));
        continue;
      }
      if (allHost) {
        values.set(node.outputs[0], { kind: 'host', t: foldWithTf(ctx, ins as Array<Extract<Value, { kind: 'host' }> | undefined>) });
        continue;
      }
      const compiled = RUNTIME_OPS[node.op](ctx);
      kept.push(...ctx.kept);
      ctx.release();
      const reads = node.inputs.map((name, i) => (name && ins[i]?.kind === 'rt' ? name : null));
      const out = tf.tidy(() => compiled.run(reads.map((r) => (r ? probe.get(r)! : null))));
      const meta: RtMeta = { layout: compiled.layout, logical: logicalShape(out.shape, compiled.layout, compiled.chw), chw: compiled.chw };
      const name = node.outputs[0];
      for (const extra of node.outputs.slice(1)) if (extra) values.set(extra, { kind: 'rt', meta: { layout: 'plain', logical: [] } });
      probe.set(name, out);
      values.set(name, { kind: 'rt', meta });
      metas.set(name, meta);
      producer.set(name, steps.length);
      steps.push({ node, compiled, reads, output: name });
    }
  } catch (e) {
    tf.dispose(kept);
    throw e instanceof DeepvisError ? e : new DeepvisError(`${source}: cannot run the graph (${(e as Error).message.split('\n')[0]})`);
  } finally {
    tf.dispose([...probe.values()]);
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

/** A node whose inputs are all constants but that no host op covers: run it once with tfjs. */
function foldWithTf(ctx: OpCtx, ins: ReadonlyArray<Extract<Value, { kind: 'host' }> | undefined>): HostTensor {
  const node = ctx.node;
  const asRt = ins.map((v) => (v ? ({ kind: 'rt', meta: { layout: 'plain', logical: v.t.dims } } as Value) : undefined));
  const rtCtx = new OpCtx(node, ctx.opset, asRt, ctx.source);
  const compiled = RUNTIME_OPS[node.op](rtCtx);
  const out = tf.tidy(() => compiled.run(ins.map((v) => (v ? hostTensor(v.t) : null))));
  tf.dispose(rtCtx.kept);
  const float = out.dtype === 'float32';
  const data = float ? Float32Array.from(out.dataSync()) : Int32Array.from(out.dataSync());
  const dims = out.shape;
  out.dispose();
  return { dims, dtype: float ? 'float32' : 'int32', data };
}
