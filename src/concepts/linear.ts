/**
 * The linear classifier a concept activation vector comes from (Kim et al. 2018): L2-regularized
 * logistic regression, mean loss + α/2 ‖w‖² with Captum's α = 0.01, fitted full-batch by Adam in
 * tfjs from zero (so deterministic), on a seeded train split; Captum's DefaultClassifier holds out
 * a third of the examples (test_split_ratio 0.33) and reports the accuracy on them.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';

export const LINEAR_DEFAULTS = { alpha: 0.01, steps: 300, lr: 0.01, testSplit: 0.33 } as const;

export interface LinearFit {
  /** Weights [d] pointing to the positive class. */
  readonly w: Float32Array;
  readonly b: number;
  /** Accuracy on the held-out part (NaN when it is empty). */
  readonly accuracy: number;
}

/**
 * Fits positives (label 1) against negatives (label 0): rows of `pos` [np, d] and `neg` [nn, d].
 * Features are scaled by one number (their overall RMS) so one learning rate serves every layer.
 */
export function fitLinear(pos: Float32Array, neg: Float32Array, d: number, seed: number, args: Partial<typeof LINEAR_DEFAULTS> = {}): LinearFit {
  const { alpha, steps, lr, testSplit } = { ...LINEAR_DEFAULTS, ...args };
  const np = pos.length / d;
  const nn = neg.length / d;
  const order = new Rng(seed).permutation(np + nn);
  const nTest = Math.floor(testSplit * (np + nn));
  const row = (r: number) => (r < np ? pos.subarray(r * d, (r + 1) * d) : neg.subarray((r - np) * d, (r - np + 1) * d));
  const pack = (rows: number[]) => {
    const x = new Float32Array(rows.length * d);
    rows.forEach((r, i) => x.set(row(r), i * d));
    return { x, y: Float32Array.from(rows, (r) => (r < np ? 1 : 0)) };
  };
  const train = pack(order.slice(nTest));
  const test = pack(order.slice(0, nTest));
  let ss = 0;
  for (const v of train.x) ss += v * v;
  const scale = Math.sqrt(ss / Math.max(1, train.x.length)) || 1;
  const n = train.y.length;
  const w = tf.variable(tf.zeros([d, 1]));
  const b = tf.variable(tf.zeros([1]));
  const opt = tf.train.adam(lr);
  try {
    const x = tf.tensor2d(train.x, [n, d]).div(scale);
    const y = tf.tensor2d(train.y, [n, 1]);
    for (let s = 0; s < steps; s++) {
      const loss = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, x.matMul(w).add(b)).add(w.square().sum().mul(alpha / 2)) as tf.Scalar, false, [w, b]);
      if (loss) loss.dispose();
    }
    tf.dispose([x, y]);
    const wv = (w.dataSync() as Float32Array).map((v) => v / scale);
    const bv = b.dataSync()[0];
    let hits = 0;
    for (let i = 0; i < test.y.length; i++) {
      let z = bv;
      for (let t = 0; t < d; t++) z += test.x[i * d + t] * wv[t];
      if ((z > 0 ? 1 : 0) === test.y[i]) hits++;
    }
    return { w: wv, b: bv, accuracy: test.y.length ? hits / test.y.length : NaN };
  } finally {
    tf.dispose([w, b]);
    opt.dispose();
  }
}
