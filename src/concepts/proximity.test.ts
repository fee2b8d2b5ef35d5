/** Concept proximity: classical MDS keeps the chord distances of directions that lie in a plane. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nearestByCosine, proximityMap } from './proximity.js';

const dist = (p: readonly number[], q: readonly number[]) => Math.hypot(p[0] - q[0], p[1] - q[1]);

describe('concept proximity', () => {
  it('directions in a plane: the map keeps every distance √(2 − 2 cos)', () => {
    // Unit vectors at 0°, 20°, 90° and 180° in the plane of the first and third axes of R⁴, two of them scaled.
    const at = (deg: number, scale = 1) => {
      const r = (deg * Math.PI) / 180;
      return [scale * Math.cos(r), 0, scale * Math.sin(r), 0];
    };
    const dirs = [at(0), at(20, 3), at(90), at(180, 0.5)];
    const xy = proximityMap(dirs);
    const angles = [0, 20, 90, 180];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        const want = 2 * Math.sin((Math.abs(angles[i] - angles[j]) * Math.PI) / 360);
        assert.ok(
          Math.abs(dist(xy[i], xy[j]) - want) < 1e-6,
          `${angles[i]}° to ${angles[j]}°: ${dist(xy[i], xy[j])} vs ${want}`,
        );
      }
  });

  it('three orthogonal directions: an equilateral triangle of side √2', () => {
    const xy = proximityMap([
      [1, 0, 0],
      [0, 2, 0],
      [0, 0, 5],
    ]);
    for (const [i, j] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ])
      assert.ok(Math.abs(dist(xy[i], xy[j]) - Math.SQRT2) < 1e-6, `${i}-${j}`);
  });

  it('nearest by cosine, best first, skipping what is asked', () => {
    const pool = [
      [1, 0],
      [1, 1],
      [0, 1],
      [-1, 0],
    ];
    assert.deepEqual(
      nearestByCosine([1, 0.1], pool, 2).map((n) => n.index),
      [0, 1],
    );
    assert.deepEqual(
      nearestByCosine([1, 0.1], pool, 2, new Set([0])).map((n) => n.index),
      [1, 2],
    );
  });
});
