/**
 * The statistics the metrics report: Spearman's ρ (ties share their mean rank, as scipy's
 * spearmanr), the trapezoid area under an equally spaced curve (Xplique's AUC: the mean of
 * neighbouring points' averages, so a curve on [0, 1] has area in the curve's own units), and a mean
 * with its 95% interval (Student's t, since a table row may rest on a handful of inputs).
 */

export function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = mean;
    i = j + 1;
  }
  return r;
}

/** Pearson's r; NaN when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman's ρ; NaN when either side is constant (callers decide what that means). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/** Area under equally spaced points on [0, 1] by the trapezoid rule. */
export function auc(curve: ArrayLike<number>): number {
  let s = 0;
  for (let i = 1; i < curve.length; i++) s += (curve[i - 1] + curve[i]) / 2;
  return s / (curve.length - 1);
}

// Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom; beyond, the normal's.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

export interface Summary {
  readonly mean: number;
  /** Half-width of the 95% interval of the mean (0 for a single value). */
  readonly ci95: number;
  readonly n: number;
}

export function summarize(values: readonly number[]): Summary {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, ci95: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, ci95: 0, n };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const t = n - 1 <= 30 ? T975[n - 2] : 1.96;
  return { mean, ci95: (t * sd) / Math.sqrt(n), n };
}

/** Indices sorted by value, largest first; ties keep index order (a stable, reproducible ranking). */
export function orderDescending(v: ArrayLike<number>): Int32Array {
  return Int32Array.from(
    Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[b] - v[a] || a - b),
  );
}
