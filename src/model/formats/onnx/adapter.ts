/**
 * VisModel over a compiled ONNX program. Every node output of rank 2 or 4 is a layer, named by its
 * PyTorch module path (naming.ts). Image maps are returned NHWC like every other format; a flat
 * tensor in PyTorch's (C, H, W) order. `relu:pre` (any activation node) reads the node's input.
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardRunner } from '../../../engine/forward_runner.js';
import { gradientEngineChoice } from '../../../engine/gradient_engine.js';
import { formatBytes, memoryBudget } from '../../../engine/memory.js';
import { gradientDepth, recordingGradients } from '../../../engine/tape.js';
import { activeRules, type BackwardRules } from '../../../engine/rules.js';
import { DeepvisError } from '../../../errors.js';
import { resolveInputSpec } from '../../input_spec.js';
import { CLS, findLayer, parseRef } from '../../layer_lookup.js';
import {
  mapToTokens,
  parseTokens,
  prefixDelta,
  prefixToken,
  tokensToMap,
  type TokenLayout,
} from '../../tokens.js';
import { checkImages, tapActivations, toNative } from '../../shape_check.js';
import type {
  DeepvisMetadata,
  InputOverrides,
  LayerInfo,
  LayerOffset,
  RuleSetName,
  RuleSetRoute,
  VisModel,
} from '../../types.js';
import { compile, type Program } from './compile.js';
import type { OnnxGraph } from './decode.js';
import { discoverLayers, type Tap } from './layers.js';
import { materialize, toNhwc, type RtMeta } from './layout.js';
import { PROBS } from './ops_attention.js';
import { OnnxGradients } from './grad/native.js';
import { AheadRuns } from './ahead.js';
import type { Weight } from './weights.js';

/** Models with at least this many bytes of weights make their tfjs weights on first use (onnx/weights.ts). */
export const WEIGHTS_LATER_BYTES = 32 << 20;

/**
 * How a tensor is shown to methods. 'map': NHWC maps (nhwc tensors, or logical NCHW ones) and flat
 * vectors; 'channels-last': a logical [B, H, W, C] (Swin's stages, ConvNeXt's permuted blocks);
 * 'tokens': a token layer's patch grid; 'cls': its class token; 'attention': probabilities
 * [B·heads, T, T] ('merged') or [B, heads, T, T], shown as [B, T, T, heads].
 */
export type View =
  | { readonly kind: 'map' | 'channels-last' }
  | { readonly kind: 'tokens'; readonly layout: TokenLayout }
  | { readonly kind: 'cls'; readonly layout: TokenLayout; readonly total: number }
  | { readonly kind: 'attention'; readonly heads: number; readonly merged: boolean };

const MAP: View = { kind: 'map' };

/**
 * The rule sets whose native support `inspect` reports, each with rules that exercise it: LRP's
 * support depends on the ops, not on the composite (ε everywhere here), DeepLIFT's likewise.
 */
const PROBE_EPSILON = { name: 'epsilon', epsilon: 1e-6 } as const;
const RULE_SET_PROBES: ReadonlyArray<{ name: RuleSetName; rules: BackwardRules }> = [
  {
    name: 'LRP',
    rules: {
      relu: 'gradient',
      relevance: {
        composite: { conv: PROBE_EPSILON, dense: PROBE_EPSILON, stabilizer: 1e-6 },
        from: null as never,
        title: 'LRP',
      },
    },
  },
  { name: 'DeepLIFT', rules: { relu: 'gradient', rescale: { from: null as never } } },
];

/** A logical (ONNX-order) tensor as methods see it. */
function present(l: tf.Tensor, view: View): tf.Tensor {
  switch (view.kind) {
    case 'map':
      return l.rank === 4 ? toNhwc(l) : l;
    case 'channels-last':
      return l;
    case 'tokens':
      return tokensToMap(l, view.layout);
    case 'cls':
      return prefixToken(l);
    case 'attention': {
      const [, t, s] = view.merged ? l.shape : l.shape.slice(1);
      return tf.transpose(view.merged ? l.reshape([-1, view.heads, t, s]) : l, [0, 2, 3, 1]);
    }
  }
}

/** A runtime tensor as methods see it. */
function tapForm(t: tf.Tensor, meta: RtMeta, view: View): tf.Tensor {
  if (view.kind === 'map' && meta.layout === 'nhwc') return t;
  return present(materialize(t, meta), view);
}

/** The inverse of tapForm for an offset added to a node's physical output. */
function physicalDelta(
  delta: tf.Tensor,
  meta: RtMeta,
  physicalShape: readonly number[],
  view: View,
): tf.Tensor {
  switch (view.kind) {
    case 'channels-last':
      return delta;
    case 'tokens':
      return mapToTokens(delta, view.layout);
    case 'cls':
      return prefixDelta(delta, view.total);
    case 'attention': {
      const back = tf.transpose(delta, [0, 3, 1, 2]);
      return view.merged ? back.reshape([-1, back.shape[2]!, back.shape[3]!]) : back;
    }
    default:
      break;
  }
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
function execute(
  p: Program,
  x: tf.Tensor,
  wanted: readonly Tap[],
  plan: Plan,
  offset?: { tap: Tap; delta: tf.Tensor },
): tf.Tensor[] {
  const env = new Map<string, tf.Tensor>([[p.inputName, x]]);
  const batch = x.shape[0];
  for (let k = 0; k < plan.steps.length; k++) {
    const s = p.steps[plan.steps[k]];
    // tidy: an op's own intermediates (a folded batch norm's product) go when the op returns.
    const result = tf.tidy(() =>
      s.compiled.run(
        s.reads.map((r) => (r ? env.get(r)! : null)),
        batch,
      ),
    );
    const outs = Array.isArray(result) ? result : [result];
    s.outputs.forEach((name, i) => {
      if (!name) {
        outs[i]?.dispose();
        return;
      }
      let out = outs[i];
      if (offset && offset.tap.tensor === name) {
        const d = physicalDelta(offset.delta, p.metas.get(name)!, out.shape, offset.tap.view);
        if (!tf.util.arraysEqual(d.shape, out.shape))
          throw new DeepvisError(
            `offset of shape [${offset.delta.shape.join(', ')}] does not fit layer '${name}'`,
          );
        const sum = out.add(d);
        out.dispose();
        out = sum;
      }
      env.set(name, out);
    });
    for (const name of plan.release[k]) release(env, name, x, keptOf(p));
  }
  return wanted.map((w) => tapForm(env.get(w.tensor)!, p.metas.get(w.tensor)!, w.view));
}

const keptSets = new WeakMap<Program, ReadonlySet<tf.Tensor>>();
/** The program's weights made so far, as a set (made again when a first use made more). */
const keptOf = (p: Program): ReadonlySet<tf.Tensor> => {
  let s = keptSets.get(p);
  if (!s || s.size !== p.store.kept.length) keptSets.set(p, (s = new Set(p.store.kept)));
  return s;
};

/** Drops `name`; disposes its tensor unless it is the caller's input, a weight, or shared by a live entry (Identity). */
function release(
  env: Map<string, tf.Tensor>,
  name: string,
  x: tf.Tensor,
  kept: ReadonlySet<tf.Tensor>,
): void {
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
  steps.forEach((i, k) => {
    for (const r of p.steps[i].reads) if (r) lastRead.set(r, k);
  });
  // An output nobody reads (a side branch of a tap plan) goes right after it is made.
  steps.forEach((i, k) => {
    for (const o of p.steps[i].outputs) if (o && !lastRead.has(o)) lastRead.set(o, k);
  });
  const keep = new Set([...wanted, p.inputName]);
  const release: string[][] = steps.map(() => []);
  for (const [name, k] of lastRead)
    if (!keep.has(name) && p.producer.has(name)) release[k].push(name);
  return { steps, release };
}

/**
 * The same taps computed by a forward runner (onnxruntime): the input goes over as NCHW floats,
 * maps come back NCHW and are turned NHWC; flat tensors are already in the logical order taps use.
 */
function runOn(
  runner: ForwardRunner,
  native: tf.Tensor,
  taps: readonly Tap[],
  rowsPerRun: number,
): tf.Tensor[] {
  const tensors = taps.map((t) => t.tensor);
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
    const outs = runner.run(
      { data: data.subarray(from * per, to * per), dims: [to - from, ...rest] },
      tensors,
    );
    parts.push(
      outs.map((o) => {
        if (!(o.data instanceof Float32Array)) throw new Error('not a float tensor');
        return tf.tensor(o.data, [...o.dims]);
      }),
    );
  }
  return taps.map((tap, i) => {
    const joined =
      parts.length === 1
        ? parts[0][i]
        : tf.concat(
            parts.map((p) => p[i]),
            0,
          );
    if (parts.length > 1) tf.dispose(parts.map((p) => p[i]));
    const shown = present(joined, tap.view);
    if (shown !== joined) joined.dispose();
    return shown;
  });
}

/** Taps through a gradient program's forward session: NHWC rows in, taps (ONNX order, unique) out, in runs of rowsPerRun. */
function runShared(
  f: (x: {
    data: Float32Array;
    dims: readonly number[];
  }) => Array<{ data: Float32Array; dims: readonly number[] }>,
  native: tf.Tensor,
  taps: readonly Tap[],
  rowsPerRun: number,
): tf.Tensor[] {
  const unique = [...new Set(taps.map((t) => t.tensor))];
  const data = native.dataSync() as Float32Array;
  const [n, ...rest] = native.shape;
  const per = data.length / n;
  const parts: tf.Tensor[][] = [];
  for (let from = 0; from < n; from += rowsPerRun) {
    const to = Math.min(n, from + rowsPerRun);
    parts.push(
      f({ data: data.subarray(from * per, to * per), dims: [to - from, ...rest] }).map((o) =>
        tf.tensor(o.data, [...o.dims]),
      ),
    );
  }
  const joined = unique.map((_, i) => {
    if (parts.length === 1) return parts[0][i];
    const c = tf.concat(
      parts.map((p) => p[i]),
      0,
    );
    tf.dispose(parts.map((p) => p[i]));
    return c;
  });
  const given = new Set<tf.Tensor>();
  const shown = taps.map((t) => {
    const v = present(joined[unique.indexOf(t.tensor)], t.view);
    const out = given.has(v) ? v.clone() : v;
    given.add(out);
    return out;
  });
  for (const j of joined) if (!given.has(j)) j.dispose();
  return shown;
}

/**
 * A graph that runs only at its declared batch size n: the rows go in chunks of n (the last one
 * padded by repeating its final row), results are cut back and joined. An offset goes with its rows.
 */
function inChunks(
  x: tf.Tensor,
  n: number,
  delta: tf.Tensor | undefined,
  run: (x: tf.Tensor, d?: tf.Tensor) => tf.Tensor[],
): tf.Tensor[] {
  const rows = x.shape[0];
  const parts: tf.Tensor[][] = [];
  for (let from = 0; from < rows; from += n) {
    const take = Math.min(n, rows - from);
    const pad = (t: tf.Tensor) => {
      const part = tf.slice(t, from, take);
      return take === n
        ? part
        : tf.concat([part, ...Array(n - take).fill(tf.slice(part, take - 1, 1))]);
    };
    const outs = run(pad(x), delta ? pad(delta) : undefined);
    parts.push(outs.map((o) => (take === n ? o : tf.slice(o, 0, take))));
  }
  return parts[0].map((_, i) =>
    parts.length === 1
      ? parts[0][i]
      : tf.concat(
          parts.map((p) => p[i]),
          0,
        ),
  );
}

/** Bytes one image's layer outputs take (an estimate of a forward pass's working set per row). */
const bytesPerRow = (layers: readonly LayerInfo[]) =>
  4 * layers.reduce((a, l) => a + l.outputShape.reduce((x, y) => x * y, 1), 0);
/** A forward run on the runner holds at most this much of layer outputs (rows × bytesPerRow); DEEPVIS_RUN_MB overrides. */
const runBudget = () => {
  const mb = Number(typeof process === 'undefined' ? undefined : process.env?.DEEPVIS_RUN_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : 96) * 2 ** 20;
};

/** Steps needed for `wanted`, in graph order. */
function planFor(p: Program, wanted: readonly string[]): number[] {
  // An explicit stack, not recursion: a 100,000-node chain is as deep as it is long.
  const need = new Set<number>();
  const stack = [...wanted];
  while (stack.length) {
    const i = p.producer.get(stack.pop()!);
    if (i == null || need.has(i)) continue;
    need.add(i);
    for (const r of p.steps[i].reads) if (r) stack.push(r);
  }
  return [...need].sort((a, b) => a - b);
}

/**
 * `runner`, when given, runs forwards that no gradient records and no offset changes; if it ever
 * fails (an op or type it does not take), the model falls back to tfjs for good.
 */
export function fromOnnxGraph(
  graph: OnnxGraph,
  source: string,
  meta: DeepvisMetadata,
  overrides: InputOverrides,
  runner: ForwardRunner | null = null,
  noRunner = 'no native engine was given',
  /** Weights of at least this many bytes in all wait for a tfjs path (with a runner that re-reads the file). */
  weightsLaterBytes = WEIGHTS_LATER_BYTES,
): VisModel {
  const declared = graph.inputs[0]?.dims ?? [];
  if (declared.length !== 4) {
    throw new DeepvisError(
      `${source}: deepvis needs an image input [N, C, H, W]; this model's input is [${declared.map((d) => d ?? '?').join(', ')}]`,
    );
  }
  const fromFlag = overrides.shape ?? meta.imageShape;
  const [c, h, w] = [
    declared[1] ?? fromFlag?.[2],
    declared[2] ?? fromFlag?.[0],
    declared[3] ?? fromFlag?.[1],
  ];
  if (c == null || h == null || w == null) {
    throw new DeepvisError(
      `${source}: the input's size is symbolic ([N, ${declared
        .slice(1)
        .map((d) => d ?? '?')
        .join(', ')}]); pass --input-shape H,W,C`,
    );
  }
  const budget = memoryBudget();
  if ([c, h, w].some((d) => !Number.isSafeInteger(d) || d < 1) || c * h * w * 4 > budget) {
    throw new DeepvisError(
      `${source}: an input of [N, ${c}, ${h}, ${w}] would take ${formatBytes(c * h * w * 4)} per image, more than the memory budget of ${formatBytes(budget)}`,
    );
  }
  // Weights that only a tfjs path reads wait for it when onnxruntime runs the passes and can read
  // the file again: a large model's tfjs copy is often never used.
  const initializerBytes = [...graph.initializers.values()].reduce(
    (n, t) => n + 4 * t.dims.reduce((a, b) => a * b, 1),
    0,
  );
  const reread =
    runner?.graphs && initializerBytes >= weightsLaterBytes ? runner.graphs.modelBytes : null;
  const program = compile(graph, source, [1, c, h, w], declared[0] ?? null, reread);
  const input = resolveInputSpec(
    [h, w, c],
    meta,
    overrides.shape ? { ...overrides, shape: [h, w, c] } : overrides,
  );

  const sidecar = meta.tokens
    ? {
        ...parseTokens(meta.tokens, `${source}'s deepvis.json "tokens"`),
        source: 'sidecar' as const,
      }
    : null;
  const { layers, taps, transformer, unresolved } = discoverLayers(
    program,
    overrides,
    sidecar,
    source,
  );
  const lookup = (ref: string | number): LayerInfo => {
    try {
      return findLayer(layers, ref);
    } catch (e) {
      const t = typeof ref === 'string' ? unresolved.get(ref) : undefined;
      if (t == null) throw e;
      throw new DeepvisError(
        `layer '${ref}' holds ${t} tokens whose patch grid deepvis cannot tell; pass --tokens prefix=N,grid=HxW (or "tokens" in deepvis.json)`,
      );
    }
  };
  // `name:pre` of an activation node is the tensor it reads; `name:cls` the class token.
  const resolve = (layer: string): Tap => {
    if (layer.endsWith(CLS)) {
      const base = resolve(layer.slice(0, -CLS.length));
      if (base.view.kind !== 'tokens')
        throw new DeepvisError(`layer '${layer}' is not a token layer`);
      const { layout } = base.view;
      return {
        tensor: base.tensor,
        view: { kind: 'cls', layout, total: layout.prefix + layout.grid[0] * layout.grid[1] },
      };
    }
    const ref = parseRef(layer);
    const tap = taps.get(ref.name)!;
    if (!ref.pre) return tap;
    return {
      tensor: program.steps[program.producer.get(tap.tensor)!].reads.find((r) => r) ?? tap.tensor,
      view: tap.view,
    };
  };
  const tensorOf = (name: string) => taps.get(name)?.tensor;
  const last = program.steps[program.producer.get(program.outputs[0])!];
  // Pre-softmax scores: what a final Softmax reads, or the output itself when a linear layer makes it.
  const linearOut =
    ['Gemm', 'MatMul'].includes(last.node.op) &&
    program.metas.get(last.output)!.logical.length === 2;
  const logitsTensor =
    last.node.op === 'Softmax' ? last.reads.find((r) => r) : linearOut ? last.output : undefined;
  const logitsLayer =
    meta.logitsLayer ?? layers.find((l) => tensorOf(l.name) === logitsTensor)?.name ?? null;
  const plans = new Map<string, Plan>();
  const planCached = (ts: readonly string[]): Plan => {
    const key = ts.join('\u0000');
    let plan = plans.get(key);
    if (!plan) plans.set(key, (plan = planWithRelease(program, ts)));
    return plan;
  };

  const weightsAt = (name: string): readonly Weight[] =>
    program.steps[program.producer.get(resolve(lookup(name).name).tensor)!].compiled.weights ?? [];
  let forward = runner;
  /** Whether this model's passes may run on the native engine (useEngine). */
  let nativeOn = true;
  const rowsPerRun = Math.max(1, Math.floor(runBudget() / bytesPerRow(layers)));
  // The runner holds its own copy of the weights: once deepvis edits one in place (MPRT's
  // randomization rebinds a weight's data), forwards go to tfjs, which sees the edit.
  const weightsAsLoaded = () => program.store.asLoaded();
  // Gradients: the model's gradient graph on the runner's engine, as one op on tfjs's tape.
  const facts = { nodes: graph.nodes, opset: graph.opset, inputName: program.inputName };
  // Native runs of a graph with a fixed batch go at exactly that batch (run() chunks the rows to it).
  const nativeRows = program.fixedBatch ?? rowsPerRun;
  let grads = runner?.graphs
    ? new OnnxGradients(runner.name, runner.graphs, facts, program, nativeRows)
    : null;
  let nativeBroken = runner && !runner.graphs ? `${runner.name} runs no gradient graphs` : '';
  /** Why a rule set's last pass that could not run natively stayed on tfjs, by set. */
  const ruleSetFallback = new Map<RuleSetName, string>();
  /** Where each rule set's passes run for the model's output, and why (for inspect). */
  const ruleSetRoutes = (): RuleSetRoute[] => {
    const route = gradientRoute();
    return RULE_SET_PROBES.map(({ name, rules }) => {
      const seen = ruleSetFallback.get(name);
      if (!route.native) return { name, engine: 'tfjs', why: route.why };
      const s = route.native.supports(program.outputs, undefined, rules);
      if (!s.ok) return { name, engine: 'tfjs', why: s.why };
      return {
        name,
        engine: route.engine,
        why: seen ? `for the output; a tap stayed on tfjs: ${seen}` : 'every op has a rule',
      };
    });
  };
  const gradientRoute = (): { engine: string; why: string; native: OnnxGradients | null } => {
    const tfjs = (why: string) => ({ engine: 'tfjs', why, native: null });
    const choice = gradientEngineChoice();
    if (choice === 'tfjs')
      return tfjs('gradient engine set to tfjs (--gradients / DEEPVIS_GRADIENTS)');
    if (!nativeOn) return tfjs('this model is set to tfjs (useEngine)');
    if (!runner) return tfjs(noRunner);
    if (!grads) return tfjs(nativeBroken);
    if (!weightsAsLoaded())
      return tfjs("the weights were changed after loading; onnxruntime has the file's");
    const status = grads.status();
    if (!status.ok) return tfjs(status.why);
    return {
      engine: grads.engine,
      why: `${choice === 'auto' ? 'default' : 'asked for'}: the model's gradient graph runs there (${status.why})`,
      native: grads,
    };
  };
  // Gradients run ahead of the tape on an asynchronous engine (ahead.ts): the taps and image as
  // nativeTaps below hands them to the op.
  const ahead = new AheadRuns({
    native: () => gradientRoute().native,
    taps: (names) => {
      const wanted = names.map((n) => resolve(lookup(n).name));
      // An Attention node's probabilities are deepvis's own output, not a tensor of the file.
      if (wanted.some((t) => t.tensor.endsWith(PROBS))) return null;
      return [...new Set(wanted.map((t) => t.tensor))];
    },
    nativeImage: (x) => tf.tidy(() => toNative(x(), input)),
    fixedBatch: program.fixedBatch ?? null,
  });
  /**
   * Taps on the tape through the native engine, or null when it cannot serve them (then tfjs does):
   * the graph gives logical (ONNX-order) tensors, shown to methods by tfjs ops the tape differentiates.
   */
  const nativeTaps = (
    x: tf.Tensor,
    wanted: readonly Tap[],
    offset?: { tap: Tap; delta: tf.Tensor },
  ): tf.Tensor[] | null => {
    // Recorded at depth 1 (a second-order gradient stays on tfjs), or a forward with an offset that
    // no gradient records (CRAFT's and TCAV's h = layer → logits): the program's forward session.
    const route =
      gradientDepth() === 1 || (offset && !recordingGradients()) ? gradientRoute() : null;
    // An Attention node's probabilities are deepvis's own output, not a tensor of the file.
    if (
      !route?.native ||
      [...wanted, ...(offset ? [offset.tap] : [])].some((t) => t.tensor.endsWith(PROBS))
    )
      return null;
    const unique = [...new Set(wanted.map((t) => t.tensor))];
    // Rule sets (LRP's relevance, DeepLIFT's rescale) run natively where the graph has a rule for
    // every op on the path; otherwise that pass stays on tfjs's tape, which applies them per op.
    const rules = activeRules();
    if (rules.relevance || rules.rescale) {
      const s = route.native.supports(unique, offset?.tap.tensor, rules);
      if (!s.ok) {
        ruleSetFallback.set(rules.relevance ? 'LRP' : 'DeepLIFT', s.why);
        return null;
      }
    }
    let logical: tf.Tensor[];
    try {
      const delta = offset
        ? physicalDelta(offset.delta, { layout: 'plain', logical: [] }, [], offset.tap.view)
        : undefined;
      logical = route.native.op(unique, offset?.tap.tensor).apply(x, delta);
      if (delta && delta !== offset!.delta) delta.dispose();
    } catch (e) {
      // A graph the engine refuses (an op or attribute it does not take): tfjs from now on, said by inspect.
      nativeBroken = `${route.engine} failed on the gradient graph (${(e as Error).message.split('\n')[0]})`;
      grads?.dispose();
      grads = null;
      return null;
    }
    const given = new Set<tf.Tensor>();
    const shown = wanted.map((t) => {
      const l = logical[unique.indexOf(t.tensor)];
      const v = present(l, t.view);
      const out = given.has(v) ? v.clone() : v;
      given.add(out);
      return out;
    });
    for (const l of logical) if (!given.has(l)) l.dispose();
    return shown;
  };
  const run = (
    native: tf.Tensor,
    wanted: readonly Tap[],
    offset?: { tap: Tap; delta: tf.Tensor },
  ): tf.Tensor[] => {
    const fixed = program.fixedBatch;
    if (fixed != null && native.shape[0] !== fixed)
      return inChunks(native, fixed, offset?.delta, (x, d) =>
        run(x, wanted, offset && d ? { tap: offset.tap, delta: d } : undefined),
      );
    if (recordingGradients()) {
      const taps = nativeTaps(native, wanted, offset);
      if (taps) return taps;
    }
    // An Attention node's probabilities are deepvis's own output: onnxruntime does not have it.
    const own = wanted.some((t) => t.tensor.endsWith(PROBS));
    // Taps a gradient program already serves: its forward session (no second copy of the weights).
    const shared =
      grads && nativeOn && !offset && !own && !recordingGradients() && weightsAsLoaded()
        ? grads.forwardOnly([...new Set(wanted.map((t) => t.tensor))])
        : null;
    if (shared) return runShared(shared, native, wanted, nativeRows);
    if (offset && !recordingGradients()) {
      const taps = nativeTaps(native, wanted, offset);
      if (taps) return taps;
    }
    if (forward && nativeOn && !offset && !own && !recordingGradients() && weightsAsLoaded()) {
      try {
        return runOn(forward, native, wanted, rowsPerRun);
      } catch {
        forward.dispose();
        forward = null;
      }
    }
    const names = wanted.map((t) => t.tensor);
    return execute(
      program,
      native,
      wanted,
      planCached(offset ? [...names, offset.tap.tensor] : names),
      offset,
    );
  };

  return {
    format: 'onnx',
    get forwardEngine() {
      return (nativeOn && forward?.name) || 'tfjs';
    },
    useEngine(engine) {
      nativeOn = engine === 'native';
    },
    get gradientEngine() {
      return gradientRoute().engine;
    },
    get gradientEngineWhy() {
      return gradientRoute().why;
    },
    get ruleSetEngines() {
      return ruleSetRoutes();
    },
    gradientGraph(layer, rules = { relu: 'gradient' }) {
      const info = lookup(layer);
      const tap = resolve(info.name);
      if (!grads || !runner) throw new DeepvisError(`${source}: ${nativeBroken || noRunner}`);
      const l = program.metas.get(tap.tensor)!.logical;
      const kind = tap.view.kind;
      const seedAt: ((u: number, n?: readonly [number, number]) => number) | null =
        kind === 'map' && l.length === 2
          ? (u) => u
          : kind === 'map' && l.length === 4
            ? (u, n = [0, 0]) => (u * l[2] + n[1]) * l[3] + n[0]
            : kind === 'channels-last' && l.length === 4
              ? (u, n = [0, 0]) => (n[1] * l[2] + n[0]) * l[3] + u
              : null;
      if (!seedAt)
        throw new DeepvisError(
          `layer '${info.name}' (${kind}) has no gradient graph of its own; its gradients run on the tape`,
        );
      const g = grads.fusedGraph([tap.tensor], rules);
      const seedShape = [1, ...l.slice(1)];
      const size = seedShape.reduce((a, b) => a * b, 1);
      return {
        bytes: g.bytes,
        external: g.external,
        input: g.x,
        seedName: g.dys[0],
        seedShape,
        output: g.dx,
        seed(unit, neuron) {
          const s = new Float32Array(size);
          s[seedAt(unit, neuron)] = 1;
          return s;
        },
      };
    },
    useAsyncGraphs(engine) {
      ahead.use(engine);
    },
    get ahead() {
      return ahead.stats;
    },
    gradientAhead(names, image) {
      return recordingGradients() ? null : ahead.prepare(names, image);
    },
    input,
    layers,
    metadata: meta,
    labels: meta.labels ?? null,
    logitsLayer,
    transformer,
    layer: lookup,
    activations: (x, names, offset?: LayerOffset) => {
      names.forEach((n) => lookup(n));
      return tapActivations(x, names, layers, input, (native, resolved) => {
        const off = offset
          ? { tap: resolve(lookup(offset.layer).name), delta: offset.delta }
          : undefined;
        return run(native, resolved.map(resolve), off);
      });
    },
    predict(x) {
      checkImages(x, input);
      return tf.tidy(() => run(toNative(x, input), [{ tensor: program.outputs[0], view: MAP }])[0]);
    },
    weightsOf(name) {
      return weightsAt(name).map((w) => w.get());
    },
    weightShapes(name) {
      return weightsAt(name).map((w) => [...w.shape]);
    },
    dispose() {
      grads?.dispose();
      grads = null;
      forward?.dispose();
      forward = null;
      program.store.dispose();
      for (const s of program.steps) s.compiled.dispose?.();
    },
  };
}
