/** Halton points, the Sobol design and Jansen's total indices on values worked out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { halton, jansenTotal, primes, radicalInverse, sobolDesign } from './sobol.js';

const close = (got: ArrayLike<number>, want: number[], tol = 1e-6) =>
  want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= tol, `[${i}] ${got[i]} vs ${v}`));

describe('sobol', () => {
  it('radical inverses and Halton points', () => {
    assert.deepEqual(primes(5), [2, 3, 5, 7, 11]);
    close(
      [radicalInverse(1, 2), radicalInverse(2, 2), radicalInverse(3, 2), radicalInverse(5, 3)],
      [0.5, 0.25, 0.75, 7 / 9],
    ); // 5 = 12₃ → 0.21₃
    close(halton(2, 4), [0, 0, 0.5, 1 / 3, 0.25, 2 / 3, 0.75, 1 / 9]);
  });

  it('stacks A, B and C_i = A with column i from B', () => {
    // d = 2, 2 designs: Halton of 4 dimensions, points 0 and 1: [0,0,0,0] and [1/2, 1/3, 1/5, 1/7].
    const m = sobolDesign(2, 2);
    close(m, [
      0,
      0,
      0.5,
      1 / 3,
      /* B */ 0,
      0,
      0.2,
      1 / 7,
      /* C1 */ 0,
      0,
      0.2,
      1 / 3,
      /* C2 */ 0,
      0,
      0.5,
      1 / 7,
    ]);
  });

  it("Jansen's estimator on outputs by hand", () => {
    // f(A) = [1, 3] (variance 2, ddof 1), f(C1) = [1, 1], f(C2) = [3, 3]:
    // ST1 = (0² + 2²) / (2·2·2) = 0.5, ST2 = (2² + 0²) / 8 = 0.5.
    close(jansenTotal([1, 3, 9, 9, 1, 1, 3, 3], 2, 2), [0.5, 0.5]);
    assert.throws(() => jansenTotal([1, 2, 3], 2, 2), /3 values for 2 designs/);
  });

  it('an input the function ignores has index 0; the only input it reads has index ≈ 1', () => {
    const d = 3;
    const n = 32;
    const m = sobolDesign(d, n);
    const f = Array.from({ length: n * (d + 2) }, (_, r) => m[r * d + 1] ** 2); // f(x) = x₂²
    const st = jansenTotal(f, d, n);
    assert.equal(st[0], 0);
    assert.equal(st[2], 0);
    assert.ok(Math.abs(st[1] - 1) < 0.15, `ST2 = ${st[1]}`);
  });
});
