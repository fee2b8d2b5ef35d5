/**
 * Layer-wise relevance propagation in the gradient graph (Bach et al. 2015; Zennit's composites,
 * Anders et al. 2021; AttnLRP, Achtibat et al. 2024): the ONNX side of engine/lrp_rules.ts, so that
 * lrp-* maps of ONNX models run on onnxruntime. Relevance, not a gradient, flows back from the
 * taps; each node on the path gets the rule the tfjs rule set gives the kernels the importer runs
 * for it, so both engines give the same maps:
 * - Conv, Gemm and MatMul with constant weights: the composite's rule for their kind (conv, dense;
 *   the first linear layer on the path its own rule), through the layer's forward and its input
 *   gradient with modified weights (lrp_linear.ts's rules, over its algebra on nodes);
 * - canonizers: a batch norm, or an Add/Sub/Mul/Div with a per-channel constant, that follows a
 *   linear layer (whose output it alone reads) is merged into it and passes relevance through;
 * - sums of paths, average pools and means: relevance split in proportion to the terms;
 * - activations and ops with a constant: relevance passes (a bias-like constant added after the
 *   first layer takes its share); moves, max pooling: routed as the gradient routes it;
 * - attention: softmax outputs are constants (A·V splits relevance to V alone, the softmax gets
 *   none); a product of a tensor with a smaller one (LayerNorm's 1/σ) or a quotient treats the other
 *   as constant; a product of two equal-shaped paths splits evenly (GELU: the identity rule);
 *   LayerNormalization is its importer's decomposition (mean, centring, scale as a constant);
 * - an op without a rule here (or whose importer form the tfjs set sees otherwise: a grouped
 *   convolution, a tanh GELU) fails the build: that pass stays on tfjs and `inspect` says why.
 * Which layer is first, which tensors are attention weights and which merges hold are planned in
 * one forward walk (planLrp), as the tfjs rule set decides them while the forward is recorded.
 */
import type { LrpComposite, LrpRule } from '../../../../engine/lrp_rules.js';
import { linearRelevance, type RelevanceOps } from '../../../../engine/lrp_linear.js';
import type { GNode } from './graph.js';
import { convBack } from './vjp_nn.js';
import { reduceMean, reduceSum } from './vjp_shape.js';
import type { Vjp, VjpRule, VjpTable } from './vjp_types.js';

/** The forward nodes on the way to the taps, in graph order, as a rule set plans over them. */
export interface ForwardPath {
  readonly nodes: readonly GNode[];
  /** Whether a tensor depends differentiably on the image. */
  onPath(t: string): boolean;
  /** Static shape of a tensor or constant, when known. */
  shape(t: string): readonly number[] | undefined;
}

/** A per-channel op merged into the linear layer before it: z = s·u + t. */
type Merge =
  | {
      readonly kind: 'bn';
      readonly reads: string;
      readonly node: GNode;
    }
  | {
      readonly kind: 'add' | 'sub' | 'rsub' | 'mul' | 'div';
      readonly reads: string;
      readonly c: string;
    };

interface Layer {
  readonly channels: number;
  readonly merges: Merge[];
}

type Plan =
  | {
      readonly kind: 'linear';
      readonly rule: LrpRule;
      readonly first: boolean;
      readonly layer: Layer | null;
    }
  | { readonly kind: 'pass'; readonly input: number }
  | { readonly kind: 'route' }
  | { readonly kind: 'zero' }
  | { readonly kind: 'proportional'; readonly inputs: readonly number[]; readonly factor: number }
  | { readonly kind: 'uniform' }
  | { readonly kind: 'layernorm'; readonly share: boolean }
  | { readonly kind: 'fail'; readonly why: string };

/** One-input ops whose relevance passes unchanged (Zennit's Pass): activations and the like. */
const PASS = new Set([
  'Relu',
  'Clip',
  'Elu',
  'Selu',
  'LeakyRelu',
  'PRelu',
  'Sigmoid',
  'Tanh',
  'Softplus',
  'HardSigmoid',
  'HardSwish',
  'Erf',
  'Exp',
  'Log',
  'Sqrt',
  'Abs',
  'Neg',
  'Sin',
  'Cos',
  'Reciprocal',
  'Pow',
]);
/** Ops that route relevance as the gradient routes it (the tfjs set's ROUTE kernels). */
const ROUTE = new Set([
  'Transpose',
  'Slice',
  'Split',
  'Concat',
  'Gather',
  'GatherElements',
  'Pad',
  'Tile',
  'Expand',
  'Cast',
  'MaxPool',
  'GlobalMaxPool',
  'ReduceMax',
  'ReduceMin',
  'Max',
  'Min',
  'Where',
  'DepthToSpace',
  'SpaceToDepth',
]);
/** Reshapes: tfjs runs them as views of their input's data, which its rule set does not see. */
const VIEW = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
/** The same tensor in tfjs (the importer returns its input). */
const SAME = new Set(['Identity', 'Dropout']);
/** Moves that keep a softmax's output attention weights (the tfjs set's VIEW kernels that copy). */
const ATTENTION_VIEW = new Set(['Transpose', 'Slice', 'Split', 'Concat', 'Cast']);
const PROPORTIONAL = new Set([
  'AveragePool',
  'GlobalAveragePool',
  'ReduceMean',
  'ReduceSum',
  'Sum',
]);
const MERGEABLE = new Set(['Add', 'Sub', 'Mul', 'Div', 'BatchNormalization']);

/** A node's key in a plan: its first output's name. */
export const keyOf = (node: { readonly outputs: readonly string[] }): string =>
  node.outputs.find((o) => o) ?? '';

const size = (s: readonly number[] | undefined) => (s ? s.reduce((a, b) => a * b, 1) : 0);

/**
 * The LRP plan of every node on the path: its rule, with the layer facts (first, merges) and the
 * attention marks decided in graph order, as the tfjs rule set decides them while recording.
 */
export function planLrp(composite: LrpComposite, path: ForwardPath): Map<string, Plan> {
  const plans = new Map<string, Plan>();
  const layers = new Map<string, Layer>();
  const attention = new Set<string>();
  // What a tensor is in tfjs: Identity and Dropout return their input itself.
  const alias = new Map<string, string>();
  const same = (t: string) => alias.get(t) ?? t;
  const readers = new Map<string, number>();
  const merge = composite.merge ?? true;
  let firstSeen = false;
  let firstSeenAny = false;

  for (const node of path.nodes) {
    const onPath = node.inputs.flatMap((t, i) => (t && path.onPath(t) ? [i] : []));
    if (onPath.length === 0) continue;
    const op = node.op;
    const ins = node.inputs.map((t) => (t ? same(t) : t));
    const out = node.outputs[0];
    const isAttention = (i: number) => attention.has(ins[i]);
    if (SAME.has(op)) {
      alias.set(out, ins[0]);
      plans.set(keyOf(node), { kind: 'route' });
      continue;
    }
    if (VIEW.has(op)) {
      plans.set(keyOf(node), { kind: 'route' });
      continue;
    }
    for (const i of onPath) readers.set(ins[i], (readers.get(ins[i]) ?? 0) + 1);
    if (op === 'Softmax' || (ATTENTION_VIEW.has(op) && onPath.some(isAttention)))
      for (const o of node.outputs) if (o) attention.add(o);
    const plan = (p: Plan) => plans.set(keyOf(node), p);
    const fail = (why: string) => plan({ kind: 'fail', why });

    const kind = linearKind(node, onPath, path);
    if (typeof kind === 'string') {
      fail(kind);
      continue;
    }
    if (kind) {
      firstSeenAny = true;
      const first =
        !firstSeen && composite.first != null && (composite.firstKind ?? kind.kind) === kind.kind;
      if (first) firstSeen = true;
      const rule = first ? composite.first! : composite[kind.kind];
      const layer = merge && kind.registers ? { channels: kind.channels, merges: [] } : null;
      if (layer) layers.set(out, layer);
      plan({ kind: 'linear', rule, first, layer });
      continue;
    }
    if (op === 'MatMul' && onPath.length === 2) {
      // Attention weights are constants (CP-LRP); two other paths share evenly.
      if (isAttention(0) !== isAttention(1))
        plan({ kind: 'proportional', inputs: [isAttention(0) ? 1 : 0], factor: 1 });
      else plan({ kind: 'proportional', inputs: [0, 1], factor: 0.5 });
      continue;
    }
    if (op === 'Softmax' || op === 'LogSoftmax') {
      plan({ kind: 'zero' });
      continue;
    }
    if (ROUTE.has(op)) {
      plan({ kind: 'route' });
      continue;
    }
    if (op === 'Gelu') {
      // x·Φ(x) as the importer writes it: the even split of the product, then the identity.
      if ((node.decoded?.attrs.get('approximate') ?? 'none') !== 'none')
        fail("the tanh GELU's importer form sums two paths");
      else plan({ kind: 'pass', input: 0 });
      continue;
    }
    if (op === 'LayerNormalization') {
      if (onPath.length !== 1 || onPath[0] !== 0) {
        fail('a computed scale or bias');
        continue;
      }
      const bias = node.inputs[2];
      plan({
        kind: 'layernorm',
        share: Boolean(bias) && firstSeenAny && size(path.shape(bias)) > 1,
      });
      continue;
    }
    if (onPath.length === 1 && (PASS.has(op) || MERGEABLE.has(op))) {
      const i = onPath[0];
      const layer = layers.get(ins[i]);
      if (layer && MERGEABLE.has(op)) {
        const m = mergeOf(node, i, ins[i], layer.channels, path);
        if (m) {
          layer.merges.push(m);
          layers.delete(ins[i]);
          layers.set(out, layer);
          plan({ kind: 'pass', input: i });
          continue;
        }
      }
      // A bias-like constant (more than one value) added after the first layer takes its share.
      const other = node.inputs.findIndex((t, k) => k !== i && t);
      if (
        (op === 'Add' || op === 'Sub') &&
        firstSeenAny &&
        other >= 0 &&
        size(path.shape(node.inputs[other])) > 1
      )
        plan({ kind: 'proportional', inputs: [i], factor: 1 });
      else plan({ kind: 'pass', input: i });
      continue;
    }
    if (
      PROPORTIONAL.has(op) ||
      ((op === 'Add' || op === 'Sub') && onPath.length === 2 && node.inputs.length === 2)
    ) {
      if (op === 'Sum' && node.inputs.length > 2)
        fail('a sum of more than two terms (the importer adds them in turn)');
      else plan({ kind: 'proportional', inputs: onPath, factor: 1 });
      continue;
    }
    if ((op === 'Mul' || op === 'Div') && onPath.length === 2) {
      const [a, b] = [0, 1].map((k) => size(path.shape(node.inputs[k])));
      const constant =
        isAttention(0) !== isAttention(1)
          ? isAttention(0)
            ? 0
            : 1
          : op === 'Div'
            ? 1
            : a === b
              ? null
              : a < b
                ? 0
                : 1;
      if (constant == null) plan({ kind: 'uniform' });
      else plan({ kind: 'pass', input: 1 - constant });
      continue;
    }
    fail(`no LRP rule for this op`);
  }
  // Merges hold while every tensor they read has one reader on the path (the tfjs set counts
  // them when the pass runs); the builder's taps are Identity nodes, not readers.
  for (const p of plans.values()) {
    if (p.kind !== 'linear' || !p.layer) continue;
    const valid = p.layer.merges.findIndex((m) => (readers.get(m.reads) ?? 0) !== 1);
    if (valid >= 0) p.layer.merges.length = valid;
  }
  return plans;
}

interface LinearKind {
  readonly kind: 'conv' | 'dense';
  /** Whether merges may follow: the importer's product output is the op's (not a reshape of it). */
  readonly registers: boolean;
  readonly channels: number;
}

/** A linear layer on the path (null: not one), or why the tfjs set would see it otherwise. */
function linearKind(
  node: GNode,
  onPath: readonly number[],
  path: ForwardPath,
): LinearKind | string | null {
  const out = path.shape(node.outputs[0]);
  const attr = <T>(k: string, d: T) => (node.decoded?.attrs.get(k) as T | undefined) ?? d;
  const only0 = onPath.length === 1 && onPath[0] === 0;
  if (node.op === 'Conv') {
    if (!only0) return 'computed convolution weights';
    const w = path.shape(node.inputs[1]);
    const group = attr('group', 1);
    if (group > 1 && w && w[1] !== 1)
      return 'a grouped convolution (the importer runs one convolution per group)';
    return { kind: 'conv', registers: true, channels: out?.[1] ?? 0 };
  }
  if (node.op === 'Gemm') {
    if (!only0) return onPath.includes(1) ? 'a product with computed weights' : null;
    if (attr('transA', 0)) return 'a Gemm with transA';
    const c = node.inputs[2];
    const n = out?.[1] ?? 0;
    if (c && size(path.shape(c)) !== n && size(path.shape(c)) !== 1)
      return 'a Gemm whose bias is not one value per output';
    return { kind: 'dense', registers: true, channels: n };
  }
  if (node.op === 'MatMul' && onPath.length === 1) {
    if (onPath[0] !== 0) return 'a product with its weights on the left';
    const w = path.shape(node.inputs[1]);
    if (!w || w.length !== 2) return 'a product with a weight of rank other than 2';
    const a = path.shape(node.inputs[0]);
    return { kind: 'dense', registers: a?.length === 2, channels: w[1] };
  }
  return null;
}

/** The merge a per-channel op with a constant makes, its path being input i (null: not per channel). */
function mergeOf(
  node: GNode,
  i: number,
  reads: string,
  channels: number,
  path: ForwardPath,
): Merge | null {
  if (node.op === 'BatchNormalization') {
    if ((node.decoded?.attrs.get('training_mode') as number | undefined) === 1) return null;
    return { kind: 'bn', reads, node };
  }
  const other = node.inputs[1 - i];
  const out = path.shape(node.outputs[0]);
  const c = path.shape(other);
  if (!out || !c || node.inputs.length !== 2) return null;
  // One value, or one per channel on the channel axis (1 for images, the last axis otherwise).
  const axis = out.length === 4 ? 1 : out.length - 1;
  const at = axis - (out.length - c.length);
  const perChannel =
    size(c) === 1 || (size(c) === channels && at >= 0 && c[at] === channels && channels > 0);
  if (!perChannel) return null;
  switch (node.op) {
    case 'Add':
      return { kind: 'add', reads, c: other };
    case 'Sub':
      return { kind: i === 0 ? 'sub' : 'rsub', reads, c: other };
    case 'Mul':
      return { kind: 'mul', reads, c: other };
    case 'Div':
      return i === 0 ? { kind: 'div', reads, c: other } : null;
    default:
      return null;
  }
}

/** A Vjp whose gradient arriving at output 0 is g (a rule's quotient sent through the stock VJP). */
function withDy(v: Vjp, g: string): Vjp {
  return Object.create(v, {
    dy: { value: g },
    dyOf: { value: (k: number) => (k === 0 ? g : null) },
  }) as Vjp;
}

/** z + e·sign(z), sign 0 = +1 (Zennit's Stabilizer), then r / that, 0 where it is 0. */
function share(v: Vjp, z: string, r: string, e: number): string {
  const d = v.op('Add', [
    z,
    v.op('Where', [
      v.op('GreaterOrEqual', [z, v.floats([0], [])]),
      v.floats([e], []),
      v.floats([-e], []),
    ]),
  ]);
  const zero = v.op('Equal', [d, v.floats([0], [])]);
  return v.op('Where', [zero, v.floats([0], []), v.op('Div', [r, d])]);
}

/** lrp_linear.ts's algebra on ONNX nodes (tensor names). */
function nodeOps(v: Vjp): RelevanceOps<string> {
  const zero = () => v.floats([0], []);
  return {
    pos: (t) => v.op('Relu', [t]),
    neg: (t) => v.op('Min', [t, zero()]),
    add: (a, b) => v.op('Add', [a, b]),
    sub: (a, b) => v.op('Sub', [a, b]),
    mul: (a, b) => v.op('Mul', [a, b]),
    times: (t, k) => v.op('Mul', [t, v.floats([k], [])]),
    onesLike: (t) =>
      v.op('ConstantOfShape', [v.op('Shape', [t])], {
        value: { dims: [1], dtype: 'float32', data: Float32Array.of(1) },
      }),
    where: (z, sign) => v.op('Cast', [v.op(sign > 0 ? 'Greater' : 'Less', [z, zero()])], { to: 1 }),
    share: (z, r, e) => share(v, z, r, e),
    expand: (t, like) => v.op('Expand', [t, v.op('Shape', [like])]),
  };
}

const BIG = 2 ** 62;

/** The LRP table of a composite over `base`, for the nodes planned in `plans`. */
export function lrpTable(
  base: VjpTable,
  composite: LrpComposite,
  plans: ReadonlyMap<string, Plan>,
  conv: 'flip' | 'transpose',
  boundRows: boolean,
): VjpTable {
  const e = composite.stabilizer;
  const rule: VjpRule = (v) => {
    const p = plans.get(keyOf(v.node));
    const n = v.node.inputs.length;
    const only = (i: number, g: string) =>
      Array.from({ length: n }, (_, k) => (k === i ? g : null));
    if (!p) return v.fail('no LRP rule for this op');
    switch (p.kind) {
      case 'fail':
        return v.fail(p.why);
      case 'route': {
        const r = base[v.node.op];
        return r ? r(v) : v.fail('no VJP rule for this op');
      }
      case 'zero':
        return Array.from({ length: n }, () => null);
      case 'pass':
        return only(p.input, v.reduceTo(v.dy, p.input));
      case 'uniform': {
        const half = v.op('Mul', [v.dy, v.floats([0.5], [])]);
        return [v.reduceTo(half, 0), v.reduceTo(half, 1)];
      }
      case 'proportional': {
        const s = share(v, v.y(), v.dy, e);
        const res = base[v.node.op](withDy(v, s));
        return Array.from({ length: n }, (_, k) => {
          if (!p.inputs.includes(k) || !res[k]) return null;
          const r = v.op('Mul', [v.x(k), res[k]!]);
          return p.factor === 1 ? r : v.op('Mul', [r, v.floats([p.factor], [])]);
        });
      }
      case 'layernorm':
        return only(0, layerNormRelevance(v, p.share, e));
      case 'linear':
        return only(0, linearNode(v, p, e, conv, boundRows));
    }
  };
  return Object.fromEntries(Object.keys(base).map((k) => [k, rule]));
}

/**
 * LayerNormalization as the importer's ops: the bias takes its share (when planned), the scale and
 * 1/σ are constants, x − mean(x) splits in proportion, and the mean in proportion over x.
 */
function layerNormRelevance(v: Vjp, biasShare: boolean, e: number): string {
  const rank = v.shape(v.x()).length;
  const from = ((a: number) => (a < 0 ? a + rank : a))(v.attr('axis', -1));
  const axes = Array.from({ length: rank - from }, (_, k) => from + k);
  const n = axes.reduce((a, k) => a * v.shape(v.x())[k], 1);
  let r = v.dy;
  if (biasShare) {
    const u = v.op('Sub', [v.y(), v.x(2)]);
    r = v.op('Mul', [u, share(v, v.y(), r, e)]);
  }
  const x = v.x();
  const mean = reduceMean(v, x, axes);
  const d = v.op('Sub', [x, mean]);
  const sd = share(v, d, r, e);
  const rMean = v.op('Mul', [mean, reduceSum(v, v.op('Neg', [sd]), axes)]);
  const sm = v.op('Mul', [share(v, mean, rMean, e), v.floats([1 / n], [])]);
  return v.op('Add', [v.op('Mul', [x, sd]), v.op('Mul', [x, sm])]);
}

/** The relevance of a linear node's path input: merges applied, its rule as nodes. */
function linearNode(
  v: Vjp,
  p: Extract<Plan, { kind: 'linear' }>,
  e: number,
  conv: 'flip' | 'transpose',
  boundRows: boolean,
): string {
  const op = v.node.op;
  const out = v.shape(v.y());
  const isConv = op === 'Conv';
  const channels = isConv ? out[1] : out[out.length - 1];
  const transB = op === 'Gemm' ? v.attr('transB', 0) : 0;
  const alpha = op === 'Gemm' ? v.attr('alpha', 1) : 1;
  const beta = op === 'Gemm' ? v.attr('beta', 1) : 1;
  const ones = v.floats(new Float32Array(channels).fill(1), [channels]);
  const vector = (c: string) => v.op('Mul', [v.op('Reshape', [c, v.ints([-1])]), ones]);
  const biasIn = op === 'MatMul' ? '' : (v.node.inputs[2] ?? '');
  let s = ones;
  let t = biasIn
    ? beta === 1
      ? vector(biasIn)
      : v.op('Mul', [vector(biasIn), v.floats([beta], [])])
    : v.floats(new Float32Array(channels), [channels]);
  const merges = p.layer?.merges ?? [];
  for (const m of merges) {
    if (m.kind === 'bn') {
      const [g, bt, mu, va] = [1, 2, 3, 4].map((k) => vector(m.node.inputs[k]));
      const eps = (m.node.decoded?.attrs.get('epsilon') as number | undefined) ?? 1e-5;
      const gain = v.op('Mul', [
        v.op('Reciprocal', [v.op('Sqrt', [v.op('Add', [va, v.floats([eps], [])])])]),
        g,
      ]);
      s = v.op('Mul', [s, gain]);
      t = v.op('Add', [v.op('Mul', [v.op('Sub', [t, mu]), gain]), bt]);
      continue;
    }
    const c = vector(m.c);
    if (m.kind === 'add') t = v.op('Add', [t, c]);
    else if (m.kind === 'sub') t = v.op('Sub', [t, c]);
    else if (m.kind === 'rsub') {
      s = v.op('Neg', [s]);
      t = v.op('Sub', [c, t]);
    } else if (m.kind === 'mul') {
      s = v.op('Mul', [s, c]);
      t = v.op('Mul', [t, c]);
    } else {
      s = v.op('Div', [s, c]);
      t = v.op('Div', [t, c]);
    }
  }
  const W = v.x(1);
  const wScale = isConv ? [channels, 1, 1, 1] : transB ? [channels, 1] : [channels];
  const w = merges.length ? v.op('Mul', [W, v.op('Reshape', [s, v.ints(wScale)])]) : W;
  const b =
    merges.length || biasIn ? (isConv ? v.op('Reshape', [t, v.ints([channels, 1, 1])]) : t) : null;
  const attrs = Object.fromEntries(
    [...v.node.attrs].filter(([k]) => k !== 'alpha' && k !== 'beta'),
  ) as Record<string, never>;
  const lin = (a: string, wt: string) =>
    isConv
      ? v.op('Conv', [a, wt], attrs)
      : op === 'Gemm'
        ? v.op('Gemm', [a, wt], { alpha: { f: alpha }, transB })
        : v.op('MatMul', [a, wt]);
  const back = (wt: string, g: string) =>
    isConv
      ? convBack(v, wt, g, conv)
      : op === 'Gemm'
        ? v.op('Gemm', [g, wt], { alpha: { f: alpha }, transB: transB ? 0 : 1 })
        : v.op('MatMul', [g, v.op('Transpose', [wt], { perm: [1, 0] })]);
  const a = v.x(0);
  let bounds: [string, string] | undefined;
  if (p.first && p.rule.name === 'z-box') {
    if (!boundRows) v.fail('the z-box rule needs the bound rows');
    const row = (from: number, to: number) =>
      v.op('Slice', [a, v.ints([from]), v.ints([to]), v.ints([0])]);
    const [lo, hi] = [row(-2, -1), row(-1, BIG)];
    bounds = [v.op('Min', [lo, hi]), v.op('Max', [lo, hi])];
  }
  return linearRelevance(nodeOps(v), { a, w, b, lin, back, bounds }, p.rule, v.dy, e);
}
