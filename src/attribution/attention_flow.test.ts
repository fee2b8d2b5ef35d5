/** Attention rollout and gradient-weighted attention on matrices worked out by hand. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { setup } from '../../test/helpers.js';
import {
  discardWeakest,
  fuseHeads,
  gradientWeightedRollout,
  patchRelevance,
  rollout,
} from './attention_flow.js';

const close = (got: number[], want: number[], tol = 1e-6) =>
  got.forEach((v, i) =>
    assert.ok(
      Math.abs(v - want[i]) <= tol,
      `[${i}] ${v} vs ${want[i]} (${got.map((x) => x.toFixed(4))})`,
    ),
  );

/** One image, heads last: [1, T, T, heads] from per-head row-major matrices. */
const att = (...heads: number[][]) => {
  const t = Math.sqrt(heads[0].length);
  return tf.tensor4d(
    Array.from(
      { length: t * t * heads.length },
      (_, k) => heads[k % heads.length][Math.floor(k / heads.length)],
    ),
    [1, t, t, heads.length],
  );
};

describe('attention flow', () => {
  before(() => setup('cpu'));

  it('fuses heads by mean, max and min', () => {
    const a = att([0, 1, 1, 0], [1, 0, 0.5, 0.5]);
    close([...fuseHeads(a, 'mean').dataSync()], [0.5, 0.5, 0.75, 0.25]);
    close([...fuseHeads(a, 'max').dataSync()], [1, 1, 1, 0.5]);
    close([...fuseHeads(a, 'min').dataSync()], [0, 0, 0.5, 0]);
  });

  it('drops the weakest share, but never the class token on itself', () => {
    const a = tf.tensor3d([
      [
        [0.1, 0.4],
        [0.2, 0.3],
      ],
    ]);
    close([...discardWeakest(a, 0.5, true).dataSync()], [0.1, 0.4, 0, 0.3]); // 0.1 and 0.2 are weakest; 0.1 is kept
    close([...discardWeakest(a, 0.5, false).dataSync()], [0, 0.4, 0, 0.3]);
  });

  it('rolls out: identity attention stays the identity; one block is (A + I)/2 with rows renormalized', () => {
    close([...rollout([att([1, 0, 0, 1])], 'mean', 0).dataSync()], [1, 0, 0, 1]);
    // A = [[.5, .5], [.2, .8]]: (A + I)/2 = [[.75, .25], [.1, .9]], rows already sum to 1.
    close([...rollout([att([0.5, 0.5, 0.2, 0.8])], 'mean', 0).dataSync()], [0.75, 0.25, 0.1, 0.9]);
    // Two blocks multiply: B·A with the later block on the left.
    const a = [0.5, 0.5, 0.2, 0.8],
      b = [1, 0, 0.4, 0.6];
    const ra = [
        [0.75, 0.25],
        [0.1, 0.9],
      ],
      rb = [
        [1, 0],
        [0.2, 0.8],
      ];
    const want = [0, 1].flatMap((i) =>
      [0, 1].map((j) => rb[i][0] * ra[0][j] + rb[i][1] * ra[1][j]),
    );
    close([...rollout([att(a), att(b)], 'mean', 0).dataSync()], want);
  });

  it('weights attention by its gradient (Chefer et al.): R = I + relu(∇A ⊙ A)·I per block', () => {
    const a = att([0.5, 0.5, 0.2, 0.8]);
    const g = att([1, -1, 2, 0.5]);
    // relu(g ⊙ a) = [[.5, 0], [.4, .4]]; R = I + that.
    close([...gradientWeightedRollout([a], [g]).dataSync()], [1.5, 0, 0.4, 1.4]);
    // Heads are averaged after the clamp, not before.
    const two = gradientWeightedRollout(
      [att([1, 0, 0, 1], [1, 0, 0, 1])],
      [att([1, 0, 0, 1], [-1, 0, 0, -1])],
    );
    close([...two.dataSync()], [1.5, 0, 0, 1.5]);
  });

  it('reads the class token row over the patch grid (or the mean row without a prefix), peak 1', () => {
    const r = tf.tensor3d([
      [
        [1, 0.2, 0.4, 0.1, 0.3],
        [0, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 1],
      ],
    ]);
    close([...patchRelevance(r, { prefix: 1, grid: [2, 2] }).dataSync()], [0.5, 1, 0.25, 0.75]);
    const q = tf.tensor3d([
      [
        [1, 3],
        [3, 1],
      ],
    ]);
    close([...patchRelevance(q, { prefix: 0, grid: [1, 2] }).dataSync()], [1, 1]);
  });
});
