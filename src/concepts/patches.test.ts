/** CRAFT's patch grid and crops on images small enough to check by hand. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { noLeaks, setup } from '../../test/helpers.js';
import {
  cutPatches,
  defaultPatchSize,
  patchesPerImage,
  patchGrid,
  patchOrigin,
} from './patches.js';

describe('patches', () => {
  before(() => setup('cpu'));

  it("Xplique's 64 px at stride 51, at most half a small image", () => {
    assert.equal(defaultPatchSize(224, 224), 64);
    assert.equal(defaultPatchSize(28, 28), 14);
    // 224 px: ceil((224 − 64) / 51) + 1 = 5 positions spread evenly so the last ends at the edge.
    assert.deepEqual(patchGrid(224, 224), {
      size: 64,
      stride: 51,
      ys: [0, 40, 80, 120, 160],
      xs: [0, 40, 80, 120, 160],
    });
    // 28 px: 14 px patches at stride 11: ceil(14 / 11) + 1 = 3 positions, 0, 7, 14.
    const g = patchGrid(28, 28);
    assert.deepEqual(g, { size: 14, stride: 11, ys: [0, 7, 14], xs: [0, 7, 14] });
    assert.equal(patchesPerImage(g), 9);
    assert.deepEqual(patchOrigin(g, 10), { image: 1, y: 0, x: 7 });
    assert.deepEqual(patchOrigin(g, 5), { image: 0, y: 7, x: 14 });
  });

  it('cuts the pixels themselves at the patch size, and resizes them to the input', () =>
    noLeaks(() => {
      const x = tf.tensor4d(
        Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => i),
        [2, 4, 4, 1],
      );
      const g = patchGrid(4, 4, 2); // stride 1, positions 0, 1, 2
      assert.deepEqual(g.ys, [0, 1, 2]);
      const p = cutPatches(x, g);
      assert.deepEqual(p.shape, [18, 2, 2, 1]);
      const v = p.dataSync();
      assert.deepEqual([...v.subarray(4 * 4, 4 * 5)], [5, 6, 9, 10]); // patch 4: y 1, x 1 of image 0
      assert.deepEqual([...v.subarray(4 * 9, 4 * 10)], [16, 17, 20, 21]); // patch 9: image 1, y 0, x 0
      const big = cutPatches(x, g, [3, 3]); // bilinear to 3 × 3: the corners stay, the middle is their mean
      assert.deepEqual([...big.dataSync().subarray(0, 9)], [0, 0.5, 1, 2, 2.5, 3, 4, 4.5, 5]);
      tf.dispose([x, p, big]);
    }));
});
