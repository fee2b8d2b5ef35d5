/**
 * Yosinski et al. 2015 as the toolbox runs it: the default set is Table 1's third row (the
 * paper's best); each set runs its own iteration count; the 'progress' policy takes the step the
 * linearized unit predicts to raise it by the target (worked out by hand on a linear unit); the
 * constant policy's 0–255 rate is rescaled to the model's range; the random search stays inside
 * the stated ranges.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fromLayersModel } from '../model/layers_adapter.js';
import {
  randomPresets,
  SEARCH_RANGES,
  yosinski,
  yosinskiParams,
  YOSINSKI_PRESETS,
  type YosinskiSet,
} from './yosinski.js';
import { noLeaks, setup } from '../../test/helpers.js';
import { smallCnn } from '../../test/fixtures/small_cnn.js';

before(() => setup('wasm'));

/** score = w·x on a 2×2 image in [0, 255] (the toolbox's own pixel scale, so s = 1); ‖w‖² = 30. */
function linear() {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [2, 2, 1] }));
  m.add(
    tf.layers.dense({
      units: 1,
      name: 'out',
      weights: [tf.tensor2d([[1], [2], [3], [4]]), tf.zeros([1])],
    }),
  );
  return fromLayersModel(m, { range: [0, 255] });
}

const bare = (lr: YosinskiSet['lr'], steps: number): YosinskiSet => ({
  decay: 0,
  blurRadius: 0,
  blurEvery: 0,
  normPct: 0,
  contributionPct: 0,
  steps,
  lr,
});

describe('yosinski as the toolbox runs it', () => {
  it("defaults to Table 1's third row with its own 1000 iterations, constant lr 100", () => {
    const p = yosinskiParams({});
    assert.equal(p.sets.length, 1);
    assert.deepEqual(p.sets[0], YOSINSKI_PRESETS[2]);
    assert.equal(p.sets[0].blurRadius, 1);
    assert.equal(p.steps, 1000);
    assert.deepEqual(p.sets[0].lr, { policy: 'constant', lr: 100 });
    // The four sets do not share one count: 500, 750, 1000, 1000.
    assert.deepEqual(
      YOSINSKI_PRESETS.map((s) => s.steps),
      [500, 750, 1000, 1000],
    );
    assert.equal(yosinskiParams({ sets: YOSINSKI_PRESETS }).steps, 3250);
    assert.equal(yosinskiParams({ sets: YOSINSKI_PRESETS, steps: 7 }).steps, 28);
  });

  it('the calibrated rate is the same on every run at seed 0 (tfjs takes seed 0 as "no seed")', () => {
    const model = smallCnn(10, 3);
    const run = () => {
      const r = yosinski(model, {
        layer: 'logits',
        units: [0, 1],
        sets: [bare({ policy: 'constant', lr: 100 }, 2)],
        seed: 0,
      });
      const out = [r.params.rateFactor, ...r.images.dataSync()];
      r.dispose();
      return out;
    };
    assert.deepEqual(run(), run());
  });

  it('runs each set for its own number of steps, one after another', async () => {
    const model = linear();
    await noLeaks(() => {
      const seen: Array<[number, number]> = [];
      const r = yosinski(model, {
        layer: 'out',
        units: [0],
        rates: 'toolbox',
        sets: [
          bare({ policy: 'constant', lr: 0.01 }, 3),
          bare({ policy: 'constant', lr: 0.01 }, 5),
        ],
        onStep: (i) => seen.push([i.step, i.steps]),
      });
      assert.deepEqual(
        seen.map((s) => s[0]),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      assert.ok(seen.every((s) => s[1] === 8));
      assert.deepEqual(
        r.units.map((u) => u.steps),
        [3, 5],
      );
      assert.deepEqual(r.images.shape, [2, 2, 2, 1]);
      r.images.dispose();
    });
  });

  it("'progress' raises a linear unit by the target per step, capped by max_lr", async () => {
    const model = linear();
    await noLeaks(() => {
      // Start ≈ 127.5 + noise: score ≈ 1275. Target 6 per step → +6 exactly (w·(6/30)·w = 6).
      const history: Float32Array[] = [];
      const r = yosinski(model, {
        layer: 'out',
        units: [0],
        rates: 'toolbox',
        sets: [bare({ policy: 'progress', maxLr: 1e8, progress: 6 }, 4)],
        onStep: (i) => history.push(Float32Array.from(i.scores)),
      });
      for (let t = 1; t < 4; t++)
        assert.ok(
          Math.abs(history[t][0] - history[t - 1][0] - 6) < 1e-2,
          `step ${t}: ${history[t][0] - history[t - 1][0]}`,
        );
      r.images.dispose();
      // max_lr 0.1 < 6/30: the step is 0.1·w, a gain of 0.1·30 = 3.
      const capped: number[] = [];
      const c = yosinski(model, {
        layer: 'out',
        units: [0],
        rates: 'toolbox',
        sets: [bare({ policy: 'progress', maxLr: 0.1, progress: 6 }, 3)],
        onStep: (i) => capped.push(i.scores[0]),
      });
      assert.ok(Math.abs(capped[2] - capped[1] - 3) < 1e-2, `capped gain ${capped[2] - capped[1]}`);
      c.images.dispose();
    });
  });

  it("rescales the constant policy's 0–255 rate to the model's range (lr·s²)", async () => {
    // The same unit on [0, 1] inputs: w·x with x = p/255 is (w/255)·p, a gradient 255× smaller in
    // p-units… per unit of x the gradient is w; lr 100 on 0–255 means 100/255² here: gain 30·100/255².
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [2, 2, 1] }));
    m.add(
      tf.layers.dense({
        units: 1,
        name: 'out',
        weights: [tf.tensor2d([[1], [2], [3], [4]]), tf.zeros([1])],
      }),
    );
    const model = fromLayersModel(m, { range: [0, 1] });
    const scores: number[] = [];
    const r = yosinski(model, {
      layer: 'out',
      units: [0],
      rates: 'toolbox',
      sets: [bare({ policy: 'constant', lr: 100 }, 3)],
      onStep: (i) => scores.push(i.scores[0]),
    });
    const gain = scores[2] - scores[1];
    assert.ok(Math.abs(gain - (30 * 100) / 255 ** 2) < 1e-3, `gain ${gain}`);
    r.images.dispose();
    // lr scale 2 doubles it.
    const doubled: number[] = [];
    yosinski(model, {
      layer: 'out',
      units: [0],
      rates: 'toolbox',
      lr: 2,
      sets: [bare({ policy: 'constant', lr: 100 }, 3)],
      onStep: (i) => doubled.push(i.scores[0]),
    }).images.dispose();
    assert.ok(Math.abs(doubled[2] - doubled[1] - 2 * gain) < 1e-3);
  });

  it("draws random sets inside the search's ranges, each with one of Table 1's schedules", () => {
    const sets = randomPresets(300, 5);
    const r = SEARCH_RANGES;
    const within = (v: number, [lo, hi]: readonly [number, number]) =>
      v === 0 || (v >= lo - 1e-9 && v <= hi + 1e-9);
    for (const s of sets) {
      assert.ok(within(s.decay, r.decay), `decay ${s.decay}`);
      assert.ok(within(s.blurRadius, r.blurRadius), `blur ${s.blurRadius}`);
      assert.equal(s.blurEvery, s.blurRadius > 0 ? 4 : 0);
      assert.ok(within(s.normPct, r.normPct) && within(s.contributionPct, r.contributionPct));
      assert.ok(
        YOSINSKI_PRESETS.some(
          (p) => p.steps === s.steps && JSON.stringify(p.lr) === JSON.stringify(s.lr),
        ),
      );
    }
    // Both on and off occur for every regularizer, and the draws differ.
    for (const k of ['decay', 'blurRadius', 'normPct', 'contributionPct'] as const) {
      assert.ok(sets.some((s) => s[k] === 0) && sets.some((s) => s[k] > 0), k);
    }
    assert.notDeepEqual(randomPresets(3, 1), randomPresets(3, 2));
  });
});
