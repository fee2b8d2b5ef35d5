/**
 * Jansen's estimator of total-order Sobol' indices (Jansen 1999; as Fel et al. 2021 use it for
 * attribution and Fel et al. 2023's CRAFT for concept importance): from a model's outputs on the
 * stacked design A, B, C_1…C_d (C_i is A with column i from B), S_Ti = Σ_n (f(A_n) − f(C_i,n))² /
 * (2N·Var f(A)). One estimator for the attribution map and the concept importances.
 */

/** Jansen's total indices [d] from the outputs on the stacked design (A, B, then C_1…C_d). */
export function jansenTotal(outputs: ArrayLike<number>, d: number, nbDesign: number): Float64Array {
  if (outputs.length !== nbDesign * (d + 2))
    throw new Error(
      `Sobol outputs: ${outputs.length} values for ${nbDesign} designs of ${d} dimensions`,
    );
  let mean = 0;
  for (let n = 0; n < nbDesign; n++) mean += outputs[n];
  mean /= nbDesign;
  let ss = 0;
  for (let n = 0; n < nbDesign; n++) ss += (outputs[n] - mean) ** 2;
  const variance = Math.max(ss / Math.max(nbDesign - 1, 1), 1e-12);
  const st = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let n = 0; n < nbDesign; n++) s += (outputs[n] - outputs[(2 + i) * nbDesign + n]) ** 2;
    st[i] = s / (2 * nbDesign * variance);
  }
  return st;
}
