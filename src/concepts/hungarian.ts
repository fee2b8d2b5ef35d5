/**
 * The assignment problem (Kuhn 1955, Munkres 1957) in O(n²m) with row and column potentials (the
 * shortest-augmenting-path form of Jonker & Volgenant 1987), and Overcomplete's dictionary
 * stability on top of it: the cosine-Hungarian match of two dictionaries (Fel et al. 2025,
 * "Archetypal SAE"), the mean cosine of atoms paired one-to-one so the total cosine distance is least.
 */

/**
 * Minimum-cost assignment of the n rows of `cost` [n, m] (n ≤ m) to distinct columns; returns the
 * column of each row.
 */
export function hungarian(cost: ArrayLike<number>, n: number, m: number): Int32Array {
  if (n > m) throw new Error(`hungarian: ${n} rows cannot be assigned to ${m} columns`);
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const match = new Int32Array(m + 1); // column → row (1-based; 0 = free)
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    match[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(INF);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = match[j0];
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (match[j0] !== 0);
    do {
      const j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowOf = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (match[j] > 0) rowOf[match[j] - 1] = j - 1;
  return rowOf;
}

/** Cosine similarities [a, b] of the rows of A [a, d] and B [b, d]. */
export function cosineMatrix(a: Float32Array, b: Float32Array, d: number): Float64Array {
  const na = a.length / d;
  const nb = b.length / d;
  const norm = (x: Float32Array, r: number) =>
    Math.sqrt(x.subarray(r * d, (r + 1) * d).reduce((s, v) => s + v * v, 0)) || 1;
  const an = Array.from({ length: na }, (_, r) => norm(a, r));
  const bn = Array.from({ length: nb }, (_, r) => norm(b, r));
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t];
      out[i * nb + j] = s / (an[i] * bn[j]);
    }
  }
  return out;
}

/** Rows of A matched one-to-one to rows of B by least total cosine distance: the pairs and their cosines. */
export function cosineHungarian(
  a: Float32Array,
  b: Float32Array,
  d: number,
): { pairs: Int32Array; cosines: Float64Array; mean: number } {
  const na = a.length / d;
  const nb = b.length / d;
  const cos = cosineMatrix(a, b, d);
  const pairs = hungarian(
    cos.map((c) => 1 - c),
    na,
    nb,
  );
  const cosines = Float64Array.from(pairs, (j, i) => cos[i * nb + j]);
  return { pairs, cosines, mean: cosines.reduce((s, v) => s + v, 0) / Math.max(1, na) };
}
