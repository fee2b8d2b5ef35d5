/**
 * DeepLIFT's rescale rule in the gradient graph (Shrikumar et al. 2017, as Captum's DeepLift): the
 * ONNX side of engine/rescale_rules.ts. Each run's batch is [inputs; their references] (the runs
 * of native.ts keep the pairs together), and each nonlinearity's gradient becomes its multiplier
 * Δy/Δx, the stock gradient where |Δx| < 1e-10; max pooling takes Captum's rule (Δy split between
 * the input's switches and the reference's). Linear ops keep their gradient. An op whose importer
 * form puts a nonlinearity inside a product (HardSwish, GELU) would be seen differently by the
 * tfjs set: it fails the build, and that pass stays on tfjs.
 */
import type { Vjp, VjpRule, VjpTable } from './vjp_types.js';

const EPS = 1e-10;

/** The batch as [2, rest]: first half the inputs, second their references (batch-outer rows). */
const halves = (v: Vjp, t: string) => v.op('Reshape', [t, v.ints([2, -1])]);
const half = (v: Vjp, pairs: string, k: 0 | 1) =>
  v.op('Slice', [pairs, v.ints([k]), v.ints([k + 1]), v.ints([0])]);
/** Halves side by side again, in t's shape. */
const joined = (v: Vjp, a: string, b: string, like: string) =>
  v.op('Reshape', [v.op('Concat', [a, b], { axis: 0 }), v.op('Shape', [like])]);

/** x − x′, repeated for both halves, in t's shape. */
function delta(v: Vjp, t: string): string {
  const p = halves(v, t);
  const d = v.op('Sub', [half(v, p, 0), half(v, p, 1)]);
  return joined(v, d, d, t);
}

/** Where |Δx| is large enough, g / Δx (g: the change routed back); elsewhere the stock gradient. */
function multiplier(v: Vjp, dx: string, g: string, stock: string): string {
  const small = v.op('Less', [v.op('Abs', [dx]), v.floats([EPS], [])]);
  const safe = v.op('Where', [small, v.floats([1], []), dx]);
  return v.op('Where', [small, stock, v.op('Div', [g, safe])]);
}

const rescale =
  (base: VjpRule): VjpRule =>
  (v) => {
    if (v.node.inputs.slice(1).some((_, k) => v.needs(k + 1)))
      v.fail('a computed parameter of a nonlinearity');
    const stock = base(v);
    const g = v.op('Mul', [v.dy, delta(v, v.y())]);
    return [multiplier(v, delta(v, v.x()), g, stock[0]!), ...stock.slice(1).map(() => null)];
  };

/** Captum's max-pool rule: Δy split at max(y, y′) between the input's switches and the reference's. */
const maxPool =
  (base: VjpRule): VjpRule =>
  (v) => {
    const y = halves(v, v.y());
    const [out, ref] = [half(v, y, 0), half(v, y, 1)];
    const top = v.op('Max', [out, ref]);
    const split = joined(v, v.op('Sub', [top, ref]), v.op('Sub', [out, top]), v.y());
    const routed = base(Object.create(v, { dy: { value: v.op('Mul', [v.dy, split]) } }) as Vjp)[0]!;
    const r = halves(v, routed);
    const both = v.op('Add', [half(v, r, 0), half(v, r, 1)]);
    const stock = base(v)[0]!;
    return [multiplier(v, delta(v, v.x()), joined(v, both, both, v.x()), stock)];
  };

const NONLINEAR = [
  'Relu',
  'Clip',
  'Selu',
  'LeakyRelu',
  'PRelu',
  'Sigmoid',
  'Tanh',
  'Softplus',
  'Erf',
  // clip(αx + β): the multiplier of the clip times α is the op's own.
  'HardSigmoid',
];

/** The rescale table over `base`. */
export function rescaleTable(base: VjpTable): VjpTable {
  const table: Record<string, VjpRule> = { ...base };
  for (const op of NONLINEAR) table[op] = rescale(base[op]);
  // Elu with α = 1 is tfjs's Elu kernel; other α the importer writes in ops the set keeps stock.
  table.Elu = (v) => (v.attr('alpha', 1) === 1 ? rescale(base.Elu)(v) : base.Elu(v));
  table.MaxPool = maxPool(base.MaxPool);
  for (const op of ['HardSwish', 'Gelu'])
    table[op] = (v) => v.fail("DeepLIFT's tfjs rules see its importer form (a product) otherwise");
  return table;
}
