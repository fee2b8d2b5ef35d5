/**
 * The loop's Adam steps a param the same whatever number of variables holds it: an image held as
 * one variable, or as its left and right halves in two, ends in the same place. (tfjs's Adam
 * advances its bias correction once per applyGradients call; a call per variable ran a
 * two-variable param — the Fourier spectrum's real and imaginary parts — at the wrong step count.)
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { units } from '../objectives/units.js';
import { pixels, variableFrom, type Param } from '../param/pixels.js';
import { maxAbsDiff, noLeaks, setup, values } from '../../test/helpers.js';
import { smallCnn } from '../../test/fixtures/small_cnn.js';
import { optimize } from './loop.js';

before(() => setup('wasm'));

/** The same image as two variables, columns 0–5 and 6–11. */
function halves(init: tf.Tensor4D): Param {
  const left = variableFrom(() => init.slice([0, 0, 0, 0], [-1, -1, 6, -1]));
  const right = variableFrom(() => init.slice([0, 0, 6, 0], [-1, -1, 6, -1]));
  return {
    variables: [left, right],
    image: () => tf.concat([left, right], 2) as tf.Tensor4D,
    dispose: () => tf.dispose([left, right]),
  };
}

describe('the optimization loop', () => {
  it('takes the same Adam steps for a param in one variable or in two', async () => {
    const vis = smallCnn();
    const init = tf
      .tensor4d(values(2 * 144, 5), [2, 12, 12, 1])
      .mul(0.1)
      .add(0.5) as tf.Tensor4D;
    const run = (p: Param) => {
      const r = optimize(vis, p, units(vis.layer('logits'), [0, 1]), {
        steps: 12,
        lr: 0.05,
        rule: 'adam',
        keep: 'last',
      });
      const out = r.images.dataSync().slice();
      r.images.dispose();
      p.dispose();
      return out;
    };
    await noLeaks(() => {
      const one = run(pixels(init));
      const two = run(halves(init));
      assert.ok(maxAbsDiff(one, init.dataSync()) > 0.1, 'the images moved');
      assert.ok(maxAbsDiff(one, two) < 1e-6, `one vs two variables: ${maxAbsDiff(one, two)}`);
    });
  });
});
