/**
 * Total Sobol indices of a function of d inputs in [0, 1] (Sobol 1993), as CRAFT estimates concept
 * importance (Fel et al. 2023, Xplique's defaults): a Halton sequence (Halton 1960, unscrambled
 * from index 0, as scipy's) of 2d dimensions gives the design matrices A and B (nbDesign points
 * each), the replicated design C_i is A with column i taken from B, and Jansen's estimator (Jansen
 * 1999) reads the function on A, B and every C_i:
 *   ST_i = Σ_n (f(A)_n − f(C_i)_n)² / (2 · nbDesign · Var f(A)),  Var with ddof 1.
 */

/** The first `count` primes. */
export function primes(count: number): number[] {
  const out: number[] = [];
  for (let p = 2; out.length < count; p++) if (out.every((q) => p % q !== 0)) out.push(p);
  return out;
}

/** Van der Corput's radical inverse of i in base b. */
export function radicalInverse(i: number, b: number): number {
  let f = 1;
  let r = 0;
  for (let n = i; n > 0; n = Math.floor(n / b)) {
    f /= b;
    r += f * (n % b);
  }
  return r;
}

/** The first n points of the d-dimensional Halton sequence, [n, d] row-major, starting at index 0 (the origin). */
export function halton(d: number, n: number): Float32Array {
  const bases = primes(d);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) out[i * d + j] = radicalInverse(i, bases[j]);
  return out;
}

/** Xplique's default number of designs. */
export const SOBOL_DESIGNS = 32;

/** The masks A, B, C_1…C_d stacked: [nbDesign · (d + 2), d] row-major (Xplique's HaltonSequenceRS). */
export function sobolDesign(d: number, nbDesign = SOBOL_DESIGNS): Float32Array {
  const ab = halton(2 * d, nbDesign);
  const rows = nbDesign * (d + 2);
  const out = new Float32Array(rows * d);
  for (let n = 0; n < nbDesign; n++) {
    for (let j = 0; j < d; j++) {
      out[n * d + j] = ab[n * 2 * d + j];
      out[(nbDesign + n) * d + j] = ab[n * 2 * d + d + j];
    }
  }
  for (let i = 0; i < d; i++) {
    for (let n = 0; n < nbDesign; n++) {
      const row = (2 + i) * nbDesign + n;
      for (let j = 0; j < d; j++)
        out[row * d + j] = j === i ? ab[n * 2 * d + d + j] : ab[n * 2 * d + j];
    }
  }
  return out;
}

export { jansenTotal } from '../engine/sobol_indices.js';
