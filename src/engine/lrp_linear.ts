/**
 * LRP's rules for a linear layer z = lin(a, W) + b (Bach et al. 2015; Montavon et al. 2017, 2019),
 * as Zennit's BasicHook writes them (Anders et al. 2021: the relevance is what flows backward): each
 * rule evaluates the layer with modified inputs and parameters, divides the relevance arriving at z
 * by a stabilized denominator, and sends the quotient back through the modified layer:
 * - ε: R_a = a ⊙ Wᵀ·(R / (z + ε·sign z)) (ε = 0: LRP-0);
 * - z⁺ (α1β0): positive contributions a⁺W⁺ + a⁻W⁻ (+ b⁺) only;
 * - αβ: α times the positive contributions' share minus β times the negative ones';
 * - γ (the generalized form of Andéol et al. 2021): W + γW⁺ for positive outputs, W + γW⁻ for negative;
 * - flat: every weight 1, inputs 1 (spread uniformly over the receptive field);
 * - w²: weights squared, inputs 1;
 * - z^B: for inputs bounded by [L, H] (the first layer on pixels): z = Wa − W⁺L − W⁻H.
 * A stabilizer s(z) = z + e·sign(z) (sign 0 = +1) keeps every division finite. The layer is any
 * tfjs linear kernel (conv, depthwise conv, transposed conv, matmul) given as its forward with the
 * path input replaced and its input gradient (lin and back below).
 */
import * as tf from '@tensorflow/tfjs';

export type LrpRule =
  | { readonly name: 'epsilon'; readonly epsilon: number }
  | { readonly name: 'zplus' }
  | { readonly name: 'gamma'; readonly gamma: number }
  | { readonly name: 'alpha-beta'; readonly alpha: number; readonly beta: number }
  | { readonly name: 'flat' }
  | { readonly name: 'w-square' }
  | { readonly name: 'z-box' };

/** A linear layer as its rules see it. */
export interface LinearLayer {
  /** lin(a, W): the layer without its bias, on another input or weights. */
  lin(a: tf.Tensor, w: tf.Tensor): tf.Tensor;
  /** Wᵀ·s: the input gradient of lin(·, w) at s (shaped like the path input). */
  back(w: tf.Tensor, s: tf.Tensor, like: tf.Tensor): tf.Tensor;
  /** The path input (its activations), the weights and the bias (null: none), merges applied. */
  readonly a: tf.Tensor;
  readonly w: tf.Tensor;
  readonly b: tf.Tensor | null;
  /** z^B's bounds on the path input (broadcast against it). */
  readonly bounds?: readonly [tf.Tensor, tf.Tensor];
}

/** z + e·sign(z), sign 0 = +1 (Zennit's Stabilizer). */
export const stabilize = (z: tf.Tensor, e: number): tf.Tensor =>
  z.add(tf.where(z.greaterEqual(0), tf.scalar(e), tf.scalar(-e)));

const pos = (t: tf.Tensor) => t.relu();
const neg = (t: tf.Tensor) => t.minimum(0);
const plus = (u: tf.Tensor, b: tf.Tensor | null) => (b ? u.add(b) : u);

/** The relevance R_a of the layer's path input for the relevance R at its output, under `rule`; `stabilizer` for every rule but ε. */
export function linearRelevance(
  layer: LinearLayer,
  rule: LrpRule,
  r: tf.Tensor,
  stabilizer: number,
): tf.Tensor {
  const { a, w, b, lin, back } = layer;
  // 0/0 (a dead unit with no relevance, under LRP-0) is 0.
  const share = (z: tf.Tensor, e = stabilizer) =>
    tf.tidy(() => {
      const d = stabilize(z, e);
      return tf.where(d.equal(0), tf.zerosLike(r), r.div(d));
    });
  switch (rule.name) {
    case 'epsilon':
      return a.mul(back(w, share(plus(lin(a, w), b), rule.epsilon), a));
    case 'zplus': {
      const [ap, an, wp, wn] = [pos(a), neg(a), pos(w), neg(w)];
      const s = share(plus(lin(ap, wp), b && pos(b)).add(lin(an, wn)));
      return ap.mul(back(wp, s, a)).add(an.mul(back(wn, s, a)));
    }
    case 'alpha-beta': {
      const [ap, an, wp, wn] = [pos(a), neg(a), pos(w), neg(w)];
      const sp = share(plus(lin(ap, wp), b && pos(b)).add(lin(an, wn)));
      const sn = share(plus(lin(ap, wn), b && neg(b)).add(lin(an, wp)));
      const positive = ap.mul(back(wp, sp, a)).add(an.mul(back(wn, sp, a)));
      const negative = ap.mul(back(wn, sn, a)).add(an.mul(back(wp, sn, a)));
      return positive.mul(rule.alpha).sub(negative.mul(rule.beta));
    }
    case 'gamma': {
      const [ap, an] = [pos(a), neg(a)];
      const [wUp, wDown] = [w.add(pos(w).mul(rule.gamma)), w.add(neg(w).mul(rule.gamma))];
      const [bUp, bDown] = b
        ? [b.add(pos(b).mul(rule.gamma)), b.add(neg(b).mul(rule.gamma))]
        : [null, null];
      const z = plus(lin(a, w), b);
      const sUp = share(plus(lin(ap, wUp), bUp).add(lin(an, wDown))).mul(z.greater(0));
      const sDown = share(plus(lin(ap, wDown), bDown).add(lin(an, wUp))).mul(z.less(0));
      return ap
        .mul(back(wUp, sUp, a))
        .add(an.mul(back(wDown, sUp, a)))
        .add(ap.mul(back(wDown, sDown, a)))
        .add(an.mul(back(wUp, sDown, a)));
    }
    case 'flat': {
      const [ones, wOnes] = [tf.onesLike(a), tf.onesLike(w)];
      return back(wOnes, share(lin(ones, wOnes)), a);
    }
    case 'w-square': {
      const w2 = w.square();
      return back(w2, share(plus(lin(tf.onesLike(a), w2), b && b.square())), a);
    }
    case 'z-box': {
      if (!layer.bounds) throw new Error('the z-box rule needs the bounds of its input');
      const [low, high] = layer.bounds.map((t) => t.mul(tf.onesLike(a)));
      const [wp, wn] = [pos(w), neg(w)];
      const s = share(
        plus(lin(a, w), b)
          .sub(plus(lin(low, wp), b && pos(b)))
          .sub(plus(lin(high, wn), b && neg(b))),
      );
      return a
        .mul(back(w, s, a))
        .sub(low.mul(back(wp, s, a)))
        .sub(high.mul(back(wn, s, a)));
    }
  }
}
