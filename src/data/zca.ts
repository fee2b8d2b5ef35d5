/**
 * ZCA whitening (Bell & Sejnowski 1997): x ↦ W(x − μ) with W = U·diag(1/√(λ + ε))·Uᵀ from the
 * covariance's eigen-decomposition. Of all whitening matrices it is the one that keeps the data
 * closest to the original, so whitened patches still look like patches (edges stay where they are),
 * which is why image-patch models (Erhan et al. 2009 §6, Olshausen & Field's whitened patches) use it.
 * ε > 0 damps the directions of smallest variance (the highest spatial frequencies, mostly noise).
 * The fitted transform is plain data: apply it to new rows, or save it next to a model.
 */
import { DeepvisError } from '../errors.js';
import { eigh } from './eigh.js';

export interface Zca {
  readonly dim: number;
  readonly mean: Float64Array;
  /** dim×dim row-major, symmetric. */
  readonly matrix: Float64Array;
  /** Covariance eigenvalues, descending (for reports: how steep the spectrum is). */
  readonly eigenvalues: Float64Array;
  readonly epsilon: number;
}

export function covariance(
  rows: Float32Array | Float64Array,
  dim: number,
  mean?: ArrayLike<number>,
): { mean: Float64Array; cov: Float64Array } {
  const n = rows.length / dim;
  if (!Number.isInteger(n) || n < 2)
    throw new DeepvisError(
      `covariance needs at least 2 rows of ${dim} values; got ${rows.length} values`,
    );
  const mu = mean ? Float64Array.from(mean) : new Float64Array(dim);
  if (!mean) {
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mu[j] += rows[i * dim + j];
    for (let j = 0; j < dim; j++) mu[j] /= n;
  }
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) centred[j] = rows[i * dim + j] - mu[j];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      cov[a * dim + b] /= n - 1;
      cov[b * dim + a] = cov[a * dim + b];
    }
  }
  return { mean: mu, cov };
}

export interface ZcaArgs {
  /** Added to every eigenvalue; default 0. */
  readonly epsilon?: number;
  /** Instead: ε as this fraction of the mean eigenvalue (the same meaning at any contrast). */
  readonly relativeEpsilon?: number;
}

/** Fits ZCA to `rows` ([N, dim] row-major). */
export function fitZca(rows: Float32Array | Float64Array, dim: number, args: ZcaArgs = {}): Zca {
  const { mean, cov } = covariance(rows, dim);
  const { values, vectors } = eigh(cov, dim);
  const meanEig = values.reduce((a, b) => a + Math.max(b, 0), 0) / dim;
  const epsilon =
    args.relativeEpsilon != null ? args.relativeEpsilon * meanEig : (args.epsilon ?? 0);
  if (!(epsilon >= 0))
    throw new DeepvisError(`ZCA epsilon must be ≥ 0; got ${args.relativeEpsilon ?? args.epsilon}`);
  const matrix = new Float64Array(dim * dim);
  for (let k = 0; k < dim; k++) {
    const lambda = Math.max(values[k], 0) + epsilon;
    // A direction of zero variance (e.g. the DC of mean-removed patches) is dropped, not blown up.
    if (lambda <= 1e-12 * Math.max(values[0], 1e-300)) continue;
    const scale = 1 / Math.sqrt(lambda);
    for (let a = 0; a < dim; a++) {
      const ua = vectors[a * dim + k] * scale;
      for (let b = 0; b < dim; b++) matrix[a * dim + b] += ua * vectors[b * dim + k];
    }
  }
  return { dim, mean, matrix, eigenvalues: values, epsilon };
}

/** W(x − μ) for every row; a new array. */
export function applyZca(zca: Zca, rows: Float32Array | Float64Array): Float32Array {
  const { dim, mean, matrix } = zca;
  if (rows.length % dim !== 0)
    throw new DeepvisError(`ZCA of dimension ${dim} cannot whiten ${rows.length} values`);
  const n = rows.length / dim;
  const out = new Float32Array(rows.length);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) centred[j] = rows[i * dim + j] - mean[j];
    for (let a = 0; a < dim; a++) {
      let s = 0;
      for (let b = 0; b < dim; b++) s += matrix[a * dim + b] * centred[b];
      out[i * dim + a] = s;
    }
  }
  return out;
}

/** The transform as JSON-ready numbers (to save beside a model trained on whitened data). */
export function zcaToJson(zca: Zca): {
  dim: number;
  epsilon: number;
  mean: number[];
  matrix: number[];
} {
  return {
    dim: zca.dim,
    epsilon: zca.epsilon,
    mean: Array.from(zca.mean),
    matrix: Array.from(zca.matrix),
  };
}
