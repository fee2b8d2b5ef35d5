/**
 * Concept proximity, as LENS (Fel et al. 2023, serre-lab's LENS project) draws it: concepts as
 * points in the plane, near where their directions are alike. Classical multidimensional scaling
 * (Torgerson 1952) of the cosine distances: for unit directions the squared distance is 2 − 2·cos,
 * so the double-centred Gram matrix is the centred cosine matrix, and its two leading
 * eigenvectors, scaled by the square roots of their eigenvalues, are the coordinates (power
 * iteration with deflation; the matrix is k × k with k the number of concepts). Also the nearest
 * concepts of a direction by cosine.
 */
import { cosine } from './concept.js';

/** Coordinates [x, y] of each direction; distances between points approximate √(2 − 2·cos). */
export function proximityMap(directions: readonly (readonly number[])[]): Array<[number, number]> {
  const k = directions.length;
  if (k === 0) return [];
  const s = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = i; j < k; j++) s[i * k + j] = s[j * k + i] = cosine(directions[i], directions[j]);
  // Double centring: B = J S J with J = I − 11ᵀ/k (the constant parts of −½D² drop out).
  const row = new Float64Array(k);
  let all = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) row[i] += s[i * k + j] / k;
    all += row[i] / k;
  }
  const b = Float64Array.from(s, (v, q) => v - row[Math.floor(q / k)] - row[q % k] + all);
  const coords: Array<[number, number]> = directions.map(() => [0, 0]);
  for (let axis = 0; axis < 2; axis++) {
    // A deterministic start in general position (a hash of the index, not a progression, which
    // could lie in the span of the constant vector and the axis found before).
    let v = Float64Array.from({ length: k }, (_, i) => {
      const h = Math.sin((i + 1) * 12.9898 + axis * 78.233) * 43758.5453;
      return h - Math.floor(h) - 0.5;
    });
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const w = new Float64Array(k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) w[i] += b[i * k + j] * v[j];
      const norm = Math.hypot(...w);
      if (!(norm > 1e-12)) {
        lambda = 0;
        break;
      }
      const next = w.map((x) => x / norm);
      const moved = next.reduce((a, x, i) => a + Math.abs(x - v[i]), 0);
      v = next;
      lambda = norm;
      if (moved < 1e-10) break;
    }
    for (let i = 0; i < k; i++) coords[i][axis] = v[i] * Math.sqrt(Math.max(lambda, 0));
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) b[i * k + j] -= lambda * v[i] * v[j];
  }
  return coords;
}

/** The `n` directions of `pool` nearest `d` by cosine (best first), skipping indices in `skip`. */
export function nearestByCosine(
  d: readonly number[],
  pool: readonly (readonly number[])[],
  n: number,
  skip: ReadonlySet<number> = new Set(),
): Array<{ index: number; cosine: number }> {
  return pool
    .map((p, index) => ({ index, cosine: cosine(d, p) }))
    .filter((x) => !skip.has(x.index))
    .sort((a, b) => b.cosine - a.cosine || a.index - b.index)
    .slice(0, n);
}
