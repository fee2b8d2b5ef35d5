/** Objectives against values computed by hand. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { LayerInfo } from '../model/types.js';
import { diversity } from './diversity.js';
import { featureMatch } from './feature_match.js';
import { deepDream, direction } from './layer.js';
import { lpNorm, totalVariation } from './priors.js';
import { units } from './units.js';
import { noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

const conv: LayerInfo = { name: 'c', kind: 'Conv2D', outputShape: [3, 3, 4], units: 4, index: 1 };
const acts = (t: tf.Tensor) => new Map([['c', t]]);
const score = (
  o: { score: (a: Map<string, tf.Tensor>, x: tf.Tensor4D) => tf.Tensor1D },
  a: tf.Tensor,
  x?: tf.Tensor4D,
) =>
  Array.from(
    tf.tidy(() => o.score(acts(a), x ?? (tf.zeros([1, 1, 1, 1]) as tf.Tensor4D)).dataSync()),
  );

describe('objectives', () => {
  it('DeepDream is the mean squared activation; a one-hot direction is the channel mean', () => {
    const a = tf.tensor4d(values(2 * 3 * 3 * 4, 1), [2, 3, 3, 4]);
    const v = a.arraySync();
    const msq = v.map((img) => img.flat(2).reduce((s, x) => s + x * x, 0) / 36);
    score(deepDream(conv), a).forEach((s, i) => assert.ok(Math.abs(s - msq[i]) < 1e-5));
    const d = score(direction(conv, [[0, 0, 5, 0]]), a);
    const ch = score(units(conv, [2, 2]), a);
    d.forEach((s, i) => assert.ok(Math.abs(s - ch[i]) < 1e-5));
    assert.throws(() => direction(conv, [[1, 2]]), /2 components but layer 'c' has 4 channels/);
  });

  it('diversity: identical items score −1, items with orthogonal Gram matrices 0', () => {
    const same = tf.tensor4d(
      Array(2)
        .fill(Array.from(values(36, 2)))
        .flat(),
      [2, 3, 3, 4],
    );
    score(diversity(conv), same).forEach((s) => assert.ok(Math.abs(s + 1) < 1e-5));
    const a = tf.buffer([2, 3, 3, 4]);
    a.set(1, 0, 0, 0, 0); // item 0 uses channel 0 only, item 1 channel 3 only
    a.set(1, 1, 1, 1, 3);
    score(diversity(conv), a.toTensor()).forEach((s) => assert.ok(Math.abs(s) < 1e-6));
    // Groups: identical items in different groups do not count against each other.
    score(diversity(conv, [0, 1]), same).forEach((s) => assert.ok(Math.abs(s) < 1e-6));
  });

  it('feature match is 0 at the target and −1 at zero activations', () => {
    const t = tf.tensor4d(values(36, 4), [1, 3, 3, 4]);
    const fm = featureMatch(conv, t);
    const both = tf.concat([t, tf.zerosLike(t)]);
    const s = score(fm, both);
    assert.ok(Math.abs(s[0]) < 1e-6 && Math.abs(s[1] + 1) < 1e-5);
    fm.dispose();
    assert.throws(() => featureMatch(conv, tf.zeros([1, 3, 3, 4])), /all zeros/);
  });

  it('TV is 0 for a constant image and counts squared neighbour steps; Lp is the mean |x − c|^p', async () => {
    await noLeaks(() => {
      const x = tf.fill([1, 4, 4, 1], 0.3) as tf.Tensor4D;
      const a = tf.zeros([1]);
      const flat = score(totalVariation(), a, x);
      assert.ok(Math.abs(flat[0]) < 1e-7);
      tf.dispose([x, a]);
    });
    // A vertical edge: each of the 3×3 cells has dx² = 1 in one column of three → mean 1/3.
    const edge = tf.tensor4d([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1], [1, 4, 4, 1]);
    assert.ok(Math.abs(score(totalVariation(), tf.zeros([1]), edge)[0] + 1 / 3) < 1e-6);
    assert.ok(Math.abs(score(lpNorm(2, 0.5), tf.zeros([1]), edge)[0] + 0.25) < 1e-6);
  });
});
