/**
 * Rule sets: alternative VJP rules for a few ops, laid over the plain table — the ONNX side of the
 * one mechanism engine/rules.ts is for tfjs's tape (Springenberg et al. 2015 made the ReLU rule
 * the whole difference between the gradient, deconvnet and guided backpropagation maps):
 * - gradient (Simonyan et al. 2014): ReLU passes dy where the forward was open;
 * - deconvnet (Zeiler & Fergus 2014): ReLU passes dy's positive part, whatever the forward was;
 * - guided backpropagation: both conditions;
 * - 'linear' (receptive fields) and 'leaky' (MaCo's warm-up) as in engine/rules.ts;
 * - switch-less unpooling: every position of a max window gets the window's gradient.
 * - layer-wise relevance propagation (Bach et al. 2015, Zennit's composites; vjp_lrp.ts), planned
 *   over the forward nodes on the path as engine/lrp_rules.ts plans over the recorded kernels;
 * - DeepLIFT's rescale rule (Shrikumar et al. 2017; vjp_rescale.ts).
 */
import {
  LEAKY_SLOPE,
  rulesKey,
  type BackwardRules,
  type ReluRule,
} from '../../../../engine/rules.js';
import { lrpTable, planLrp, type ForwardPath } from './vjp_lrp.js';
import { rescaleTable } from './vjp_rescale.js';
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

/**
 * The rules `rules` lays over `base` (ReLU, and Clip where it is ReLU6, as tfjs's Relu and Relu6
 * kernels; LRP and DeepLIFT over every op on `path`).
 */
export function withRuleSet(
  base: VjpTable,
  rules: BackwardRules,
  path: ForwardPath,
  conv: 'flip' | 'transpose',
): VjpTable {
  if (rules.relevance) {
    const { composite, boundRows } = rules.relevance;
    return lrpTable(base, composite, planLrp(composite, path), conv, Boolean(boundRows));
  }
  if (rules.rescale) return rescaleTable(base);
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
export const ruleKey = rulesKey;
