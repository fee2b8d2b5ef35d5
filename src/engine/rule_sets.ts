/**
 * Rule sets: backward rules for every op on the path from the input, chosen as the forward pass is
 * recorded — the mechanism of rules.ts (a backward rule in place of an op's gradient) for rules
 * that need more than a kernel's registry entry: which input lies on the path from the image (a
 * bias or a weight is a constant), which op came first (LRP's first-layer rule), which ops follow a
 * linear layer (a batch norm merged into the convolution before it), and the attributes of a fused
 * kernel. Layer-wise relevance propagation (Bach et al. 2015; lrp_rules.ts) and DeepLIFT's rescale
 * rule (Shrikumar et al. 2017; rescale_rules.ts) are rule sets.
 *
 * How: while a rule set is active (withRuleSet, called by rules.ts's withRules), a tape hook of the
 * engine fence (internals.ts; it acts in the stock mode too, as the registry swaps do) sees every
 * op tfjs records, tracks which tensors depend on the input, and hands each op on the path to the
 * set, which returns its VJP rule (or null: tfjs's own gradient). The op's node then carries that
 * rule under a name of its own (so tfjs's registry lookup does not replace it) and keeps clones of
 * the tensors the rule reads (the forward's own are freed when the forward's scope ends); tfjs
 * disposes them with the tape. The ONNX gradient builder can express the same sets: its VJP rules
 * see the same facts (the op, which inputs need a gradient, constants, the forward tensors).
 */
import * as tf from '@tensorflow/tfjs';
import { addKernelHook, addTapeHook, insideKernel, type TapeRecord } from './internals.js';

type Attrs = Record<string, unknown>;

/** One recorded op on the path, as a rule set sees it. */
export interface RecordedOp {
  /** The tfjs kernel ('Conv2D'), or for a fused op the kernel it runs ('FusedConv2D'). */
  readonly kernel: string;
  readonly inputs: Readonly<Record<string, tf.Tensor>>;
  readonly outputs: readonly tf.Tensor[];
  readonly attrs: Attrs;
  /** The inputs (by name) that depend on the input being explained. */
  readonly path: readonly string[];
  /** tfjs's own gradient of this op, over what it saved (for rules that fall back to it). */
  readonly stock: ((dy: tf.Tensor) => Record<string, () => tf.Tensor>) | null;
  /**
   * A clone of t kept for this op's backward pass (freed with its node): the forward's own tensors
   * are freed when the forward's scope ends. Callable later in the pass too (a merge into a layer).
   */
  keep(t: tf.Tensor): tf.Tensor;
}

/** A rule for one op: gradients for its path inputs, by name (a missing one is zero), from dy. */
export type OpRule = (dy: tf.Tensor) => Record<string, tf.Tensor>;

/** One pass of a rule set: its rule per op on the path (null: tfjs's gradient), with whatever state the set keeps across the pass. */
export interface RuleSession {
  rule(op: RecordedOp): OpRule | null;
}

export interface RuleSet {
  /** For messages and node names ('LRP', 'DeepLIFT'). */
  readonly name: string;
  /** A fresh session for one pass from `input`; `readers(t)`: how many ops on the path have read t so far. */
  start(input: tf.Tensor, readers: (t: tf.Tensor) => number): RuleSession;
}

/**
 * The tape name of a native engine's op (engine/native_gradient.ts): a whole model section whose
 * backward pass applies the active rules itself, so a rule set routes its gradient as it comes.
 */
export const NATIVE_TAPS = 'NativeTaps';

/** The kernels tfjs runs inside the fused ops (their attributes are not on the fused op's node). */
const FUSED_KERNELS: Readonly<Record<string, string>> = {
  fusedConv2d__op: 'FusedConv2D',
  fusedDepthwiseConv2d__op: 'FusedDepthwiseConv2D',
  fusedMatMul__op: '_FusedMatMul',
};

interface Active {
  readonly set: RuleSet;
  readonly session: RuleSession;
  readonly onPath: Set<number>;
  readonly readers: Map<number, number>;
}

let active: Active | null = null;
let cloning = false;
let pendingFused: { kernel: string; attrs: Attrs } | null = null;
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  addKernelHook(
    'rule sets: fused attributes',
    {
      after: (name, attrs) => {
        if (active && Object.values(FUSED_KERNELS).includes(name))
          pendingFused = { kernel: name, attrs };
      },
    },
    true,
  );
  addTapeHook('rule sets', (r) => (active && !cloning ? rewrite(active, r) : r), true);
}

/** A clone kept past the forward's scope (not itself recorded as a path op). */
function keepClone(t: tf.Tensor): tf.Tensor {
  cloning = true;
  try {
    return tf.keep(t.clone());
  } finally {
    cloning = false;
  }
}

function rewrite(a: Active, r: TapeRecord): TapeRecord {
  if (insideKernel()) return r;
  const names = Object.keys(r.inputs).filter((k) => r.inputs[k] != null);
  const path = names.filter((k) => a.onPath.has(r.inputs[k].id));
  const fused = FUSED_KERNELS[r.name];
  const attrs = fused && pendingFused?.kernel === fused ? pendingFused.attrs : (r.attrs ?? {});
  if (fused) pendingFused = null;
  if (path.length === 0) return r;
  for (const o of r.outputs) a.onPath.add(o.id);
  if (r.name === NATIVE_TAPS) return r;
  // A view of its input (tfjs's clone, named after the op that clones; a reshape) routes its gradient as is.
  if (
    r.outputs.length === 1 &&
    names.length === 1 &&
    r.outputs[0].dataId === r.inputs[names[0]].dataId
  )
    return r;
  for (const k of path) a.readers.set(r.inputs[k].id, (a.readers.get(r.inputs[k].id) ?? 0) + 1);
  const stockGradient =
    (tf.getGradient(r.name)?.gradFunc as unknown as TapeRecord['gradient']) ?? r.gradient ?? null;
  const saved: unknown[] = [...r.saved];
  const op: RecordedOp = {
    kernel: fused ?? r.name,
    inputs: r.inputs as Record<string, tf.Tensor>,
    outputs: r.outputs,
    attrs,
    path,
    stock: stockGradient ? (dy) => stockGradient(dy, r.saved as tf.Tensor[], attrs) : null,
    keep: (t) => {
      const c = keepClone(t);
      saved.push(c);
      return c;
    },
  };
  const rule = a.session.rule(op);
  if (rule == null) return r;
  const shapes = Object.fromEntries(names.map((k) => [k, r.inputs[k].shape]));
  const gradient: TapeRecord['gradient'] = (dy) => {
    const out = rule(Array.isArray(dy) ? dy[0] : dy);
    return Object.fromEntries(names.map((k) => [k, () => out[k] ?? tf.zeros(shapes[k])]));
  };
  return { ...r, name: `${r.name} (${a.set.name})`, gradient, saved, attrs };
}

/** Runs fn (which records and finishes its gradients synchronously) with `set`'s rules on every op on the path from `input`. */
export function withRuleSet<T>(set: RuleSet, input: tf.Tensor, fn: () => T): T {
  install();
  if (active)
    throw new Error(`rule set ${set.name} inside ${active.set.name}: rule sets do not nest`);
  const readers = new Map<number, number>();
  active = {
    set,
    session: set.start(input, (t) => readers.get(t.id) ?? 0),
    onPath: new Set([input.id]),
    readers,
  };
  try {
    return fn();
  } finally {
    active = null;
    pendingFused = null;
  }
}

/** tfjs's registered gradient of `kernel` applied to dy for input `wrt`, with the kernel's saved tensors taken from `inputs`/`outputs`. */
export function kernelVjp(
  kernel: string,
  inputs: Readonly<Record<string, tf.Tensor>>,
  outputs: readonly tf.Tensor[],
  attrs: Attrs,
  dy: tf.Tensor,
  wrt: string,
): tf.Tensor {
  const config = tf.getGradient(kernel);
  if (!config) throw new Error(`no gradient registered for ${kernel}`);
  const saved = [
    ...(config.inputsToSave ?? []).map((k) => inputs[k]),
    ...(config.outputsToSave ?? []).flatMap((on, i) => (on ? [outputs[i]] : [])),
  ];
  return config.gradFunc(dy, saved, attrs as tf.NamedAttrMap)[wrt]();
}

/** Sums t over the axes along which `shape` was broadcast to t's shape (a gradient back to a broadcast input). */
export function reduceTo(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape as number[], t.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape as number[]);
}
