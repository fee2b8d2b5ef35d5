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

/** One classification problem: positive rows [np, d] against negative rows [nn, d]. */
export interface LinearProblem {
  readonly pos: Float32Array;
  readonly neg: Float32Array;
  readonly seed: number;
}

/**
 * Fits many problems of the same width d at once (TCAV's concepts × random runs): one batched
 * optimization whose loss is the sum of the problems' losses, so each problem's gradient — and,
 * Adam being elementwise, its every step — is what it would be alone. Problems with fewer rows are
 * padded with rows of weight 0. Features are scaled per problem by one number (their RMS) so one
 * learning rate serves every layer.
 */
export function fitLinearBatch(
  problems: readonly LinearProblem[],
  d: number,
  args: Partial<typeof LINEAR_DEFAULTS> = {},
): LinearFit[] {
  const { alpha, steps, lr, testSplit } = { ...LINEAR_DEFAULTS, ...args };
  if (problems.length === 0) return [];
  const parts = problems.map((pr) => {
    const np = pr.pos.length / d;
    const nn = pr.neg.length / d;
    const order = new Rng(pr.seed).permutation(np + nn);
    const nTest = Math.floor(testSplit * (np + nn));
    const row = (r: number) =>
      r < np
        ? pr.pos.subarray(r * d, (r + 1) * d)
        : pr.neg.subarray((r - np) * d, (r - np + 1) * d);
    const pack = (rows: number[]) => {
      const x = new Float32Array(rows.length * d);
      rows.forEach((r, i) => x.set(row(r), i * d));
      return { x, y: Float32Array.from(rows, (r) => (r < np ? 1 : 0)) };
    };
    const train = pack(order.slice(nTest));
    let ss = 0;
    for (const v of train.x) ss += v * v;
    return {
      train,
      test: pack(order.slice(0, nTest)),
      scale: Math.sqrt(ss / Math.max(1, train.x.length)) || 1,
    };
  });
  const b = problems.length;
  const n = Math.max(...parts.map((p) => p.train.y.length));
  const xs = new Float32Array(b * n * d);
  const ys = new Float32Array(b * n);
  const ws = new Float32Array(b * n);
  parts.forEach((p, i) => {
    const m = p.train.y.length;
    for (let j = 0; j < m * d; j++) xs[i * n * d + j] = p.train.x[j] / p.scale;
    ys.set(p.train.y, i * n);
    ws.fill(1 / Math.max(1, m), i * n, i * n + m);
  });
  const w = tf.tidy(() => tf.variable(tf.zeros([b, d, 1])));
  const bias = tf.tidy(() => tf.variable(tf.zeros([b, 1, 1])));
  const opt = tf.train.adam(lr);
  try {
    const x = tf.tensor3d(xs, [b, n, d]);
    const y = tf.tensor3d(ys, [b, n, 1]);
    const weight = tf.tensor3d(ws, [b, n, 1]);
    for (let s = 0; s < steps; s++) {
      const loss = opt.minimize(
        () => {
          const z = tf.matMul(x, w).add(bias);
          // Sigmoid cross-entropy, stable: max(z, 0) − z·y + log(1 + e^−|z|); each problem's mean, summed.
          const ce = tf
            .relu(z)
            .sub(z.mul(y))
            .add(tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
          return ce
            .mul(weight)
            .sum()
            .add(
              w
                .square()
                .sum()
                .mul(alpha / 2),
            ) as tf.Scalar;
        },
        false,
        [w, bias],
      );
      if (loss) loss.dispose();
    }
    tf.dispose([x, y, weight]);
    const wAll = w.dataSync() as Float32Array;
    const bAll = bias.dataSync();
    return parts.map((p, i) => {
      const wv = Float32Array.from(wAll.subarray(i * d, (i + 1) * d), (v) => v / p.scale);
      const bv = bAll[i];
      let hits = 0;
      for (let r = 0; r < p.test.y.length; r++) {
        let z = bv;
        for (let t = 0; t < d; t++) z += p.test.x[r * d + t] * wv[t];
        if ((z > 0 ? 1 : 0) === p.test.y[r]) hits++;
      }
      return { w: wv, b: bv, accuracy: p.test.y.length ? hits / p.test.y.length : NaN };
    });
  } finally {
    tf.dispose([w, bias]);
    opt.dispose();
  }
}

/** Fits positives (label 1) against negatives (label 0): rows of `pos` [np, d] and `neg` [nn, d]. */
export function fitLinear(
  pos: Float32Array,
  neg: Float32Array,
  d: number,
  seed: number,
  args: Partial<typeof LINEAR_DEFAULTS> = {},
): LinearFit {
  return fitLinearBatch([{ pos, neg, seed }], d, args)[0];
}
