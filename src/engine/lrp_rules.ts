/**
 * Layer-wise relevance propagation as a rule set (rule_sets.ts): relevance, not a gradient, flows
 * back from the target, and every op on the path from the input gets the rule Zennit's composites
 * give its kind of layer (Anders et al. 2021; Montavon et al. 2019's recommendations):
 * - linear layers (conv, depthwise and transposed conv, dense matmul): the composite's rule
 *   (lrp_linear.ts), by kind — the first one on the path, convolutions, dense layers;
 * - canonizers (Zennit's MergeBatchNorm, and the bias of a layer tfjs runs as a separate add): a
 *   batch norm, bias, or per-channel scale or shift that follows a linear layer (and is its output's
 *   only reader) is merged into it — W' = s·W, b' = s·b + t — and passes relevance through;
 * - sums of two paths (residual additions; Zennit's Sum → Norm), average pools and means: relevance
 *   split in proportion to each term's contribution, R_i = x_i ⊙ ∂y/∂x_i · R / s(y);
 * - activations and other one-input elementwise ops, a product or quotient with a constant, and
 *   the input's own normalization before the first layer: relevance passes unchanged (Zennit's
 *   Pass); a bias-like constant added after the first layer and not merged (LayerNorm's β, a
 *   position embedding) takes its share, as the ε-rule of an elementwise affine layer;
 * - reshapes, slices, concatenations, max-pooling: relevance routed as the gradient routes it;
 * - transformers (Achtibat et al. 2024, AttnLRP; Ali et al. 2022, CP-LRP): attention weights
 *   (a softmax's output, through reshapes) are constants — A·V takes the ε-rule with A as its
 *   weights, the softmax gets no relevance; a product of a tensor with a broadcast statistic of
 *   itself (LayerNorm's 1/σ) treats the statistic as constant, as does a quotient its denominator;
 *   a product of two equal-shaped paths (GELU's x·Φ(x), gating) splits relevance evenly (the
 *   uniform rule; GELU then passes all of it to x, the identity rule);
 * - an op it has no rule for is refused in one line, naming it.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { linearRelevance, stabilize, TFJS_OPS, type LrpRule } from './lrp_linear.js';
import { CHANNEL_AFFINE } from './channel_affine.js';
import { runKernel } from './internals.js';
import { kernelVjp, reduceTo, type OpRule, type RecordedOp, type RuleSet } from './rule_sets.js';

export type { LrpRule } from './lrp_linear.js';

/** Which rule each kind of linear layer gets (Zennit's layer map). */
export interface LrpComposite {
  /** The first linear layer on the path from the input (of kind `firstKind`, when given: Zennit's first map); default its kind's rule. */
  readonly first?: LrpRule;
  readonly firstKind?: 'conv' | 'dense';
  readonly conv: LrpRule;
  readonly dense: LrpRule;
  /** The stabilizer of every rule but ε and of the proportional split (Zennit: 1e-6). */
  readonly stabilizer: number;
  /** Merge batch norms, biases and per-channel affine ops into the linear layer before them (default true). */
  readonly merge?: boolean;
}

/** The extra facts of one pass. */
export interface LrpPass {
  /** z^B's bounds: the last two rows of the batch are the input at the range's low and high ends. */
  readonly boundRows?: boolean;
  /** For messages: the method ('lrp-epsilon-plus-flat'). */
  readonly title: string;
}

const PASS = new Set([
  'Relu',
  'Relu6',
  'Elu',
  'Selu',
  'LeakyRelu',
  'Prelu',
  'Sigmoid',
  'Tanh',
  'Softplus',
  'Erf',
  'Exp',
  'Expm1',
  'Log',
  'Log1p',
  'Sqrt',
  'Rsqrt',
  'Square',
  'Abs',
  'Neg',
  'Sin',
  'Cos',
  'Tan',
  'Atan',
  'Sinh',
  'Cosh',
  'ClipByValue',
  'Reciprocal',
  'Pow',
  'FusedBatchNorm',
  CHANNEL_AFFINE,
  'SquaredDifference',
]);
const ROUTE = new Set([
  'Reshape',
  'Transpose',
  'Slice',
  'StridedSlice',
  'Concat',
  'Pack',
  'Unpack',
  'SplitV',
  'PadV2',
  'MirrorPad',
  'Tile',
  'GatherV2',
  'GatherNd',
  'Identity',
  'Cast',
  'MaxPool',
  'Max',
  'Min',
  'Maximum',
  'Minimum',
  'Reverse',
  'BroadcastTo',
  'DepthToSpace',
  'SpaceToBatchND',
  'BatchToSpaceND',
  'ResizeNearestNeighbor',
  'Select',
  'ZerosLike',
  'OnesLike',
  'Fill',
  'Step',
  'Sign',
  'Round',
  'Floor',
  'Ceil',
  'Equal',
  'NotEqual',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'ArgMax',
  'ArgMin',
  'OneHot',
  'ExpandDims',
]);
/** Reshapes that keep a softmax's output a softmax's output. */
const VIEW = new Set([
  'Reshape',
  'Transpose',
  'Identity',
  'Cast',
  'ExpandDims',
  'Slice',
  'StridedSlice',
  'SplitV',
  'Unpack',
  'Concat',
  'Pack',
]);
const PROPORTIONAL = new Set(['AvgPool', 'Mean', 'Sum', 'AddN', 'ResizeBilinear']);
const MERGEABLE = new Set(['Add', 'Sub', 'Multiply', 'RealDiv', 'FusedBatchNorm', CHANNEL_AFFINE]);

/** A linear kernel: its unfused kernel, the names of its path input and weights there, the fused bias input, its kind. */
interface LinearKind {
  kernel: string;
  x: string;
  w: string;
  of: Record<string, string>;
  bias?: string;
  kind: 'conv' | 'dense';
}
const LINEAR: Readonly<Record<string, LinearKind>> = {
  Conv2D: { kernel: 'Conv2D', x: 'x', w: 'filter', of: {}, kind: 'conv' },
  FusedConv2D: {
    kernel: 'Conv2D',
    x: 'x',
    w: 'filter',
    of: { 0: 'x', 1: 'filter' },
    bias: '2',
    kind: 'conv',
  },
  DepthwiseConv2dNative: {
    kernel: 'DepthwiseConv2dNative',
    x: 'x',
    w: 'filter',
    of: {},
    kind: 'conv',
  },
  FusedDepthwiseConv2D: {
    kernel: 'DepthwiseConv2dNative',
    x: 'x',
    w: 'filter',
    of: { 0: 'x', 1: 'filter' },
    bias: '2',
    kind: 'conv',
  },
  Conv2DBackpropInput: {
    kernel: 'Conv2DBackpropInput',
    x: 'dy',
    w: 'filter',
    of: {},
    kind: 'conv',
  },
  BatchMatMul: { kernel: 'BatchMatMul', x: 'a', w: 'b', of: {}, kind: 'dense' },
  _FusedMatMul: {
    kernel: 'BatchMatMul',
    x: 'a',
    w: 'b',
    of: { 0: 'a', 1: 'b' },
    bias: '2',
    kind: 'dense',
  },
};

/** A per-output-channel affine op merged into a linear layer: (s, t) → (s', t') with z = s·u + t. */
type Merge = (s: tf.Tensor, t: tf.Tensor) => [tf.Tensor, tf.Tensor];

interface Layer {
  /** Output channels (the last axis of its output). */
  readonly channels: number;
  /** Keeps a tensor for this layer's backward pass. */
  readonly keep: (t: tf.Tensor) => tf.Tensor;
  /** The merges in order, each with the tensor it read (valid while each such tensor has one reader). */
  readonly merges: Array<{ reads: tf.Tensor; merge: Merge }>;
  readonly raw: tf.Tensor;
}

const perChannel = (c: tf.Tensor, channels: number) =>
  c.size === 1 || (c.size === channels && c.shape[c.rank - 1] === channels);
const channelVector = (c: tf.Tensor, channels: number) => c.reshape([-1]).mul(tf.ones([channels]));

/** The merge an elementwise op with constant `c` makes, the path being input `pathName` of `kernel`. */
function mergeOf(
  op: RecordedOp,
  pathName: string,
  keep: (t: tf.Tensor) => tf.Tensor,
  channels: number,
): Merge | null {
  if (op.kernel === 'FusedBatchNorm') {
    const { mean, variance, scale, offset } = op.inputs;
    if (![mean, variance, scale, offset].every((t) => t == null || perChannel(t, channels)))
      return null;
    const [m, v, g, o] = [mean, variance, scale, offset].map((t) => (t ? keep(t) : null));
    const eps = Number(op.attrs.varianceEpsilon ?? 1e-3);
    return (s, t) => {
      const gain = tf
        .rsqrt(channelVector(v!, channels).add(eps))
        .mul(g ? channelVector(g, channels) : 1);
      return [
        s.mul(gain),
        t
          .sub(channelVector(m!, channels))
          .mul(gain)
          .add(o ? channelVector(o, channels) : 0),
      ];
    };
  }
  if (op.kernel === CHANNEL_AFFINE) {
    // A folded batch norm (engine/channel_affine.ts): x · scale + shift.
    const [scale, shift] = [op.inputs['1'], op.inputs['2']];
    if (pathName !== '0' || ![scale, shift].every((t) => perChannel(t, channels))) return null;
    const [g, o] = [keep(scale), keep(shift)];
    return (s, t) => [
      s.mul(channelVector(g, channels)),
      t.mul(channelVector(g, channels)).add(channelVector(o, channels)),
    ];
  }
  const other = Object.keys(op.inputs).find((k) => k !== pathName)!;
  if (!perChannel(op.inputs[other], channels)) return null;
  const c = keep(op.inputs[other]);
  const cv = () => channelVector(c, channels);
  const first = pathName === 'a';
  switch (op.kernel) {
    case 'Add':
      return (s, t) => [s, t.add(cv())];
    case 'Sub':
      return first ? (s, t) => [s, t.sub(cv())] : (s, t) => [s.neg(), cv().sub(t)];
    case 'Multiply':
      return (s, t) => [s.mul(cv()), t.mul(cv())];
    case 'RealDiv':
      return first ? (s, t) => [s.div(cv()), t.div(cv())] : null;
    default:
      return null;
  }
}

/** The rule set of a composite. */
export function lrpRuleSet(composite: LrpComposite, pass: LrpPass): RuleSet {
  return {
    name: 'LRP',
    start: (_input, readers) => {
      const layers = new Map<number, Layer>();
      const attention = new Set<number>();
      let firstSeen = false;
      let firstSeenAny = false;
      const merge = composite.merge ?? true;
      const e = composite.stabilizer;

      /** x_i ⊙ ∂y/∂x_i · R / s(y) for each path input (times `factor`): the proportional (Norm) rule. */
      const proportional = (op: RecordedOp, names: readonly string[], factor = 1): OpRule => {
        const inputs = Object.fromEntries(
          Object.entries(op.inputs).map(([k, t]) => [k, op.keep(t)]),
        );
        const outputs = op.outputs.map(op.keep);
        return (dy) => {
          const d = stabilize(outputs[0], e);
          const s = tf.where(d.equal(0), tf.zerosLike(dy), dy.div(d));
          // AddN's registered gradient reads how many inputs it saved (none): its VJP is the identity.
          const vjp = (k: string) =>
            op.kernel === 'AddN' ? s : kernelVjp(op.kernel, inputs, outputs, op.attrs, s, k);
          return Object.fromEntries(names.map((k) => [k, inputs[k].mul(vjp(k)).mul(factor)]));
        };
      };
      const passTo = (op: RecordedOp, name: string): OpRule => {
        const shape = op.inputs[name].shape;
        return (dy) => ({ [name]: dy.shape.join() === shape.join() ? dy : reduceTo(dy, shape) });
      };

      const linear = (op: RecordedOp, spec: LinearKind): OpRule => {
        const xName = Object.keys(spec.of).find((k) => spec.of[k] === spec.x) ?? spec.x;
        const wName = Object.keys(spec.of).find((k) => spec.of[k] === spec.w) ?? spec.w;
        const onRight = op.path[0] === wName;
        const [pathName, weightName] = onRight ? [wName, xName] : [xName, wName];
        const [pathIn, weightIn] = onRight ? [spec.w, spec.x] : [spec.x, spec.w];
        const a = op.keep(op.inputs[pathName]);
        const w = op.keep(op.inputs[weightName]);
        const bias = spec.bias && op.inputs[spec.bias] ? op.keep(op.inputs[spec.bias]) : null;
        const out = op.outputs[0];
        const channels = out.shape[out.rank - 1];
        const layer: Layer = { channels, keep: op.keep, merges: [], raw: out };
        if (!onRight && merge) layers.set(out.id, layer);
        firstSeenAny = true;
        const first =
          !firstSeen && composite.first != null && (composite.firstKind ?? spec.kind) === spec.kind;
        if (first) firstSeen = true;
        const rule = first ? composite.first! : composite[spec.kind];
        const lin = (x: tf.Tensor, wt: tf.Tensor) =>
          runKernel(spec.kernel, { [pathIn]: x, [weightIn]: wt }, op.attrs);
        const back = (wt: tf.Tensor, s: tf.Tensor) =>
          kernelVjp(spec.kernel, { [pathIn]: a, [weightIn]: wt }, [], op.attrs, s, pathIn);
        return (dy) => {
          // Merges hold while every tensor they read had this layer's chain as its only reader.
          const valid = [];
          for (const m of layer.merges) {
            if (readers(m.reads) !== 1) break;
            valid.push(m.merge);
          }
          let [s, t] = [
            tf.ones([channels]),
            bias ? channelVector(bias, channels) : tf.zeros([channels]),
          ];
          for (const m of valid) [s, t] = m(s, t);
          const scaled = valid.length === 0 ? w : scaleOutputs(w, s, spec, op.attrs, a);
          const b = valid.length === 0 && !bias ? null : t;
          const bounds = first && rule.name === 'z-box' ? boundsOf(a) : undefined;
          return {
            [pathName]: linearRelevance(
              TFJS_OPS,
              { a, w: scaled, b, lin, back, bounds },
              rule,
              dy,
              e,
            ),
          };
        };
      };

      return {
        rule(op) {
          const isAttention = (name: string) => attention.has(op.inputs[name].id);
          if (op.kernel === 'Softmax' || (VIEW.has(op.kernel) && op.path.some(isAttention))) {
            for (const o of op.outputs) attention.add(o.id);
          }
          const spec = LINEAR[op.kernel];
          if (spec && op.path.length === 1) return linear(op, spec);
          if (op.kernel === 'BatchMatMul' || op.kernel === '_FusedMatMul') {
            // Both operands on the path: attention weights are constants (CP-LRP), else the uniform rule.
            const [a, b] = op.kernel === 'BatchMatMul' ? ['a', 'b'] : ['0', '1'];
            const kernel = {
              ...op,
              kernel: 'BatchMatMul',
              inputs: { a: op.inputs[a], b: op.inputs[b] },
            };
            const rename =
              (r: OpRule): OpRule =>
              (dy) => {
                const g = r(dy);
                return { [a]: g.a, [b]: g.b };
              };
            if (isAttention(a) !== isAttention(b))
              return rename(proportional(kernel, [isAttention(a) ? 'b' : 'a']));
            return rename(proportional(kernel, ['a', 'b'], 0.5));
          }
          if (op.kernel === 'Softmax' || op.kernel === 'LogSoftmax') return () => ({});
          if (ROUTE.has(op.kernel)) return null;
          if (op.path.length === 1 && (PASS.has(op.kernel) || MERGEABLE.has(op.kernel))) {
            const name = op.path[0];
            const layer = layers.get(op.inputs[name].id);
            if (layer && MERGEABLE.has(op.kernel)) {
              const m = mergeOf(op, name, layer.keep, layer.channels);
              if (m) {
                layer.merges.push({ reads: op.inputs[name], merge: m });
                layers.delete(op.inputs[name].id);
                layers.set(op.outputs[0].id, layer);
                return passTo(op, name);
              }
            }
            // A bias-like constant (more than one value) added after the first layer takes its share (the
            // ε-rule of an elementwise affine layer: LayerNorm's β, a position embedding); before it (the
            // input's normalization) and for a scalar (the 1 of GELU's 1 + erf) relevance passes.
            const other = Object.keys(op.inputs).find((k) => k !== name);
            if (
              (op.kernel === 'Add' || op.kernel === 'Sub') &&
              firstSeenAny &&
              other &&
              op.inputs[other].size > 1
            )
              return proportional(op, [name]);
            return passTo(op, name);
          }
          if (
            PROPORTIONAL.has(op.kernel) ||
            ((op.kernel === 'Add' || op.kernel === 'Sub') && op.path.length === 2)
          )
            return proportional(op, op.path);
          if (
            op.kernel === 'Multiply' ||
            op.kernel === 'RealDiv' ||
            op.kernel === 'SquaredDifference'
          ) {
            const [a, b] = ['a', 'b'].map((k) => op.inputs[k]);
            // x · (a statistic of x), x / σ, attention weights applied elementwise: the smaller operand (or the denominator) is a constant.
            const constant =
              isAttention('a') !== isAttention('b')
                ? isAttention('a')
                  ? 'a'
                  : 'b'
                : op.kernel === 'RealDiv'
                  ? 'b'
                  : a.size === b.size
                    ? null
                    : a.size < b.size
                      ? 'a'
                      : 'b';
            if (constant) return passTo(op, constant === 'a' ? 'b' : 'a');
            return (dy) => ({ a: dy.mul(0.5), b: dy.mul(0.5) });
          }
          throw new DeepvisError(
            `${pass.title} has no LRP rule for the op '${op.kernel}' between the input and the target`,
          );
        },
      };

      /** z^B's bounds: the per-position min and max of the path input at the two bound rows (the last two). */
      function boundsOf(a: tf.Tensor): [tf.Tensor, tf.Tensor] {
        if (!pass.boundRows) throw new Error('the z-box rule needs the bound rows');
        const n = a.shape[0];
        const [lo, hi] = [n - 2, n - 1].map((i) => a.slice([i], [1]));
        return [lo.minimum(hi), lo.maximum(hi)];
      }
    },
  };
}

/** W scaled per output channel by s [C]: conv filters [kh, kw, in, C], depthwise [kh, kw, in, mult], dense b [.., in, C] (or [.., C, in] transposed). */
function scaleOutputs(
  w: tf.Tensor,
  s: tf.Tensor,
  spec: LinearKind,
  attrs: Record<string, unknown>,
  a: tf.Tensor,
): tf.Tensor {
  if (spec.kernel === 'DepthwiseConv2dNative') return w.mul(s.reshape([1, 1, a.shape[3]!, -1]));
  if (spec.kernel === 'Conv2DBackpropInput') return w.mul(s.reshape([1, 1, -1, 1]));
  if (spec.kernel === 'BatchMatMul' && attrs.transposeB) return w.mul(s.reshape([-1, 1]));
  return w.mul(s);
}
