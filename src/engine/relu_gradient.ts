/**
 * ReLU's and ReLU6's gradients without tfjs's casts. ReLU6 (MobileNet) is dy · [0 < x < 6],
 * taken as step(x·(6 − x)): tfjs's LessEqual + Cast + Step ran 3.5× slower on wasm (61 → 14 ms on
 * 8×112×112×96; LessEqual alone was the largest kernel of a MobileNetV2 input gradient).
 * ReLU's gradient without its cast. tfjs 4.22 computes dy · step(cast(x, 'float32')); x is already
 * float32 in every model deepvis runs, and wasm's Cast copies the tensor: 1.62 → 0.98 ms for a
 * 16×64×64×32 activation, five times per step of W1. Non-float inputs keep the cast.
 * Both read the op's output y, not its input: y > 0 exactly where x > 0 (and 0 < y < 6 where
 * 0 < x < 6), and y is what the next layer saves anyway, so the tape holds one tensor per ReLU
 * instead of two (PyTorch's in-place ReLU gets the same); 1/3 of ResNet-18's saved activations.
 * Registered by patches.ts; engine/rules.ts swaps rules on top of them.
 */
import * as tf from '@tensorflow/tfjs';

/** ReLU's gradient, reading the op's output (registered by patches.ts in the deepvis mode). */
export const RELU_GRADIENT: tf.GradConfig = {
  kernelName: 'Relu',
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return {
      x: () => tf.mul(dy as tf.Tensor, tf.step(x.dtype === 'float32' ? x : tf.cast(x, 'float32'))),
    };
  },
};

/**
 * ReLU6's gradient, reading the op's output. Registered in both modes: tfjs's own passes dy at
 * x = 6 (its LessEqual), where PyTorch's hardtanh backward gives 0 — a different number, not
 * only a slower one.
 */
export const RELU6_GRADIENT: tf.GradConfig = {
  kernelName: 'Relu6',
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return { x: () => tf.mul(dy as tf.Tensor, tf.step(tf.mul(x, tf.sub(6, x)))) };
  },
};
