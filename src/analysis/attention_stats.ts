/**
 * Numbers that say what attention does, for the atlas's block pages and the live toolbox: each
 * head's mean attention distance (Dosovitskiy et al. 2021, fig. 7: how far in the image a head
 * looks), the class token's attention entropy (whether a head selects at all), and a map's
 * concentration (the share of its mass in its top 10% pixels). Attention arrays are
 * [N, T, T, heads] (queries, keys, heads last), as VisModel shows attention layers.
 */

/** The share of each [H·W] map's mass in its top 10% values (1 = all of it there; 0.1 = flat). */
export function concentration(map: Float32Array, n: number): number[] {
  const size = map.length / n;
  const top = Math.max(1, Math.round(size / 10));
  return Array.from({ length: n }, (_, i) => {
    const v = Array.from(map.subarray(i * size, (i + 1) * size), (x) => Math.max(0, x)).sort(
      (a, b) => b - a,
    );
    const total = v.reduce((a, b) => a + b, 0);
    return total > 0 ? v.slice(0, top).reduce((a, b) => a + b, 0) / total : 0;
  });
}

/**
 * Mean attention distance per head, in input pixels: for each patch query, Σ_k A[q,k]·d(q,k) over
 * the patch keys, divided by Σ_k A[q,k]; averaged over queries and images. `a` is [N, T, T, heads].
 */
export function meanAttentionDistance(
  a: Float32Array,
  shape: readonly number[],
  prefix: number,
  grid: readonly [number, number],
  patch: readonly [number, number],
): number[] {
  const [n, t, , heads] = shape;
  const gw = grid[1];
  const sum = new Float64Array(heads);
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let q = prefix; q < t; q++) {
      const qy = Math.floor((q - prefix) / gw);
      const qx = (q - prefix) % gw;
      const num = new Float64Array(heads);
      const den = new Float64Array(heads);
      for (let k = prefix; k < t; k++) {
        const dy = (Math.floor((k - prefix) / gw) - qy) * patch[0];
        const dx = (((k - prefix) % gw) - qx) * patch[1];
        const d = Math.sqrt(dy * dy + dx * dx);
        const base = ((i * t + q) * t + k) * heads;
        for (let h = 0; h < heads; h++) {
          num[h] += a[base + h] * d;
          den[h] += a[base + h];
        }
      }
      for (let h = 0; h < heads; h++) sum[h] += den[h] > 0 ? num[h] / den[h] : 0;
      count++;
    }
  }
  return Array.from(sum, (s) => +(s / Math.max(count, 1)).toFixed(3));
}

/** Entropy per head of query 0's attention over all T tokens, as a share of log T (mean over images). */
export function classTokenEntropy(a: Float32Array, shape: readonly number[]): number[] {
  const [n, t, , heads] = shape;
  return Array.from({ length: heads }, (_, h) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let k = 0; k < t; k++) {
        const p = a[((i * t + 0) * t + k) * heads + h];
        if (p > 0) e -= p * Math.log(p);
      }
      s += e / Math.log(t);
    }
    return +(s / n).toFixed(4);
  });
}
