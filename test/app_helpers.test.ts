/** The web app's pure helpers, on numbers worked out by hand (the DOM parts are in the other test/app_*.test.ts files; here because npm test runs src/ and test/). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from '../src/index.js';
import { perTile } from '../web/app/src/live.js';
import { dreamChange } from '../web/app/src/methods.js';
import { outlined } from '../web/app/src/unit_topk.js';

const { blank } = render;

describe('web app helpers', () => {
  it('dreamChange: mean |Δ| as a fraction of the range, and the pixels pushed onto a bound', () => {
    // |Δ| = 0.1, 0, 0, 0.01, 0.5 → mean 0.122; only the 0.5 → 0 pixel was pushed onto a bound from ≥ 2% away.
    const c = dreamChange([0, 0.5, 1, 0.99, 0.5], [0.1, 0.5, 1, 1, 0], [0, 1]);
    assert.ok(Math.abs(c.mean - 0.122) < 1e-9, String(c.mean));
    assert.equal(c.clipped, 0.2);
    // The same in a 0…255 range.
    const d = dreamChange([0, 127.5, 255, 252.45, 127.5], [25.5, 127.5, 255, 255, 0], [0, 255]);
    assert.ok(Math.abs(d.mean - 0.122) < 1e-9 && d.clipped === 0.2, JSON.stringify(d));
  });

  it('perTile: each channel scaled so its maximum is the layer’s', () => {
    // Two positions × two channels: maxima 3 and 4; channel 0 × 4/3, channel 1 unchanged.
    const v = perTile(Float32Array.from([1, 2, 3, 4]), 2);
    assert.deepEqual(
      Array.from(v, (x) => Math.round(x * 1000) / 1000),
      [1.333, 2, 4, 4],
    );
    // A dead channel stays as it is (no division by zero).
    assert.deepEqual(Array.from(perTile(Float32Array.from([0, 2, 0, 1]), 2)), [0, 2, 0, 1]);
  });

  it('outlined: the box drawn 2 pixels wide at k× scale, inside left alone', () => {
    const img = outlined(blank(4, 4, [0, 0, 0]), { y0: 1, x0: 1, y1: 3, x1: 3 }, 4);
    assert.equal(img.width, 16);
    const at = (x: number, y: number) =>
      Array.from(img.data.subarray((y * 16 + x) * 4, (y * 16 + x) * 4 + 3));
    for (const [x, y] of [
      [4, 4],
      [5, 7],
      [11, 11],
      [10, 6],
    ])
      assert.deepEqual(at(x, y), [255, 140, 0], `${x},${y}`);
    for (const [x, y] of [
      [3, 3],
      [7, 7],
      [12, 12],
      [6, 8],
    ])
      assert.deepEqual(at(x, y), [0, 0, 0], `${x},${y}`);
  });
});
