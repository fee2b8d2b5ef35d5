/**
 * Rule sets: alternative VJP rules for a few ops, laid over the plain table — the ONNX side of the
 * one mechanism engine/rules.ts is for tfjs's tape (Springenberg et al. 2015 made the ReLU rule
 * the whole difference between the gradient, deconvnet and guided backpropagation maps):
 * - gradient (Simonyan et al. 2014): ReLU passes dy where the forward was open;
 * - deconvnet (Zeiler & Fergus 2014): ReLU passes dy's positive part, whatever the forward was;
 * - guided backpropagation: both conditions;
 * - 'linear' (receptive fields) and 'leaky' (MaCo's warm-up) as in engine/rules.ts;
 * - switch-less unpooling: every position of a max window gets the window's gradient.
 * The LRP rules (Bach et al. 2015; ε, z⁺, αβ) go here as one more overlay when attribution breadth
 * lands: they replace Conv, Gemm, MatMul and Add (relevance redistribution) and pass ReLU through.
 */
import { LEAKY_SLOPE, type BackwardRules, type ReluRule } from '../../../../engine/rules.js';
import { isRelu6, passWhere, reluOpen } from './vjp_elementwise.js';
import { windowSum } from './vjp_nn.js';
import type { Vjp, VjpRule, VjpTable } from './vjp_types.js';

const RELU: Record<Exclude<ReluRule, 'gradient'>, (v: Vjp) => string> = {
  deconvnet: (v) => v.op('Relu', [v.dy]),
  guided: (v) => passWhere(v, reluOpen(v), v.op('Relu', [v.dy])),
  linear: (v) => v.op('Identity', [v.dy]),
  leaky: (v) =>
    v.op('Mul', [
      v.dy,
      v.op('Where', [reluOpen(v), v.floats([1], []), v.floats([LEAKY_SLOPE], [])]),
    ]),
};

/** The rules `rules` lays over `base` (ReLU, and Clip where it is ReLU6, as tfjs's Relu and Relu6 kernels). */
export function withRuleSet(base: VjpTable, rules: BackwardRules): VjpTable {
  const table: Record<string, VjpRule> = { ...base };
  if (rules.relu !== 'gradient') {
    const relu = RELU[rules.relu];
    table.Relu = (v) => [relu(v)];
    table.Clip = (v) => (isRelu6(v) ? [relu(v), null, null] : base.Clip(v));
  }
  if (rules.unpool === 'nearest') table.MaxPool = (v) => [windowSum(v, null)];
  return table;
}

/** A short key for a rule set (sessions are cached per set). */
export const ruleKey = (rules: BackwardRules): string =>
  `${rules.relu}/${rules.unpool ?? 'switches'}`;
