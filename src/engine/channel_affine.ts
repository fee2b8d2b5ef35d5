/**
 * x · scale + shift per channel, for a frozen (inference-mode) batch norm, whose backward pass
 * keeps nothing of the size of x. As a plain mul + add, tfjs's Mul saves both of its inputs for
 * the gradient of each, so the tape holds the whole pre-norm activation although the input
 * gradient needs only the scale: for ResNet-18 that is a third of what a batch-8 input gradient
 * keeps. scale and shift are constants of the model (no gradient flows to them, as in a frozen
 * model's input gradient); their values are read when the op runs, so editing them in place
 * (MPRT's randomization) still counts. The op is recorded on the tape as CHANNEL_AFFINE with
 * scale and shift as its inputs '1' and '2', so rule sets see it (LRP's canonizer merges it into
 * the convolution before it: engine/lrp_rules.ts).
 */
import * as tf from '@tensorflow/tfjs';

/** The op's name on the tape. */
export const CHANNEL_AFFINE = 'ChannelAffine';

export function channelAffine(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((input: tf.Tensor, s: tf.Tensor, t: tf.Tensor) => ({
    value: tf.add(tf.mul(input, s), t),
    gradFunc: (dy: tf.Tensor) => [tf.mul(dy, s), tf.zerosLike(s), tf.zerosLike(t)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(CHANNEL_AFFINE, () => f(x, scale, shift));
}
