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
import { checkNodeLimits } from './limits.js';
import { ELEMENTWISE_OPS } from './ops_elementwise.js';
import { NN_OPS } from './ops_nn.js';
import { NORM_OPS } from './ops_norm.js';
import { ATTENTION_OPS, PROBS } from './ops_attention.js';
import { EINSUM_OPS } from './ops_einsum.js';
import { INDEX_OPS } from './ops_index.js';
import { RESIZE_OPS } from './ops_resize.js';
import { SHAPE_OPS } from './ops_shape.js';
import { OpCtx, type Compiled, type OpCompiler } from './op_types.js';
import { WeightStore } from './weights.js';

export const RUNTIME_OPS: Record<string, OpCompiler> = {
  ...NN_OPS,
  ...NORM_OPS,
  ...ELEMENTWISE_OPS,
  ...SHAPE_OPS,
  ...INDEX_OPS,
  ...EINSUM_OPS,
  ...RESIZE_OPS,
  ...ATTENTION_OPS,
};

/** A node's outputs as compile tracks them: an Attention node's probabilities are one more. */
function outputsOf(node: OnnxNode): string[] {
  if (node.op !== 'Attention') return [...node.outputs];
  return [
    ...node.outputs,
    ...Array(Math.max(0, 4 - node.outputs.length)).fill(''),
    node.name + PROBS,
  ];
}

/** Ops whose output shape comes from a constant input that may derive from the batch size. */
const SHAPED_BY_INPUT: Readonly<Record<string, number>> = {
  Expand: 1,
  ConstantOfShape: 0,
  Tile: 1,
  Range: 1,
};

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
  /** The batch size metas were probed at (the graph's declared batch, else 1). */
  readonly probeBatch: number;
  /** A graph that only runs at its declared batch size (constant reshape targets): runs go in chunks of it. */
  readonly fixedBatch: number | null;
  readonly steps: readonly Step[];
  readonly metas: ReadonlyMap<string, RtMeta>;
  /** Tensor name → index of the step that makes it. */
  readonly producer: ReadonlyMap<string, number>;
  readonly outputs: readonly string[];
  /** The weights: those made so far (store.kept), and those a tfjs path makes on first use. */
  readonly store: WeightStore;
  /** Values known at load: small ones (≤ FOLD_LIMIT entries: shapes, axes, pads) with their batch marks; every one's dims. */
  readonly constants: ReadonlyMap<string, Extract<Value, { kind: 'host' }>>;
  readonly constantDims: ReadonlyMap<string, readonly number[]>;
}

function constantValue(node: OnnxNode): HostTensor {
  const a = node.attrs;
  if (a.has('value')) return a.get('value') as HostTensor;
  if (a.has('value_float'))
    return { dims: [], dtype: 'float32', data: Float32Array.of(a.get('value_float') as number) };
  if (a.has('value_floats')) {
    const v = a.get('value_floats') as number[];
    return { dims: [v.length], dtype: 'float32', data: Float32Array.from(v) };
  }
  if (a.has('value_int'))
    return { dims: [], dtype: 'int32', data: Int32Array.of(a.get('value_int') as number) };
  if (a.has('value_ints')) {
    const v = a.get('value_ints') as number[];
    return { dims: [v.length], dtype: 'int32', data: Int32Array.from(v) };
  }
  throw new DeepvisError(`Constant node '${node.name}' has no value deepvis can read`);
}

function checkOps(graph: OnnxGraph, source: string): void {
  const unknown = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const known = n.op === 'Constant' || n.op in RUNTIME_OPS || n.op in HOST_OPS;
    const key = `${n.domain ? n.domain + '.' : ''}${n.op}`;
    if (!known || (n.domain && n.domain !== 'ai.onnx'))
      unknown.set(key, [...(unknown.get(key) ?? []), n.name]);
  }
  if (unknown.size) {
    const list = [...unknown].map(
      ([op, names]) =>
        `${op} (${names.slice(0, 3).join(', ')}${names.length > 3 ? `, … ${names.length} nodes` : ''})`,
    );
    throw new DeepvisError(`${source}: unsupported ONNX ops: ${list.join('; ')}`);
  }
}

/** Per tensor, the index of the last node that reads it (probe tensors are freed after it). */
function lastReads(graph: OnnxGraph): Map<string, number> {
  const last = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const x of n.inputs) if (x) last.set(x, i);
  });
  return last;
}

/** How many values a constant holds, from its dims (reading its data may copy it: decode.ts). */
const sizeOf = (t: HostTensor): number => t.dims.reduce((a, b) => a * b, 1);

const asList = (t: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(t) ? t : [t]);

/**
 * Compiles `graph` for an image input of logical shape `inputShape` (batch 1). The graph is run
 * twice while it compiles, at batch 1 and at batch 2: a tensor's axes that double are its batch
 * axes (RtMeta.batched), which Shape needs to mark the entries it derives from the batch — a
 * [T, B, C] tensor inside an attention block has its batch on axis 1 — and which tell the adapter
 * which tensors are per-image layers. The batch-2 run also proves the program does not bake in
 * batch size 1.
 */
export function compile(
  graph: OnnxGraph,
  source: string,
  inputShape: readonly [number, number, number, number],
  declaredBatch: number | null = null,
  /** The file's bytes again, for weights made on first use (none: every weight is made now). */
  reread: (() => Uint8Array) | null = null,
): Program {
  checkOps(graph, source);
  if (graph.inputs.length !== 1)
    throw new DeepvisError(
      `${source}: deepvis needs a model with one image input; this one has ${graph.inputs.length}`,
    );
  const inputName = graph.inputs[0].name;
  const values = new Map<string, Value>();
  for (const [name, t] of graph.initializers) values.set(name, { kind: 'host', t });
  // A graph exported without a dynamic batch axis declares its batch: probe at that size first.
  const batch0 = declaredBatch ?? 1;
  const probes = [new Map<string, tf.Tensor>(), new Map<string, tf.Tensor>()];
  let fixedBatch: number | null = null;
  const metas = new Map<string, RtMeta>();
  const producer = new Map<string, number>();
  const steps: Step[] = [];
  const store = new WeightStore(source, reread, new Set(graph.initializers.keys()));
  const [, c, h, w] = inputShape;
  const inMeta: RtMeta = {
    layout: 'nhwc',
    logical: [batch0, c, h, w],
    batched: [true, false, false, false],
  };
  values.set(inputName, { kind: 'rt', meta: inMeta });
  metas.set(inputName, inMeta);
  probes.forEach((p, k) => p.set(inputName, tf.zeros([batch0 * (k + 1), h, w, c])));
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
      const node =
        original.op === 'Attention' ? { ...original, outputs: outputsOf(original) } : original;
      const ins = node.inputs.map((name) => {
        if (!name) return undefined;
        const v = values.get(name);
        if (!v)
          throw new DeepvisError(
            `${source}: node '${node.name}' reads '${name}', which nothing computes (nodes out of order?)`,
          );
        return v;
      });
      const ctx = new OpCtx(node, graph.opset, ins, source, false, store);
      checkNodeLimits(ctx);
      if (node.op === 'Constant') {
        values.set(node.outputs[0], { kind: 'host', t: constantValue(node) });
        continue;
      }
      const allHost = ins.every((v) => !v || v.kind === 'host');
      const small = ins.every((v) => !v || v.kind !== 'host' || sizeOf(v.t) <= FOLD_LIMIT);
      const shapedByBatch =
        node.op in SHAPED_BY_INPUT && ctx.batchDependent(SHAPED_BY_INPUT[node.op]);
      const host = HOST_OPS[node.op];
      if (
        host &&
        (node.op === 'Shape' || (allHost && !shapedByBatch && (small || !(node.op in RUNTIME_OPS))))
      ) {
        values.set(node.outputs[0], host(ctx, ins as never));
        free(i, node.inputs);
        continue;
      }
      if (allHost && !shapedByBatch) {
        foldWithTf(ctx, ins as Array<Extract<Value, { kind: 'host' }> | undefined>).forEach(
          (v, k) => {
            if (node.outputs[k]) values.set(node.outputs[k], v);
          },
        );
        continue;
      }
      const op = RUNTIME_OPS[node.op] ?? ctx.fail('is only supported on constants known at load');
      const compiled = op(ctx);
      for (const t of ctx.kept) store.keep(t);
      const own = new Set<tf.Tensor>(ctx.kept);
      ctx.release();
      const reads = node.inputs.map((name, k) => (name && ins[k]?.kind === 'rt' ? name : null));
      const probe = (k: number): tf.Tensor[] => {
        const xs = reads.map((r) => (r ? probes[k].get(r)! : null));
        // Shapes only: the products and convolutions answer zeros (engine/shape_probe.ts). An output
        // that is an input (Identity) gets its own handle, so freeing one keeps the other.
        // The same holds for a constant the op kept and returns as it is (a broadcast to its own shape).
        return tf
          .tidy(() => asList(withShapeProbes(() => compiled.run(xs, batch0 * (k + 1)))))
          .map((t) => (xs.includes(t) || own.has(t) ? t.clone() : t));
      };
      let one: tf.Tensor[];
      try {
        one = probe(0);
      } catch (e) {
        if (e instanceof DeepvisError) throw e;
        throw new DeepvisError(
          `${source}: node '${node.name}' (${node.op}) cannot run: ${(e as Error).message.split('\n')[0]}${positionHint(node, ins, metas)}`,
        );
      }
      let two: tf.Tensor[] | null = null;
      if (fixedBatch == null) {
        try {
          two = probe(1);
        } catch {
          // The graph bakes in its batch size (constant reshape targets): it runs in chunks of it.
          fixedBatch = batch0;
          for (const [name, t] of probes[1]) if (name !== inputName) t.dispose();
          probes[1].clear();
        }
      }
      node.outputs.forEach((name, k) => {
        // An output the op does not make (Dropout's mask): a node reading it is refused as reading
        // something nothing computes.
        if (!name || !one[k]) return;
        const logical = logicalShape(one[k].shape, compiled.layout, compiled.chw);
        const logical2 = two ? logicalShape(two[k].shape, compiled.layout, compiled.chw) : null;
        const batched = logical2
          ? logical.map((d, a) => logical2[a] !== d)
          : logical.map((d, a) => a === 0 && d === batch0);
        const meta: RtMeta = { layout: compiled.layout, logical, chw: compiled.chw, batched };
        probes[0].set(name, one[k]);
        if (two) probes[1].set(name, two[k]);
        values.set(name, { kind: 'rt', meta });
        metas.set(name, meta);
        producer.set(name, steps.length);
      });
      for (const outs of [one, two ?? []])
        outs.forEach((t, k) => {
          if (!node.outputs[k]) t.dispose();
        });
      steps.push({ node, compiled, reads, output: node.outputs[0], outputs: node.outputs });
      free(i, node.inputs);
    }
  } catch (e) {
    store.dispose();
    for (const s of steps) s.compiled.dispose?.();
    throw e instanceof DeepvisError
      ? e
      : new DeepvisError(
          `${source}: cannot run the graph (${(e as Error).message.split('\n')[0]})`,
        );
  } finally {
    for (const p of probes) tf.dispose([...p.values()]);
    store.probed();
  }
  const outputs = graph.outputs.filter((o) => metas.has(o));
  if (outputs.length === 0)
    throw new DeepvisError(`${source}: no graph output is computed from the input`);
  const constants = new Map<string, Extract<Value, { kind: 'host' }>>();
  const constantDims = new Map<string, readonly number[]>();
  for (const [name, v] of values) {
    if (v.kind !== 'host') continue;
    constantDims.set(name, v.t.dims);
    if (sizeOf(v.t) <= FOLD_LIMIT) constants.set(name, v);
  }
  return {
    inputName,
    inputShape,
    probeBatch: batch0,
    fixedBatch,
    steps,
    metas,
    producer,
    outputs,
    store,
    constants,
    constantDims,
  };
}

/**
 * For an addition of tokens and a position embedding of another length: the input size the
 * embedding was made for, from the patch grid of the image maps before it.
 */
function positionHint(
  node: OnnxNode,
  ins: ReadonlyArray<Value | undefined>,
  metas: ReadonlyMap<string, RtMeta>,
): string {
  if (node.op !== 'Add') return '';
  const emb = ins.find(
    (v): v is Extract<Value, { kind: 'host' }> => v?.kind === 'host' && v.t.dims.length === 3,
  );
  const tokens = ins.find(
    (v): v is Extract<Value, { kind: 'rt' }> => v?.kind === 'rt' && v.meta.logical.length === 3,
  );
  if (!emb || !tokens) return '';
  const have = tokens.meta.logical[1],
    want = emb.t.dims[1];
  const [input, ...rest] = [...metas.values()]; // the image input is the first value compile records
  const patches = rest.find((m) => m.layout === 'nhwc' && m.logical.length === 4);
  if (!patches) return `; the position embedding holds ${want} tokens, the image gives ${have}`;
  const stride = input.logical[2] / patches.logical[2];
  const prefix = have - patches.logical[2] * patches.logical[3];
  const side = Math.round(Math.sqrt(want - prefix)) * stride;
  return `; the position embedding holds ${want} tokens (${prefix ? `${prefix} + ` : ''}a grid of ${stride}-px patches): this model takes ${side}×${side} inputs, not ${input.logical[2]}×${input.logical[3]}`;
}

/**
 * A node whose inputs are all constants but that no host op covers: run it once with tfjs. An input
 * entry derived from the batch size marks every entry of the result (the op's arithmetic is not
 * followed); a reshape that reads such a value refuses it in one line.
 */
function foldWithTf(
  ctx: OpCtx,
  ins: ReadonlyArray<Extract<Value, { kind: 'host' }> | undefined>,
): Value[] {
  const node = ctx.node;
  const rtCtx = new OpCtx(node, ctx.opset, ins, ctx.source, true);
  const compiled = RUNTIME_OPS[node.op](rtCtx);
  const outs = tf.tidy(() =>
    asList(
      compiled.run(
        ins.map((v) => (v ? hostTensor(v.t) : null)),
        1,
      ),
    ),
  );
  tf.dispose(rtCtx.kept);
  compiled.dispose?.();
  const marked = ins.some((v) => v?.batch?.some(Boolean));
  return outs.map((out) => {
    const dtype = out.dtype === 'float32' ? 'float32' : out.dtype === 'bool' ? 'bool' : 'int32';
    const raw = out.dataSync();
    const data =
      dtype === 'float32'
        ? Float32Array.from(raw)
        : dtype === 'bool'
          ? Uint8Array.from(raw)
          : Int32Array.from(raw);
    const dims = out.shape;
    out.dispose();
    return {
      kind: 'host',
      t: { dims, dtype, data },
      batch: marked ? Array.from(data, () => true) : undefined,
    };
  });
}
