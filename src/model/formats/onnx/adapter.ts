/**
 * VisModel over a compiled ONNX program. Every node output of rank 2 or 4 is a layer, named by its
 * PyTorch module path (naming.ts). Image maps are returned NHWC like every other format; a flat
 * tensor in PyTorch's (C, H, W) order. `relu:pre` (any activation node) reads the node's input.
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardRunner } from '../../../engine/forward_runner.js';
import { gradientEngineChoice } from '../../../engine/gradient_engine.js';
import { gradientDepth, recordingGradients } from '../../../engine/tape.js';
import { DeepvisError } from '../../../errors.js';
import { resolveInputSpec } from '../../input_spec.js';
import { findLayer, parseRef } from '../../layer_lookup.js';
import { shortNames } from '../../naming.js';
import { checkImages, tapActivations, toNative } from '../../shape_check.js';
import type { DeepvisMetadata, InputOverrides, LayerInfo, LayerOffset, VisModel } from '../../types.js';
import { compile, type Program } from './compile.js';
import type { OnnxGraph } from './decode.js';
import { materialize, toNhwc, type RtMeta } from './layout.js';
import { OnnxGradients } from './grad/native.js';

/** A runtime tensor as methods see it: NHWC maps, flat vectors in logical order. */
function tapForm(t: tf.Tensor, meta: RtMeta): tf.Tensor {
  if (meta.layout === 'nhwc') return t;
  const l = materialize(t, meta);
  return l.rank === 4 ? toNhwc(l) : l;
}

/** The inverse of tapForm for an offset added to a node's physical output. */
function physicalDelta(delta: tf.Tensor, meta: RtMeta, physicalShape: readonly number[]): tf.Tensor {
  if (meta.layout === 'nhwc') return delta;
  if (delta.rank === 4) return tf.transpose(delta, [0, 3, 1, 2]);
  if (meta.layout === 'flat') {
    const [c, h, w] = meta.chw!;
    return tf.transpose(delta.reshape([-1, c, h, w]), [0, 2, 3, 1]).reshape([...physicalShape]);
  }
  return delta;
}

/**
 * Runs `plan`, freeing each intermediate after its last reader (`release`), so a forward pass
 * holds a frontier of tensors rather than every activation of the batch (0.75 GB for ResNet-18 at
 * batch 32). Under a gradient this is safe too: the tape keeps its own clones of what a backward
 * kernel needs (engine.saveTensorsForBackwardMode), so only what no gradient reads goes.
 */
function execute(p: Program, x: tf.Tensor, wanted: readonly string[], plan: Plan, offset?: { name: string; delta: tf.Tensor }): tf.Tensor[] {
  const env = new Map<string, tf.Tensor>([[p.inputName, x]]);
  for (let k = 0; k < plan.steps.length; k++) {
    const s = p.steps[plan.steps[k]];
    // tidy: an op's own intermediates (a folded batch norm's product) go when the op returns.
    let out = tf.tidy(() => s.compiled.run(s.reads.map((r) => (r ? env.get(r)! : null))));
    if (offset && offset.name === s.output) {
      const d = physicalDelta(offset.delta, p.metas.get(s.output)!, out.shape);
      if (!tf.util.arraysEqual(d.shape, out.shape)) throw new DeepvisError(`offset of shape [${offset.delta.shape.join(', ')}] does not fit layer '${s.output}'`);
      const sum = out.add(d);
      out.dispose();
      out = sum;
    }
    env.set(s.output, out);
    for (const name of plan.release[k]) release(env, name, x, keptOf(p));
  }
  return wanted.map((w) => tapForm(env.get(w)!, p.metas.get(w)!));
}

const keptSets = new WeakMap<Program, ReadonlySet<tf.Tensor>>();
const keptOf = (p: Program): ReadonlySet<tf.Tensor> => {
  let s = keptSets.get(p);
  if (!s) keptSets.set(p, (s = new Set(p.kept)));
  return s;
};

/** Drops `name`; disposes its tensor unless it is the caller's input, a weight, or shared by a live entry (Identity). */
function release(env: Map<string, tf.Tensor>, name: string, x: tf.Tensor, kept: ReadonlySet<tf.Tensor>): void {
  const t = env.get(name);
  env.delete(name);
  if (t == null || t === x || kept.has(t)) return;
  for (const other of env.values()) if (other === t) return;
  t.dispose();
}

interface Plan {
  /** Step indices in graph order. */
  readonly steps: readonly number[];
  /** Per step of `steps`, the tensors read for the last time there (never a wanted one). */
  readonly release: ReadonlyArray<readonly string[]>;
}

function planWithRelease(p: Program, wanted: readonly string[]): Plan {
  const steps = planFor(p, wanted);
  const lastRead = new Map<string, number>();
  steps.forEach((i, k) => { for (const r of p.steps[i].reads) if (r) lastRead.set(r, k); });
  // An output nobody reads (a side branch of a tap plan) goes right after it is made.
  steps.forEach((i, k) => { if (!lastRead.has(p.steps[i].output)) lastRead.set(p.steps[i].output, k); });
  const keep = new Set([...wanted, p.inputName]);
  const release: string[][] = steps.map(() => []);
  for (const [name, k] of lastRead) if (!keep.has(name) && p.producer.has(name)) release[k].push(name);
  return { steps, release };
}

/**
 * The same taps computed by a forward runner (onnxruntime): the input goes over as NCHW floats,
 * maps come back NCHW and are turned NHWC; flat tensors are already in the logical order taps use.
 */
function runOn(runner: ForwardRunner, native: tf.Tensor, tensors: readonly string[], rowsPerRun: number): tf.Tensor[] {
  const nchw = tf.transpose(native, [0, 3, 1, 2]);
  const data = nchw.dataSync() as Float32Array;
  const [n, ...rest] = nchw.shape;
  nchw.dispose();
  const per = data.length / n;
  // Rows go over in runs of at most rowsPerRun: onnxruntime's buffers for a run come on top of
  // tfjs's heap, which never shrinks, so a batch of 32 224-px images runs as a few smaller ones.
  const parts: tf.Tensor[][] = [];
  for (let from = 0; from < n; from += rowsPerRun) {
    const to = Math.min(n, from + rowsPerRun);
    const outs = runner.run({ data: data.subarray(from * per, to * per), dims: [to - from, ...rest] }, tensors);
    parts.push(outs.map((o) => {
      if (!(o.data instanceof Float32Array)) throw new Error('not a float tensor');
      const t = tf.tensor(o.data, [...o.dims]);
      if (t.rank !== 4) return t;
      const nhwc = tf.transpose(t, [0, 2, 3, 1]);
      t.dispose();
      return nhwc;
    }));
  }
  if (parts.length === 1) return parts[0];
  return tensors.map((_, i) => {
    const joined = tf.concat(parts.map((p) => p[i]), 0);
    tf.dispose(parts.map((p) => p[i]));
    return joined;
  });
}

/** Bytes one image's layer outputs take (an estimate of a forward pass's working set per row). */
const bytesPerRow = (layers: readonly LayerInfo[]) => 4 * layers.reduce((a, l) => a + l.outputShape.reduce((x, y) => x * y, 1), 0);
/** A forward run on the runner holds at most this much of layer outputs (rows × bytesPerRow); DEEPVIS_RUN_MB overrides. */
const runBudget = () => {
  const mb = Number(typeof process === 'undefined' ? undefined : process.env?.DEEPVIS_RUN_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : 96) * 2 ** 20;
};

/** Steps needed for `wanted`, in graph order. */
function planFor(p: Program, wanted: readonly string[]): number[] {
  const need = new Set<number>();
  const visit = (name: string) => {
    const i = p.producer.get(name);
    if (i == null || need.has(i)) return;
    need.add(i);
    for (const r of p.steps[i].reads) if (r) visit(r);
  };
  wanted.forEach(visit);
  return [...need].sort((a, b) => a - b);
}

/**
 * `runner`, when given, runs forwards that no gradient records and no offset changes; if it ever
 * fails (an op or type it does not take), the model falls back to tfjs for good.
 */
export function fromOnnxGraph(
  graph: OnnxGraph, source: string, meta: DeepvisMetadata, overrides: InputOverrides, runner: ForwardRunner | null = null,
  noRunner = 'no native engine was given',
): VisModel {
  const declared = graph.inputs[0]?.dims ?? [];
  if (declared.length !== 4) {
    throw new DeepvisError(`${source}: deepvis needs an image input [N, C, H, W]; this model's input is [${declared.map((d) => d ?? '?').join(', ')}]`);
  }
  const fromFlag = overrides.shape ?? meta.imageShape;
  const [c, h, w] = [declared[1] ?? fromFlag?.[2], declared[2] ?? fromFlag?.[0], declared[3] ?? fromFlag?.[1]];
  if (c == null || h == null || w == null) {
    throw new DeepvisError(`${source}: the input's size is symbolic ([N, ${declared.slice(1).map((d) => d ?? '?').join(', ')}]); pass --input-shape H,W,C`);
  }
  const program = compile(graph, source, [1, c, h, w]);
  const input = resolveInputSpec([h, w, c], meta, overrides.shape ? { ...overrides, shape: [h, w, c] } : overrides);

  const tensors = program.steps.map((s) => s.output).filter((o) => [2, 4].includes(program.metas.get(o)!.logical.length));
  const named = shortNames(tensors.map((t) => program.steps[program.producer.get(t)!].node.name), 'torch');
  const tensorOf = new Map<string, string>();
  const layers: LayerInfo[] = tensors.map((t, index) => {
    const step = program.steps[program.producer.get(t)!];
    const l = program.metas.get(t)!.logical;
    const outputShape = l.length === 4 ? [l[2], l[3], l[1]] : [l[1]];
    tensorOf.set(named[index].name, t);
    const aliases = [...named[index].aliases, ...(t !== step.node.name ? [t] : [])];
    return { name: named[index].name, kind: step.node.op, outputShape, units: outputShape[outputShape.length - 1], index, activation: step.compiled.activation, aliases };
  });
  // `name:pre` of an activation node is the tensor it reads.
  const resolve = (layer: string): string => {
    const ref = parseRef(layer);
    const t = tensorOf.get(ref.name)!;
    return ref.pre ? program.steps[program.producer.get(t)!].reads.find((r) => r) ?? t : t;
  };
  const last = program.steps[program.producer.get(program.outputs[0])!];
  // Pre-softmax scores: what a final Softmax reads, or the output itself when a linear layer makes it.
  const linearOut = ['Gemm', 'MatMul'].includes(last.node.op) && program.metas.get(last.output)!.logical.length === 2;
  const logitsTensor = last.node.op === 'Softmax' ? last.reads.find((r) => r) : linearOut ? last.output : undefined;
  const logitsLayer = meta.logitsLayer ?? layers.find((l) => tensorOf.get(l.name) === logitsTensor)?.name ?? null;
  const plans = new Map<string, Plan>();
  const planCached = (ts: readonly string[]) => {
    const key = ts.join('\u0000');
    let plan = plans.get(key);
    if (!plan) plans.set(key, (plan = planWithRelease(program, ts)));
    return plan;
  };

  let forward = runner;
  const rowsPerRun = Math.max(1, Math.floor(runBudget() / bytesPerRow(layers)));
  // The runner holds its own copy of the weights: once deepvis edits one in place (MPRT's
  // randomization rebinds a weight's data), forwards go to tfjs, which sees the edit.
  const weightData = program.kept.map((t) => t.dataId);
  const weightsAsLoaded = () => program.kept.every((t, i) => t.dataId === weightData[i]);
  // Gradients: the model's gradient graph on the runner's engine, as one op on tfjs's tape.
  const facts = { nodes: graph.nodes, opset: graph.opset, inputName: program.inputName };
  let native = runner?.graphs ? new OnnxGradients(runner.name, runner.graphs, facts, program) : null;
  let nativeBroken = runner && !runner.graphs ? `${runner.name} runs no gradient graphs` : '';
  const gradientRoute = (): { engine: string; why: string; native: OnnxGradients | null } => {
    const tfjs = (why: string) => ({ engine: 'tfjs', why, native: null });
    const choice = gradientEngineChoice();
    if (choice === 'tfjs') return tfjs('gradient engine set to tfjs (--gradients / DEEPVIS_GRADIENTS)');
    if (!runner) return tfjs(noRunner);
    if (!native) return tfjs(nativeBroken);
    if (!weightsAsLoaded()) return tfjs('the weights were changed after loading; onnxruntime has the file\'s');
    const status = native.status();
    if (!status.ok) return tfjs(status.why);
    return { engine: native.engine, why: `${choice === 'auto' ? 'default' : 'asked for'}: the model's gradient graph runs there (${status.why})`, native };
  };
  /** Taps on the tape through the native engine, or null when it cannot serve them (then tfjs does). */
  const nativeTaps = (x: tf.Tensor, tensors: readonly string[], offset?: { name: string; delta: tf.Tensor }): tf.Tensor[] | null => {
    const route = gradientDepth() === 1 ? gradientRoute() : null;
    if (!route?.native) return null;
    const unique = [...new Set(tensors)];
    try {
      const outs = route.native.op(unique, offset?.name).apply(x, offset?.delta);
      const seen = new Set<number>();
      return tensors.map((t) => {
        const i = unique.indexOf(t);
        if (!seen.has(i)) return seen.add(i), outs[i];
        return outs[i].clone();
      });
    } catch (e) {
      // A graph the engine refuses (an op or attribute it does not take): tfjs from now on, said by inspect.
      nativeBroken = `${route.engine} failed on the gradient graph (${(e as Error).message.split('\n')[0]})`;
      native?.dispose();
      native = null;
      return null;
    }
  };
  const run = (native: tf.Tensor, tensors: readonly string[], offset?: { name: string; delta: tf.Tensor }): tf.Tensor[] => {
    if (recordingGradients()) {
      const taps = nativeTaps(native, tensors, offset);
      if (taps) return taps;
    }
    if (forward && !offset && !recordingGradients() && weightsAsLoaded()) {
      try {
        return runOn(forward, native, tensors, rowsPerRun);
      } catch {
        forward.dispose();
        forward = null;
      }
    }
    return execute(program, native, tensors, planCached(offset ? [...tensors, offset.name] : tensors), offset);
  };

  return {
    format: 'onnx',
    get forwardEngine() {
      return forward?.name ?? 'tfjs';
    },
    get gradientEngine() {
      return gradientRoute().engine;
    },
    get gradientEngineWhy() {
      return gradientRoute().why;
    },
    input,
    layers,
    metadata: meta,
    labels: meta.labels ?? null,
    logitsLayer,
    layer: (ref) => findLayer(layers, ref),
    activations: (x, names, offset?: LayerOffset) =>
      tapActivations(x, names, layers, input, (native, resolved) => {
        const ts = resolved.map(resolve);
        const off = offset ? { name: resolve(findLayer(layers, offset.layer).name), delta: offset.delta } : undefined;
        return run(native, ts, off);
      }),
    predict(x) {
      checkImages(x, input);
      return tf.tidy(() => run(toNative(x, input), [program.outputs[0]])[0]);
    },
    weightsOf(name) {
      const t = resolve(findLayer(layers, name).name);
      return program.steps[program.producer.get(t)!].compiled.weights ?? [];
    },
    dispose() {
      native?.dispose();
      native = null;
      forward?.dispose();
      forward = null;
      tf.dispose([...program.kept]);
    },
  };
}
