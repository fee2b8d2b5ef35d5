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
 * path input replaced and its input gradient (lin and back below). The rules are written once, over
 * an algebra of tensors (RelevanceOps): tfjs tensors here, ONNX nodes in the onnxruntime gradient
 * graph (model/formats/onnx/grad/vjp_lrp.ts).
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

/** The operations the rules need, on some kind of tensor T (a tfjs tensor, an ONNX node's output). */
export interface RelevanceOps<T> {
  pos(t: T): T;
  neg(t: T): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  times(t: T, k: number): T;
  onesLike(t: T): T;
  /** 1 where z > 0 (sign 1) or z < 0 (sign −1), else 0. */
  where(z: T, sign: 1 | -1): T;
  /** r / s(z) with s(z) = z + e·sign(z) (sign 0 = +1), 0 where s(z) is 0 (0/0 of a dead unit). */
  share(z: T, r: T, e: number): T;
  /** t broadcast to like's shape. */
  expand(t: T, like: T): T;
}

/** A linear layer as its rules see it. */
export interface LinearLayer<T = tf.Tensor> {
  /** lin(a, W): the layer without its bias, on another input or weights. */
  lin(a: T, w: T): T;
  /** Wᵀ·s: the input gradient of lin(·, w) at s (shaped like the path input). */
  back(w: T, s: T): T;
  /** The path input (its activations), the weights and the bias (null: none), merges applied. */
  readonly a: T;
  readonly w: T;
  readonly b: T | null;
  /** z^B's bounds on the path input (broadcast against it). */
  readonly bounds?: readonly [T, T];
}

/** z + e·sign(z), sign 0 = +1 (Zennit's Stabilizer). */
export const stabilize = (z: tf.Tensor, e: number): tf.Tensor =>
  z.add(tf.where(z.greaterEqual(0), tf.scalar(e), tf.scalar(-e)));

/** The algebra on tfjs tensors. */
export const TFJS_OPS: RelevanceOps<tf.Tensor> = {
  pos: (t) => t.relu(),
  neg: (t) => t.minimum(0),
  add: (a, b) => a.add(b),
  sub: (a, b) => a.sub(b),
  mul: (a, b) => a.mul(b),
  times: (t, k) => t.mul(k),
  onesLike: (t) => tf.onesLike(t),
  where: (z, sign) => (sign > 0 ? z.greater(0) : z.less(0)).toFloat(),
  share: (z, r, e) =>
    tf.tidy(() => {
      const d = stabilize(z, e);
      return tf.where(d.equal(0), tf.zerosLike(r), r.div(d));
    }),
  expand: (t, like) => t.mul(tf.onesLike(like)),
};

/** The relevance R_a of the layer's path input for the relevance R at its output, under `rule`; `stabilizer` for every rule but ε. */
export function linearRelevance<T>(
  ops: RelevanceOps<T>,
  layer: LinearLayer<T>,
  rule: LrpRule,
  r: T,
  stabilizer: number,
): T {
  const { a, w, b, lin, back } = layer;
  const { pos, neg, add, sub, mul } = ops;
  const plus = (u: T, c: T | null) => (c ? add(u, c) : u);
  const share = (z: T, e = stabilizer) => ops.share(z, r, e);
  switch (rule.name) {
    case 'epsilon':
      return mul(a, back(w, share(plus(lin(a, w), b), rule.epsilon)));
    case 'zplus': {
      const [ap, an, wp, wn] = [pos(a), neg(a), pos(w), neg(w)];
      const s = share(add(plus(lin(ap, wp), b && pos(b)), lin(an, wn)));
      return add(mul(ap, back(wp, s)), mul(an, back(wn, s)));
    }
    case 'alpha-beta': {
      const [ap, an, wp, wn] = [pos(a), neg(a), pos(w), neg(w)];
      const sp = share(add(plus(lin(ap, wp), b && pos(b)), lin(an, wn)));
      const sn = share(add(plus(lin(ap, wn), b && neg(b)), lin(an, wp)));
      const positive = add(mul(ap, back(wp, sp)), mul(an, back(wn, sp)));
      const negative = add(mul(ap, back(wn, sn)), mul(an, back(wp, sn)));
      return sub(ops.times(positive, rule.alpha), ops.times(negative, rule.beta));
    }
    case 'gamma': {
      const [ap, an] = [pos(a), neg(a)];
      const g = rule.gamma;
      const [wUp, wDown] = [add(w, ops.times(pos(w), g)), add(w, ops.times(neg(w), g))];
      const [bUp, bDown] = b
        ? [add(b, ops.times(pos(b), g)), add(b, ops.times(neg(b), g))]
        : [null, null];
      const z = plus(lin(a, w), b);
      const sUp = mul(share(add(plus(lin(ap, wUp), bUp), lin(an, wDown))), ops.where(z, 1));
      const sDown = mul(share(add(plus(lin(ap, wDown), bDown), lin(an, wUp))), ops.where(z, -1));
      return add(
        add(mul(ap, back(wUp, sUp)), mul(an, back(wDown, sUp))),
        add(mul(ap, back(wDown, sDown)), mul(an, back(wUp, sDown))),
      );
    }
    case 'flat': {
      const wOnes = ops.onesLike(w);
      return back(wOnes, share(lin(ops.onesLike(a), wOnes)));
    }
    case 'w-square': {
      const w2 = mul(w, w);
      return back(w2, share(plus(lin(ops.onesLike(a), w2), b && mul(b, b))));
    }
    case 'z-box': {
      if (!layer.bounds) throw new Error('the z-box rule needs the bounds of its input');
      const [low, high] = layer.bounds.map((t) => ops.expand(t, a));
      const [wp, wn] = [pos(w), neg(w)];
      const s = share(
        sub(
          sub(plus(lin(a, w), b), plus(lin(low, wp), b && pos(b))),
          plus(lin(high, wn), b && neg(b)),
        ),
      );
      return sub(sub(mul(a, back(w, s)), mul(low, back(wp, s))), mul(high, back(wn, s)));
    }
  }
}
