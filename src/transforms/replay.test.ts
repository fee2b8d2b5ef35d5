/**
 * The loop's random transforms draw the same when called again for the same step (a pass ahead of
 * the tape made that step's images: engine/rng.ts's rewindPerStep), and a run that calls every
 * step twice draws exactly what a run that calls it once draws. Each of the four hooks: Lucid's
 * affine set, DeepDream's tiles, MaCo's crops and Ghiasi's ensemble.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { defaultTransforms, randomTransforms } from './affine.js';
import { randomCrops } from './crops.js';
import { augmentEnsemble, ghiasiEnsemble } from './ensemble.js';
import { randomTiles } from './tiles.js';
import { noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

type Hook = (x: tf.Tensor4D, step: number) => tf.Tensor4D;
const hooks: Record<string, (rng: Rng) => Hook> = {
  affine: (rng) => randomTransforms(defaultTransforms(12, 12), rng, 0.5),
  tiles: (rng) => randomTiles([6, 6], rng),
  crops: (rng) =>
    randomCrops({ count: 3, box: () => 0.6, size: [8, 8], noise: () => 0.05, fill: 0.5, rng }),
  ensemble: (rng) => {
    const views = augmentEnsemble({ ...ghiasiEnsemble(0.25, 0.5), copies: 2 }, rng);
    return (x, step) => views(x, step, 5);
  },
};

describe('random transforms, called twice for a step', () => {
  for (const [name, make] of Object.entries(hooks))
    it(`${name}: the same draw for a step's second call, the same run either way`, async () => {
      const x = tf.tensor4d(values(2 * 12 * 12 * 3, 5), [2, 12, 12, 3]);
      await noLeaks(() => {
        // In a tidy, as the loop calls them (the tiles' slices are not freed by the hook).
        const read = (t: () => tf.Tensor) => {
          const out = tf.tidy(t);
          const v = Array.from(out.dataSync());
          out.dispose();
          return v;
        };
        const once = make(new Rng(7));
        const twice = make(new Rng(7));
        for (let step = 0; step < 4; step++) {
          const a = read(() => twice(x, step));
          const b = read(() => twice(x, step));
          assert.deepEqual(a, b, `step ${step}: the second call drew anew`);
          assert.deepEqual(
            read(() => once(x, step)),
            a,
            `step ${step}: the run drew differently`,
          );
        }
        // A new step draws anew.
        assert.notDeepEqual(
          read(() => once(x, 4)),
          read(() => once(x, 5)),
        );
      });
      x.dispose();
    });
});
