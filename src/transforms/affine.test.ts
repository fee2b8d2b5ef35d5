/** Robustness transforms: exact where the answer is known, and their gradient (a scatter-add) equal on wasm and cpu. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import {
  compose,
  defaultTransforms,
  IDENTITY,
  randomTransforms,
  warp,
  type Affine,
} from './affine.js';
import { assertClose, maxAbsDiff, noLeaks, onBoth, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

const img = () => tf.tensor4d(values(2 * 5 * 6 * 3, 2), [2, 5, 6, 3]);

describe('affine robustness transforms', () => {
  it('identity returns the image; an integer shift moves it and fills the border', () => {
    const x = img();
    assert.ok(maxAbsDiff(warp(x, IDENTITY, 0).dataSync(), x.dataSync()) < 1e-6);
    // Output (x, y) samples input (x + 2, y): the image moves 2 pixels left.
    const shifted = warp(x, [1, 0, 2, 0, 1, 0], -7);
    assert.ok(
      maxAbsDiff(
        shifted.slice([0, 0, 0, 0], [-1, -1, 4, -1]).dataSync(),
        x.slice([0, 0, 2, 0], [-1, -1, 4, -1]).dataSync(),
      ) < 1e-6,
    );
    assert.ok(
      shifted
        .slice([0, 0, 4, 0], [-1, -1, 2, -1])
        .dataSync()
        .every((v) => v === -7),
    );
    tf.dispose([x, shifted]);
  });

  it('a 90° rotation of a square image is a transpose-and-flip', () => {
    const x = tf.tensor4d(values(4 * 4, 5), [1, 4, 4, 1]);
    const r = warp(x, [0, -1, 0, 1, 0, 0], 0);
    // out(x, y) = in(−y', x') about the centre → out[y][x] = in[x][3 − y].
    const a = x.arraySync()[0];
    const b = r.arraySync()[0];
    for (let y = 0; y < 4; y++)
      for (let xx = 0; xx < 4; xx++) assert.ok(Math.abs(b[y][xx][0] - a[xx][3 - y][0]) < 1e-5);
    tf.dispose([x, r]);
  });

  it('composes matrices: scale then its inverse is the identity', () => {
    const c = compose([2, 0, 0, 0, 2, 0] as Affine, [0.5, 0, 0, 0, 0.5, 0] as Affine);
    assert.deepEqual(c, [1, 0, 0, 0, 1, 0]);
  });

  it('the gradient of a random transform matches between wasm and cpu', async () => {
    const g = await onBoth(() => {
      const t = randomTransforms(defaultTransforms(5, 6), new Rng(4), 0.5);
      return tf.grad((x: tf.Tensor) =>
        t(x as tf.Tensor4D)
          .mul(tf.tensor4d(values(2 * 5 * 6 * 3, 8), [2, 5, 6, 3]))
          .sum(),
      )(img());
    });
    assertClose(g.cpu, g.wasm, 1e-5, 'warp gradient');
    await tf.setBackend('wasm');
  });

  it('UnsortedSegmentSum on wasm matches cpu', async () => {
    const r = await onBoth(() =>
      tf.unsortedSegmentSum(
        tf.tensor2d(values(7 * 3, 1), [7, 3]),
        tf.tensor1d([2, 0, 2, 4, 1, 0, 4], 'int32'),
        5,
      ),
    );
    assertClose(r.cpu, r.wasm, 1e-6, 'segment sum');
    await tf.setBackend('wasm');
    await noLeaks(() =>
      tf.tidy(() => {
        randomTransforms(defaultTransforms(28, 28), new Rng(1), 0)(tf.zeros([1, 28, 28, 1]));
      }),
    );
  });
});
