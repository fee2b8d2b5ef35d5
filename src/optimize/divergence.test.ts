/**
 * Divergence is detected (issue #9 item 9): a jump of ≥ 5% of the values by more than half the
 * range in one step, or a non-finite image or score, stops the run with one line naming the step;
 * a negative learning rate is refused before any work; nothing leaks when a run stops this way.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fromLayersModel } from '../model/layers_adapter.js';
import { Objective } from '../objectives/objective.js';
import { units } from '../objectives/units.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { checkDivergence } from './divergence.js';
import { optimize } from './loop.js';
import { noLeaks, setup } from '../../test/helpers.js';

before(() => setup('wasm'));

function linear() {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [4, 5, 1], name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 2,
      name: 'out',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    }),
  );
  return fromLayersModel(m, { range: [0, 1] });
}

describe('divergence', () => {
  it('counts a jump of more than half the range in 5% of the values (1 of 20), not a smaller move', () => {
    tf.tidy(() => {
      const prev = tf.zeros([1, 4, 5, 1]) as tf.Tensor4D;
      const step = (v: number) => tf.tensor4d([v, ...new Array(19).fill(0.1)], [1, 4, 5, 1]);
      assert.throws(
        () => checkDivergence(prev, step(0.6), [0, 1], 7),
        /^DeepvisError: diverged at step 7 \(5% of the pixels jumped more than half the input range in one step\); lower --lr$/,
      );
      assert.doesNotThrow(() => checkDivergence(prev, step(0.4), [0, 1], 7));
      assert.throws(
        () => checkDivergence(null, step(NaN), [0, 1], 0),
        /diverged at step 0 \(the image or its scores are no longer finite numbers\)/,
      );
      // A sigmoid-bounded image with half its 20 values at the ends (within 0.1% of the range) is saturated; 9 of 20 is not.
      const pinned = (k: number) =>
        tf.tensor4d(
          Array.from({ length: 20 }, (_, i) => (i < k ? (i % 2 ? 0.9995 : 0.0005) : 0.5)),
          [1, 4, 5, 1],
        );
      assert.throws(
        () => checkDivergence(null, pinned(10), [0, 1], 3, undefined, true),
        /diverged at step 3 \(50% of the pixels are pinned at the ends of the input range, where the sigmoid saturated\); lower --lr/,
      );
      assert.doesNotThrow(() => checkDivergence(null, pinned(9), [0, 1], 3, undefined, true));
      assert.doesNotThrow(
        () => checkDivergence(null, pinned(20), [0, 1], 3),
        'pixels (not bounded) may sit at the ends',
      );
      // A seed image 80% black at the start (accentuating an MNIST digit): only newly pinned values count.
      assert.doesNotThrow(() => checkDivergence(null, pinned(16), [0, 1], 0, undefined, true, 16));
      assert.doesNotThrow(
        () => checkDivergence(null, pinned(17), [0, 1], 3, undefined, true, 16),
        '1 of the 4 free values pinned',
      );
      assert.throws(
        () => checkDivergence(null, pinned(18), [0, 1], 3, undefined, true, 16),
        /diverged at step 3/,
      );
    });
  });

  it('stops a run at lr 1e30 at its first step keeping its best image, refuses a negative lr, and leaks nothing', async () => {
    const model = linear();
    const objective = units(model.layer('out'), [0, 1]);
    const run = (lr: number, obj = objective) => {
      const param = pixels(() => tf.fill([2, 4, 5, 1], 0.2) as tf.Tensor4D);
      try {
        return optimize(model, param, obj, { steps: 10, lr, projections: [clampRange([0, 1])] });
      } finally {
        param.dispose();
      }
    };
    await noLeaks(() => {
      // A diverging run stops and keeps its best image from the sane steps before (issue 27, item 6).
      const wild = run(1e30);
      assert.match(wild.stopped?.reason ?? '', /^diverged at step 1 .*; lower --lr$/);
      assert.equal(wild.stopped?.step, 1);
      assert.ok(wild.images.dataSync().every(Number.isFinite), 'the kept image is the sane one');
      assert.deepEqual(Array.from(wild.steps), [1, 1]);
      wild.images.dispose();
      assert.throws(() => run(-0.1), /^DeepvisError: --lr must be a positive number; got -0.1$/);
      const nan = new Objective([], (_, x) => x.sum([1, 2, 3]).mul(NaN) as tf.Tensor1D, 'NaN');
      const nanRun = run(0.01, nan);
      assert.match(
        nanRun.stopped?.reason ?? '',
        /diverged at step 0 \(the image or its scores are no longer finite numbers\)/,
      );
      nanRun.images.dispose();
      const ok = run(0.01);
      assert.equal(ok.stopped, undefined);
      ok.images.dispose();
    });
  });
});
