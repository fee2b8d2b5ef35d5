/** Rendering: normalization, the diverging map's signs, grids and labels. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diverging, toImage } from './image.js';
import { grid } from './grid.js';
import { drawText, textWidth } from './font.js';
import { blank } from './image.js';

describe('render', () => {
  it('minmax stretches each image to full contrast; range maps a known range', () => {
    const img = toImage([2, 4, 6, 8], [2, 2, 1]);
    assert.deepEqual([img.data[0], img.data[4], img.data[12]], [0, 85, 255]);
    const fixed = toImage([0, 0.5, 1, 2], [2, 2, 1], { mode: 'range', range: [0, 1] });
    assert.deepEqual(
      [fixed.data[0], fixed.data[4], fixed.data[8], fixed.data[12]],
      [0, 128, 255, 255],
    );
    const flat = toImage([3, 3, 3, 3], [2, 2, 1]);
    assert.equal(flat.data[0], 128);
  });

  it('diverging map: negative blue, zero white, positive red', () => {
    const img = diverging([-1, 0, 1], 1, 3, 100);
    const px = (i: number) => Array.from(img.data.slice(i * 4, i * 4 + 3));
    const [neg, zero, pos] = [px(0), px(1), px(2)];
    assert.deepEqual(zero, [255, 255, 255]);
    assert.ok(neg[2] > 200 && neg[0] < 60, `negative ${neg}`);
    assert.ok(pos[0] > 200 && pos[2] < 60, `positive ${pos}`);
  });

  it('grids lay tiles out near-square with labels and a title', () => {
    const tiles = Array.from({ length: 10 }, (_, i) => toImage(new Array(16).fill(i), [4, 4, 1]));
    const g = grid(tiles, {
      labels: tiles.map((_, i) => String(i)),
      title: 'T',
      minTile: 8,
      gap: 2,
    });
    // Tiles ×2 (8 px) in label columns 72 px wide: 4 columns of (72 + 2) + 2; 3 rows of
    // (8 + one 13 px label line 16.25 + 4 + 2) + 2 + the 16 px title's line 20 + 8.
    assert.equal(g.width, 298);
    assert.equal(g.height, Math.ceil(3 * (8 + 16.25 + 4 + 2) + 2 + 28));
  });

  it('draws text pixels where the glyphs are', () => {
    const img = blank(20, 7);
    drawText(img, 'I', 0, 0);
    assert.equal(textWidth('AB'), 7);
    assert.equal(img.data[0], 0); // top-left of 'I' is set (black)
    assert.equal(img.data[5 * 20 * 4], 255); // below the glyph stays white
  });
});
