/**
 * Layer-wise relevance propagation (Bach et al. 2015) with Zennit's composites (Anders et al. 2021;
 * Montavon et al. 2019): the target's score, split over the target layer's activations
 * (act ⊙ ∂score/∂act: for a class logit, exactly the logit), is redistributed layer by layer down to
 * the pixels, each kind of layer by its rule (engine/lrp_rules.ts). Relevance is conserved where
 * the rules conserve it (bias-free layers, the proportional split of sums), so the map sums to the
 * logit; on a bias-free ReLU network LRP-0 equals Gradient × Input. Composites:
 * - lrp-epsilon: the ε-rule everywhere (ε = 1e-6, Zennit's default; --epsilon);
 * - lrp-epsilon-plus-flat (EpsilonPlusFlat): flat on the first layer, z⁺ on convolutions, ε on
 *   dense layers;
 * - lrp-epsilon-gamma-box (EpsilonGammaBox): z^B on a first convolution (bounds: the input range),
 *   γ = 0.25 on the other convolutions, ε on dense layers;
 * - lrp-alpha2-beta1 (EpsilonAlpha2Beta1): α2β1 on convolutions, ε on dense layers.
 * Batch norms and biases that follow a layer are merged into it (Zennit's canonizers); residual sums
 * split relevance in proportion to their terms; on transformers attention weights, LayerNorm's 1/σ
 * and GELU follow Achtibat et al. 2024 (AttnLRP; CP-LRP's constant attention). An op without a rule
 * is refused in one line, naming it.
 */
import * as tf from '@tensorflow/tfjs';
import type { LrpComposite, LrpRule } from '../engine/lrp_rules.js';
import { withRules } from '../engine/rules.js';
import type { VisModel } from '../model/types.js';
import { targetRelevance, type ResolvedTarget } from '../objectives/target.js';
import type { OptionSpecs } from '../options.js';
import { defineAttribution, type AnyAttribution } from './method.js';

const STABILIZER = 1e-6;
const epsilon = (e = STABILIZER): LrpRule => ({ name: 'epsilon', epsilon: e });

/** Zennit's composites, by method name. */
export const COMPOSITES = {
  'epsilon-plus-flat': {
    first: { name: 'flat' },
    conv: { name: 'zplus' },
    dense: epsilon(),
    stabilizer: STABILIZER,
  },
  'epsilon-gamma-box': {
    first: { name: 'z-box' },
    firstKind: 'conv',
    conv: { name: 'gamma', gamma: 0.25 },
    dense: epsilon(),
    stabilizer: STABILIZER,
  },
  'alpha2-beta1': {
    conv: { name: 'alpha-beta', alpha: 2, beta: 1 },
    dense: epsilon(),
    stabilizer: STABILIZER,
  },
} as const satisfies Record<string, LrpComposite>;

/**
 * The relevance map [N, H, W, C] of `composite` (caller disposes). With a z^B first rule, two rows
 * are added to the batch — the input at the range's low and high ends — whose values at the first
 * layer are its bounds (whatever normalization the model applies before it).
 */
export function lrp(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  composite: LrpComposite,
  title = 'LRP',
): tf.Tensor4D {
  const boxed = composite.first?.name === 'z-box';
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    const [lo, hi] = model.input.range;
    const xs = boxed
      ? (tf.concat([x, tf.fill([1, h, w, c], lo), tf.fill([1, h, w, c], hi)]) as tf.Tensor4D)
      : x;
    const start = tf.tidy(() => {
      const [act] = model.activations(x, [t.layer.name]);
      const r = targetRelevance(act, t);
      return boxed ? tf.concat([r, tf.zeros([2, ...r.shape.slice(1)])]) : r;
    });
    const relevance = withRules(
      { relu: 'gradient', relevance: { composite, from: xs, boundRows: boxed, title } },
      () =>
        tf.grad((xi: tf.Tensor) => model.activations(xi as tf.Tensor4D, [t.layer.name])[0])(
          xs,
          start,
        ),
    );
    return (boxed ? relevance.slice([0], [n]) : relevance) as tf.Tensor4D;
  });
}

interface LrpFacts {
  readonly name: string;
  readonly short: string;
  readonly title: string;
  readonly summary: string;
  readonly idea: string;
}

const lrpMethod = (
  { name, short, title, summary, idea }: LrpFacts,
  composite: (o: { epsilon?: number }) => LrpComposite,
  options: OptionSpecs = {},
): AnyAttribution =>
  defineAttribution({
    name,
    title,
    short,
    paper: 'Bach et al. 2015; Anders et al. 2021 (Zennit)',
    summary,
    idea,
    signed: true,
    display: 'heat',
    access: 'rules',
    options,
    explain: ({ model, x, target, options: o }) => ({
      map: lrp(model, x, target, composite(o as { epsilon?: number }), name),
    }),
  });

export const lrpEpsilonMethod = lrpMethod(
  {
    name: 'lrp-epsilon',
    idea: "The output score is passed back layer by layer as relevance, each neuron's share in proportion to its contribution to the layer above, with a small ε absorbing weak or contradictory contributions. What reaches the pixels sums, up to what ε absorbed, to the score being explained.",
    short: 'LRP-e',
    title: 'LRP-ε',
    summary:
      'relevance by the ε-rule at every layer (ε = 0: LRP-0, Gradient × Input on bias-free ReLU nets)',
  },
  (o) => ({ conv: epsilon(o.epsilon), dense: epsilon(o.epsilon), stabilizer: STABILIZER }),
  {
    epsilon: {
      type: 'number',
      help: "the ε-rule's stabilizer (Zennit's 1e-6; 0 is LRP-0)",
      default: STABILIZER,
    },
  },
);
export const lrpEpsilonPlusFlatMethod = lrpMethod(
  {
    name: 'lrp-epsilon-plus-flat',
    idea: "Zennit's EpsilonPlusFlat composite: relevance is split by positive contributions only (z⁺) in convolutions, by the ε rule in dense layers, and spread uniformly over the first layer's receptive field. The positive-only rule keeps maps of deep networks readable, the flat first layer keeps them from copying pixel intensity.",
    short: 'LRP+flat',
    title: 'LRP EpsilonPlusFlat',
    summary: 'LRP: flat on the first layer, z⁺ on convolutions, ε on dense layers (Zennit)',
  },
  () => COMPOSITES['epsilon-plus-flat'],
);
export const lrpEpsilonGammaBoxMethod = lrpMethod(
  {
    name: 'lrp-epsilon-gamma-box',
    idea: "Zennit's EpsilonGammaBox composite: the γ rule favours positive contributions in convolutions, ε handles dense layers, and the z^B rule bounds the first layer by the input's value range. It gives smoother, object-shaped maps than plain ε on deep convolutional networks.",
    short: 'LRP-gbox',
    title: 'LRP EpsilonGammaBox',
    summary:
      'LRP: z^B on the first convolution, γ = 0.25 on the others, ε on dense layers (Zennit)',
  },
  () => COMPOSITES['epsilon-gamma-box'],
);
export const lrpAlpha2Beta1Method = lrpMethod(
  {
    name: 'lrp-alpha2-beta1',
    idea: "Zennit's EpsilonAlpha2Beta1 composite: in convolutions positive contributions count twice and negative ones once against (α = 2, β = 1), ε in dense layers. The map shows both the evidence for the target and, more weakly, the evidence against it.",
    short: 'LRP-a2b1',
    title: 'LRP EpsilonAlpha2Beta1',
    summary: 'LRP: α2β1 on convolutions, ε on dense layers (Zennit)',
  },
  () => COMPOSITES['alpha2-beta1'],
);
