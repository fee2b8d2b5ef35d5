/**
 * Backward rules through ReLU and max-pooling, the only thing that distinguishes the gradient
 * maps of the source papers from each other (Springenberg et al. 2015 made this explicit):
 * - gradient (Simonyan et al.): ReLU passes dy where the forward input was positive;
 * - deconvnet (Zeiler & Fergus; Cavojska 2015 §5, Agrawal & Balani §4.1): ReLU passes the positive part of
 *   the signal coming down, whatever the forward input was;
 * - guided backpropagation: both conditions at once.
 * Max-pooling unpools through the switches recorded in the forward pass (the stock max-pool
 * gradient), or, for the deconvnet variant without switches of Agrawal & Balani §4.1, gives every position
 * of a pooling window the window's value (nearest-neighbour unpooling).
 *
 * The rules are swapped in tfjs's gradient registry for the duration of one call, so they apply to
 * any model — layers or graph, fused or not (a fused conv+ReLU unfuses while gradients are
 * recorded and runs the 'Relu' kernel) — with no change to the model. The registry is global:
 * the call is synchronous and restores the stock rules in `finally`.
 *
 * Rules that need more than one kernel's entry — which inputs lie on the path from the image, which
 * layer comes first, what follows a layer — are rule sets (rule_sets.ts), chosen as the forward
 * pass is recorded: layer-wise relevance propagation (`relevance`, lrp_rules.ts) and DeepLIFT's
 * rescale rule (`rescale`, rescale_rules.ts). A gradient engine other than tfjs's tape reads the
 * same BackwardRules (activeRules) and must apply them or leave the pass to the tape.
 */
import * as tf from '@tensorflow/tfjs';
import { runKernel } from './internals.js';
import { lrpRuleSet, type LrpComposite, type LrpPass } from './lrp_rules.js';
import { RESCALE } from './rescale_rules.js';
import { withRuleSet } from './rule_sets.js';
import { releaseTapeAfterError } from './tape.js';

/**
 * 'linear': ReLU passes everything (receptive-field geometry, analysis/receptive_field.ts).
 * 'leaky': the gradient of a leaky ReLU (slope LEAKY_SLOPE below zero) with the forward unchanged —
 * the warm-up that gets an optimization off a start where every path to the unit is off (MaCo).
 */
export type ReluRule = 'gradient' | 'deconvnet' | 'guided' | 'linear' | 'leaky';
/** Keras's LeakyReLU default slope. */
export const LEAKY_SLOPE = 0.3;
export type Unpool = 'switches' | 'nearest';

export interface BackwardRules {
  readonly relu: ReluRule;
  readonly unpool?: Unpool;
  /** Layer-wise relevance propagation from `from` (the differentiated input) with a composite's rules: relevance flows back, not a gradient. */
  readonly relevance?: { readonly composite: LrpComposite; readonly from: tf.Tensor } & LrpPass;
  /** DeepLIFT's rescale rule from `from`, a batch of inputs followed by their references. */
  readonly rescale?: { readonly from: tf.Tensor };
}

function reluGrad(rule: ReluRule, cap?: number): tf.GradConfig['gradFunc'] {
  // saved[0] is the op's output (see relu_gradient.ts): it is positive (and below the cap) exactly where the input is.
  return (dy, saved) => {
    const [x] = saved;
    return {
      x: () =>
        tf.tidy(() => {
          const down = dy as tf.Tensor;
          const open =
            cap == null ? tf.step(x) : tf.logicalAnd(x.greater(0), x.less(cap)).toFloat();
          if (rule === 'linear') return down.clone();
          if (rule === 'leaky') return down.mul(open.mul(1 - LEAKY_SLOPE).add(LEAKY_SLOPE));
          if (rule === 'deconvnet') return down.relu();
          return down.relu().mul(open);
        }),
    };
  };
}

/** Every window's value spread over the whole window: the transpose of a per-channel window sum. */
function nearestUnpool(dy: tf.Tensor4D, x: tf.Tensor4D, attrs: tf.NamedAttrMap): tf.Tensor4D {
  const { filterSize, strides, pad } = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
  };
  const [fh, fw] = typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
  const ones = tf.ones([fh, fw, x.shape[3], 1]);
  const out = runKernel(
    'DepthwiseConv2dNativeBackpropInput',
    { dy, filter: ones },
    { strides, pad, dilations: [1, 1], dimRoundingMode: undefined, inputShape: x.shape },
  ) as tf.Tensor4D;
  ones.dispose();
  return out;
}

/**
 * A key naming the backward pass a set of rules gives (the rule set's composite included, not the
 * tensors it starts from): native engines keep one gradient graph per key.
 */
export function rulesKey(rules: BackwardRules): string {
  const base = `${rules.relu}/${rules.unpool ?? 'switches'}`;
  if (rules.relevance) {
    const { composite, boundRows } = rules.relevance;
    return `${base}/lrp:${JSON.stringify(composite)}${boundRows ? ':bounds' : ''}`;
  }
  return rules.rescale ? `${base}/rescale` : base;
}

const PLAIN: BackwardRules = { relu: 'gradient' };
/**
 * The rules of the withRules call in progress (plain gradients outside one): a native gradient
 * engine (engine/native_gradient.ts) reads them to pick its graph, as tfjs reads its registry.
 */
let active: BackwardRules = PLAIN;
export const activeRules = (): BackwardRules => active;

/** Runs fn (which must record and finish its gradients synchronously) under the given rules. */
export function withRules<T>(rules: BackwardRules, fn: () => T): T {
  const swaps: tf.GradConfig[] = [];
  if (rules.relu !== 'gradient') {
    swaps.push({ kernelName: 'Relu', outputsToSave: [true], gradFunc: reluGrad(rules.relu) });
    swaps.push({ kernelName: 'Relu6', outputsToSave: [true], gradFunc: reluGrad(rules.relu, 6) });
  }
  if (rules.unpool === 'nearest') {
    swaps.push({
      kernelName: 'MaxPool',
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => ({
        x: () => nearestUnpool(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, attrs),
      }),
    });
  }
  const stock = swaps.map((s) => tf.getGradient(s.kernelName));
  swaps.forEach((s) => tf.registerGradient(s));
  const { relevance, rescale } = rules;
  const outer = active;
  active = rules;
  try {
    if (relevance)
      return withRuleSet(lrpRuleSet(relevance.composite, relevance), relevance.from, fn);
    if (rescale) return withRuleSet(RESCALE, rescale.from, fn);
    return fn();
  } catch (e) {
    // A pass that threw leaves its tape behind; free it as tfjs would have (engine/tape.ts).
    releaseTapeAfterError();
    throw e;
  } finally {
    active = outer;
    stock.forEach((g, i) =>
      g ? tf.registerGradient(g) : tf.unregisterGradient(swaps[i].kernelName),
    );
  }
}
