/** The activation grid's frames: the open unit orange, the keyboard cursor blue (only when elsewhere). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activationGrid, gridLayout, tileOrigin } from './activation_grid.js';

const px = (img: { width: number; data: Uint8ClampedArray | Uint8Array }, x: number, y: number) => [
  ...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3),
];

describe('activationGrid frames', () => {
  // Two 2×2 channels: a 2-column grid of 24-px tiles (factor 12) with a 1-px gap.
  const a = { shape: [2, 2, 2], values: new Float32Array(8).fill(1) };
  const L = gridLayout(a.shape);

  it('draws the open unit in orange and the cursor in blue, in the gap around each tile', () => {
    const img = activationGrid(a, { selected: 0, cursor: 1 });
    const [x0, y0] = tileOrigin(L, 0);
    const [x1, y1] = tileOrigin(L, 1);
    assert.deepEqual(px(img, x0 - 1, y0 - 1), [255, 140, 0]);
    assert.deepEqual(px(img, x1 + L.tileW, y1 + L.tileH), [26, 115, 232]);
    // Inside a tile: the activation (1 of max 1 → white).
    assert.deepEqual(px(img, x1, y1), [255, 255, 255]);
  });

  it('no blue frame when the cursor is on the open unit', () => {
    const img = activationGrid(a, { selected: 1, cursor: 1 });
    const [x1, y1] = tileOrigin(L, 1);
    assert.deepEqual(px(img, x1 - 1, y1 - 1), [255, 140, 0]);
    let blue = 0;
    for (let i = 0; i < img.data.length; i += 4)
      if (img.data[i] === 26 && img.data[i + 1] === 115 && img.data[i + 2] === 232) blue++;
    assert.equal(blue, 0);
  });
});
