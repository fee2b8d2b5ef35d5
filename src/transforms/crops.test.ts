/**
 * Crop-and-resize as separable matrix products equals bilinear sampling of four neighbours with a
 * fill value outside (a per-pixel reference written here), for boxes inside, straddling and mostly
 * outside the canvas; the whole-canvas box at the same size is the identity.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { cropResize, type Box } from './crops.js';
import { maxAbsDiff, noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

function reference(
  x: Float32Array,
  [H, W, c]: number[],
  b: Box,
  [h, w]: number[],
  fill: number,
): Float32Array {
  const out = new Float32Array(h * w * c);
  const at = (py: number, px: number, k: number) =>
    py >= 0 && py < H && px >= 0 && px < W ? x[(py * W + px) * c + k] : fill;
  for (let yy = 0; yy < h; yy++) {
    for (let xx = 0; xx < w; xx++) {
      const sy = (b.y + (yy / (h - 1)) * b.side) * (H - 1);
      const sx = (b.x + (xx / (w - 1)) * b.side) * (W - 1);
      const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
      const [fy, fx] = [sy - y0, sx - x0];
      for (let k = 0; k < c; k++) {
        out[(yy * w + xx) * c + k] =
          (1 - fy) * ((1 - fx) * at(y0, x0, k) + fx * at(y0, x0 + 1, k)) +
          fy * ((1 - fx) * at(y0 + 1, x0, k) + fx * at(y0 + 1, x0 + 1, k));
      }
    }
  }
  return out;
}

describe('cropResize', () => {
  it('matches four-neighbour bilinear sampling with fill, item-major, without leaks', async () => {
    const shape = [7, 9, 2];
    const px = values(2 * 7 * 9 * 2, 4);
    const boxes: Box[] = [
      { y: 0.1, x: 0.2, side: 0.5 },
      { y: -0.3, x: 0.6, side: 0.7 },
      { y: 0.9, x: -0.9, side: 0.3 },
    ];
    await noLeaks(() => {
      const x = tf.tensor4d(px, [2, 7, 9, 2]);
      const got = tf.tidy(() => cropResize(x, boxes, [5, 6], 0.25).dataSync());
      x.dispose();
      for (let i = 0; i < 2; i++) {
        boxes.forEach((b, j) => {
          const want = reference(px.subarray(i * 126, (i + 1) * 126), shape, b, [5, 6], 0.25);
          const o = (i * boxes.length + j) * 60;
          assert.ok(maxAbsDiff(got.subarray(o, o + 60), want) < 1e-5, `image ${i} box ${j}`);
        });
      }
    });
  });

  it('the whole canvas at its own size is the identity', () => {
    const px = values(6 * 5, 2);
    const got = tf.tidy(() =>
      cropResize(tf.tensor4d(px, [1, 6, 5, 1]), [{ y: 0, x: 0, side: 1 }], [6, 5], 9).dataSync(),
    );
    assert.ok(maxAbsDiff(got, px) < 1e-6);
  });
});
