/**
 * VJP rules of activations and broadcasting arithmetic, as ONNX nodes. Where tfjs's gradient and
 * the calculus differ at a kink, the rule follows tfjs (the path deepvis had before), so both
 * engines give the same numbers: ReLU passes where y > 0, ReLU6 where 0 < y < 6, Clip where
 * lo ≤ x ≤ hi, Max/Min to the first operand on ties.
 */
import type { Vjp, VjpRule, VjpTable } from './vjp_types.js';

const zero = (v: Vjp) => v.floats([0], []);
const one = (v: Vjp) => v.floats([1], []);
/**
 * g where `mask` holds, 0 elsewhere. The mask comes from forward tensors (the forward run keeps it,
 * as bool: a quarter of a float); g · float(mask) runs 2.5× faster on onnxruntime than Where, whose
 * kernel is single-threaded (17.7 → 6.9 ms on 8×64×112×112).
 */
export const passWhere = (v: Vjp, mask: string, g: string) =>
  v.op('Mul', [g, v.op('Cast', [mask], { to: 1 })]);
const times = (v: Vjp, ...xs: string[]) => xs.reduce((a, b) => v.op('Mul', [a, b]));

/** The value of an optional constant input (Clip's bounds), or the fallback when absent. */
function bound(v: Vjp, i: number, fallback: number): number {
  const name = v.node.inputs[i];
  if (!name) return fallback;
  const t = v.value(name);
  if (!t) v.fail(`its input ${i} is computed, not a constant`);
  return Number(t.data[0]);
}

/** ReLU6 is Clip(0, 6): the importer runs it as tfjs's Relu6, whose gradient passes where 0 < y < 6. */
export function isRelu6(v: Vjp): boolean {
  return v.node.op === 'Clip' && clipBounds(v)[0] === 0 && clipBounds(v)[1] === 6;
}

function clipBounds(v: Vjp): [number, number] {
  return v.opset < 11
    ? [v.attr('min', -Infinity), v.attr('max', Infinity)]
    : [bound(v, 1, -Infinity), bound(v, 2, Infinity)];
}

/** The "open" mask of a ReLU-like op (where the forward passed its input): y > 0, or 0 < y < 6. */
export function reluOpen(v: Vjp): string {
  const pos = v.op('Greater', [v.y(), zero(v)]);
  return v.node.op === 'Clip' ? v.op('And', [pos, v.op('Less', [v.y(), v.floats([6], [])])]) : pos;
}

const clip: VjpRule = (v) => {
  if (isRelu6(v)) return [passWhere(v, reluOpen(v), v.dy)];
  const [lo, hi] = clipBounds(v);
  const masks = [
    ...(lo > -Infinity ? [v.op('GreaterOrEqual', [v.x(), v.floats([lo], [])])] : []),
    ...(hi < Infinity ? [v.op('LessOrEqual', [v.x(), v.floats([hi], [])])] : []),
  ];
  if (masks.length === 0) return [v.dy];
  return [passWhere(v, masks.length === 2 ? v.op('And', masks) : masks[0], v.dy)];
};

/** dy · f'(x), with f' built from forward tensors. */
const scaled =
  (deriv: (v: Vjp) => string): VjpRule =>
  (v) => [v.op('Mul', [v.dy, deriv(v)])];

/** Binary ops: each input's part of the gradient, summed over the axes it was broadcast along. */
function binary(parts: Array<(v: Vjp) => string>): VjpRule {
  return (v) => v.node.inputs.map((_, i) => (v.needs(i) ? v.reduceTo(parts[i](v), i) : null));
}

const hardSigmoidOpen = (v: Vjp, alpha: number, beta: number) => {
  const t = v.op('Add', [v.op('Mul', [v.x(), v.floats([alpha], [])]), v.floats([beta], [])]);
  return v.op('And', [v.op('GreaterOrEqual', [t, zero(v)]), v.op('LessOrEqual', [t, one(v)])]);
};

export const ELEMENTWISE_VJP: VjpTable = {
  Relu: (v) => [passWhere(v, reluOpen(v), v.dy)],
  Clip: clip,
  LeakyRelu: (v) => {
    const g = v.dy;
    return [
      v.op('Where', [
        v.op('Greater', [v.x(), zero(v)]),
        g,
        v.op('Mul', [g, v.floats([v.attr('alpha', 0.01)], [])]),
      ]),
    ];
  },
  PRelu: (v) => {
    if (v.needs(1)) v.fail('a computed slope is not supported');
    const g = v.dy;
    return [v.op('Where', [v.op('Greater', [v.x(), zero(v)]), g, v.op('Mul', [g, v.x(1)])]), null];
  },
  Sigmoid: scaled((v) => v.op('Mul', [v.y(), v.op('Sub', [one(v), v.y()])])),
  Tanh: scaled((v) => v.op('Sub', [one(v), v.op('Mul', [v.y(), v.y()])])),
  // y = α(eˣ − 1) below 0: y' = y + α there.
  Elu: scaled((v) =>
    v.op('Where', [
      v.op('Greater', [v.x(), zero(v)]),
      one(v),
      v.op('Add', [v.y(), v.floats([v.attr('alpha', 1)], [])]),
    ]),
  ),
  // tfjs's selu (the importer's) has the standard constants whatever the attributes say.
  Selu: scaled((v) => {
    const [scale, alpha] = [1.0507009873554805, 1.6732632423543772];
    return v.op('Where', [
      v.op('Greater', [v.x(), zero(v)]),
      v.floats([scale], []),
      v.op('Add', [v.y(), v.floats([scale * alpha], [])]),
    ]);
  }),
  Softplus: scaled((v) => v.op('Sigmoid', [v.x()])),
  HardSigmoid: (v) => {
    const [alpha, beta] = [v.attr('alpha', 0.2), v.attr('beta', 0.5)];
    return [
      passWhere(v, hardSigmoidOpen(v, alpha, beta), v.op('Mul', [v.dy, v.floats([alpha], [])])),
    ];
  },
  // y = x·hs(x), hs = clip(x/6 + 1/2, 0, 1): y' = hs(x) + x/6 where the clip is open.
  HardSwish: scaled((v) => {
    const hs = v.op('HardSigmoid', [v.x()], { alpha: { f: 1 / 6 }, beta: { f: 0.5 } });
    const inner = v.op('Where', [
      hardSigmoidOpen(v, 1 / 6, 0.5),
      v.op('Mul', [v.x(), v.floats([1 / 6], [])]),
      zero(v),
    ]);
    return v.op('Add', [hs, inner]);
  }),
  Erf: scaled((v) =>
    v.op('Mul', [
      v.op('Exp', [v.op('Neg', [v.op('Mul', [v.x(), v.x()])])]),
      v.floats([2 / Math.sqrt(Math.PI)], []),
    ]),
  ),
  Exp: scaled((v) => v.y()),
  Sin: scaled((v) => v.op('Cos', [v.x()])),
  Cos: scaled((v) => v.op('Neg', [v.op('Sin', [v.x()])])),
  Log: (v) => [v.op('Div', [v.dy, v.x()])],
  Sqrt: (v) => [v.op('Div', [v.dy, v.op('Mul', [v.y(), v.floats([2], [])])])],
  Neg: (v) => [v.op('Neg', [v.dy])],
  Abs: scaled((v) => v.op('Sign', [v.x()])),
  Reciprocal: (v) => [v.op('Neg', [v.op('Mul', [v.dy, v.op('Mul', [v.y(), v.y()])])])],
  Identity: (v) => [v.dy],
  Dropout: (v) => [v.dy, null, null],
  Add: binary([(v) => v.dy, (v) => v.dy]),
  Sum: (v) => v.node.inputs.map((_, i) => (v.needs(i) ? v.reduceTo(v.dy, i) : null)),
  Sub: binary([(v) => v.dy, (v) => v.op('Neg', [v.dy])]),
  Mul: binary([(v) => v.op('Mul', [v.dy, v.x(1)]), (v) => v.op('Mul', [v.dy, v.x(0)])]),
  Div: binary([
    (v) => v.op('Div', [v.dy, v.x(1)]),
    (v) => v.op('Neg', [v.op('Div', [v.op('Mul', [v.dy, v.y()]), v.x(1)])]),
  ]),
  Pow: (v) => {
    if (v.needs(1)) v.fail('a computed exponent is not supported');
    const b = v.x(1);
    return [v.reduceTo(times(v, v.dy, b, v.op('Pow', [v.x(), v.op('Sub', [b, one(v)])])), 0), null];
  },
  // tfjs: maximum's gradient goes to a where a ≥ b, to b elsewhere; minimum's to a where a ≤ b.
  Max: (v) => minMax(v, 'GreaterOrEqual'),
  Min: (v) => minMax(v, 'LessOrEqual'),
  Cast: (v) => [v.dy],
};

function minMax(v: Vjp, cmp: 'GreaterOrEqual' | 'LessOrEqual'): ReturnType<VjpRule> {
  if (v.node.inputs.length !== 2)
    v.fail(`${v.node.op} of ${v.node.inputs.length} inputs is not supported`);
  const first = v.op(cmp, [v.x(0), v.x(1)]);
  return [
    v.needs(0) ? v.reduceTo(passWhere(v, first, v.dy), 0) : null,
    v.needs(1) ? v.reduceTo(passWhere(v, v.op('Not', [first]), v.dy), 1) : null,
  ];
}
