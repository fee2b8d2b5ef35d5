/** The assignment problem and the cosine-Hungarian match on matrices worked out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosineHungarian, hungarian } from './hungarian.js';

describe('hungarian', () => {
  it('finds the least-cost assignment', () => {
    // Rows → columns 1, 0, 2 cost 1 + 2 + 2 = 5; every other permutation costs 6 or more.
    assert.deepEqual([...hungarian([4, 1, 3, 2, 0, 5, 3, 2, 2], 3, 3)], [1, 0, 2]);
    // Two rows, three columns: row 0 takes column 2 (cost 1), row 1 column 0 (cost 2): 3.
    assert.deepEqual([...hungarian([5, 4, 1, 2, 3, 1], 2, 3)], [2, 0]);
    assert.throws(() => hungarian([1, 2], 2, 1), /2 rows cannot be assigned to 1 columns/);
  });

  it('matches a dictionary to its shuffled, rescaled copy with cosine 1', () => {
    const a = Float32Array.from([1, 0, 0, 0, 1, 0, 1, 1, 0]);
    const b = Float32Array.from([0, 3, 0, 2, 2, 0, 5, 0, 0]); // rows 1, 2, 0 of a, scaled
    const r = cosineHungarian(a, b, 3);
    assert.deepEqual([...r.pairs], [2, 0, 1]);
    assert.ok(Math.abs(r.mean - 1) < 1e-9);
    // Against [1,0,0] and [0,0,1]: a's row 0 pairs with [1,0,0] (cos 1), row 1 ([0,1,0]) with nothing better than [0,0,1] (cos 0).
    const c = cosineHungarian(a.subarray(0, 6), Float32Array.from([0, 0, 1, 1, 0, 0]), 3);
    assert.deepEqual([...c.pairs], [1, 0]);
    assert.ok(Math.abs(c.mean - 0.5) < 1e-9);
  });
});
