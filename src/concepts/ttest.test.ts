/** The t distribution and Student's two-sample test against values known in closed form and scipy's. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incompleteBeta, lnGamma, tCdf, tTest } from './ttest.js';

const near = (got: number, want: number, tol = 1e-9) =>
  assert.ok(Math.abs(got - want) <= tol, `${got} vs ${want}`);

describe('t-test', () => {
  it('ln Γ and the incomplete beta function', () => {
    near(lnGamma(5), Math.log(24));
    near(lnGamma(0.5), 0.5 * Math.log(Math.PI));
    near(incompleteBeta(0.3, 1, 1), 0.3); // I_x(1, 1) = x
    near(incompleteBeta(0.3, 2, 1), 0.09); // I_x(a, 1) = x^a
  });

  it("Student's t with 1 degree of freedom is Cauchy: P(T ≤ 1) = 3/4", () => {
    near(tCdf(1, 1), 0.75);
    near(tCdf(0, 7), 0.5);
    near(tCdf(-1, 1), 0.25);
  });

  it('two samples by hand: [1,2,3] against [4,5,6]', () => {
    // Means 2 and 5, pooled variance (2 + 2) / 4 = 1, se = √(2/3), t = −3 / √(2/3) = −3.6742;
    // two-sided p with 4 degrees of freedom: 0.0213116 (scipy.stats.ttest_ind).
    const r = tTest([1, 2, 3], [4, 5, 6]);
    near(r.t, -3 / Math.sqrt(2 / 3));
    assert.equal(r.df, 4);
    near(r.p, 0.0213116, 1e-6);
    near(tTest([1, 2, 3], [1, 2, 3]).p, 1);
    assert.throws(() => tTest([1], [2, 3]), /at least 2 values/);
  });
});
