/** The CAV's linear classifier on problems whose answer is known. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { noLeaks, setup } from '../../test/helpers.js';
import { fitLinear, fitLinearBatch } from './linear.js';

describe('linear CAV fit', () => {
  before(() => setup('cpu'));

  it('points from negatives to positives and separates held-out rows', () =>
    noLeaks(() => {
      // Positives at x₀ > 0, negatives at x₀ < 0, x₁ noise: w must point along +x₀.
      const pos = Float32Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0 ? 1 + (i % 7) / 7 : ((i % 5) - 2) / 2,
      );
      const neg = Float32Array.from(pos, (v, i) => (i % 2 === 0 ? -v : v));
      const f = fitLinear(pos, neg, 2, 0);
      assert.ok(f.w[0] > 0 && Math.abs(f.w[1]) < 0.2 * f.w[0], `w ${[...f.w]}`);
      assert.equal(f.accuracy, 1);
    }));

  it('a batch of problems gives each what it gives alone (rows padded, Adam elementwise)', () =>
    noLeaks(() => {
      const a = {
        pos: Float32Array.from([1, 0, 2, 1, 3, 0]),
        neg: Float32Array.from([0, 1, 0, 2, -1, 1, 0, 3]),
        seed: 1,
      };
      const b = {
        pos: Float32Array.from([0, 5, 1, 4]),
        neg: Float32Array.from([2, 0, 3, 1]),
        seed: 2,
      };
      const [fa, fb] = fitLinearBatch([a, b], 2);
      const ga = fitLinear(a.pos, a.neg, 2, 1);
      const gb = fitLinear(b.pos, b.neg, 2, 2);
      for (const [x, y] of [
        [fa, ga],
        [fb, gb],
      ] as const) {
        x.w.forEach((v, i) =>
          assert.ok(Math.abs(v - y.w[i]) < 1e-4 * (1 + Math.abs(v)), `${[...x.w]} vs ${[...y.w]}`),
        );
        assert.ok(Math.abs(x.b - y.b) < 1e-4);
      }
      assert.ok(fb.w[1] > 0 && fb.w[0] < 0, `b: ${[...fb.w]}`);
    }));
});
