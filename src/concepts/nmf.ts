/**
 * Non-negative matrix factorization X ≈ U W — X [n, c] ≥ 0 (n activation vectors of c channels),
 * U [n, k] ≥ 0 the coefficients, W [k, c] ≥ 0 the concept bank (Lee & Seung 1999) — by
 * hierarchical alternating least squares (HALS: Cichocki & Phan 2009, with Gillis & Glineur 2012's
 * repeated inner sweeps). The two products that cost n·c·k (Uᵀ X and X Wᵀ) run in tfjs; the
 * sweeps, which cost n·k² and k²·c, run on plain arrays, so an iteration on 10,000 × 256 with
 * k = 20 is two matrix products. Deterministic for a seed (sklearn's 'random' start:
 * √(mean X / k)·|N(0, 1)|); stops when the error's decrease over 10 iterations falls below
 * tol × the starting error (sklearn's rule) or after maxIter. W's rows come out unit-length (the
 * scale moves into U), so a concept is a direction and coefficients compare across concepts.
 * `nmfTransform` gives U for a fixed W (sklearn's transform: the same sweeps with W held).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';

export interface NmfArgs {
  /** Number of factors (concepts). */
  readonly k: number;
  readonly seed?: number;
  /** Outer iterations at most; default 200 (sklearn's max_iter). */
  readonly maxIter?: number;
  /** Relative decrease of the error that counts as converged; default 1e-4 (sklearn's). */
  readonly tol?: number;
}

export interface Nmf {
  /** Coefficients [n, k], row-major. */
  readonly u: Float32Array;
  /** Concept bank [k, c], rows of unit length. */
  readonly w: Float32Array;
  readonly n: number;
  readonly c: number;
  readonly k: number;
  readonly iterations: number;
  /** ‖X − UW‖ / ‖X‖ at the end. */
  readonly relativeError: number;
  readonly seconds: number;
}

export const NMF_DEFAULTS = { maxIter: 200, tol: 1e-4, seed: 0 } as const;
/** Sweeps over W per product (W's sweeps cost k²·c, next to nothing; U's cost n·k², as much as a product, so one). */
const INNER = 3;
const TINY = 1e-12;

/** A [rows, cols] · B [rows, cols2]ᵀ-style Gram products on plain arrays: AᵀA for A [rows, k]. */
function gram(a: Float32Array, rows: number, k: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    for (let i = 0; i < k; i++) {
      const ai = a[o + i];
      if (ai === 0) continue;
      for (let j = i; j < k; j++) g[i * k + j] += ai * a[o + j];
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[i * k + j] = g[j * k + i];
  return g;
}

/** W Wᵀ for W [k, c]. */
function rowGram(w: Float32Array, k: number, c: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let s = 0;
      for (let t = 0; t < c; t++) s += w[i * c + t] * w[j * c + t];
      g[i * k + j] = g[j * k + i] = s;
    }
  }
  return g;
}

/** HALS sweeps over U's columns, row by row: U_ij ← max(0, U_ij + (P_ij − Σ_l U_il G_lj) / G_jj), P = X Wᵀ, G = W Wᵀ. */
function sweepU(
  u: Float32Array,
  p: Float32Array,
  g: Float64Array,
  n: number,
  k: number,
  sweeps: number,
): number {
  let moved = 0;
  for (let s = 0; s < sweeps; s++) {
    moved = 0;
    for (let r = 0; r < n; r++) {
      const o = r * k;
      for (let j = 0; j < k; j++) {
        const d = g[j * k + j];
        if (d <= TINY) continue;
        // G is symmetric: its column j is its row j, read contiguously.
        const gj = j * k;
        let acc = p[o + j];
        for (let l = 0; l < k; l++) acc -= u[o + l] * g[gj + l];
        const v = u[o + j] + acc / d;
        const next = v > 0 ? v : 0;
        moved += (next - u[o + j]) ** 2;
        u[o + j] = next;
      }
    }
  }
  return moved;
}

/** HALS sweeps over W's rows: W_j ← max(0, W_j + (Q_j − Σ_l G_jl W_l) / G_jj), Q = Uᵀ X, G = Uᵀ U. */
function sweepW(
  w: Float32Array,
  q: Float32Array,
  g: Float64Array,
  k: number,
  c: number,
  sweeps: number,
): void {
  const acc = new Float64Array(c);
  for (let s = 0; s < sweeps; s++) {
    for (let j = 0; j < k; j++) {
      const d = g[j * k + j];
      if (d <= TINY) continue;
      for (let t = 0; t < c; t++) acc[t] = q[j * c + t];
      for (let l = 0; l < k; l++) {
        const gl = g[j * k + l];
        if (gl === 0) continue;
        for (let t = 0; t < c; t++) acc[t] -= gl * w[l * c + t];
      }
      for (let t = 0; t < c; t++) {
        const v = w[j * c + t] + acc[t] / d;
        w[j * c + t] = v > 0 ? v : 0;
      }
    }
  }
}

/** ‖X − UW‖² from ‖X‖², P = X Wᵀ, U, UᵀU and W Wᵀ. */
function squaredError(
  x2: number,
  u: Float32Array,
  p: Float32Array,
  utu: Float64Array,
  wwt: Float64Array,
): number {
  let cross = 0;
  for (let i = 0; i < u.length; i++) cross += u[i] * p[i];
  let quad = 0;
  for (let i = 0; i < utu.length; i++) quad += utu[i] * wwt[i];
  return Math.max(0, x2 - 2 * cross + quad);
}

function checkInput(x: tf.Tensor2D, k: number, what: string): void {
  const [n, c] = x.shape;
  if (!(Number.isInteger(k) && k >= 1))
    throw new DeepvisError(`${what}: the number of factors must be a positive integer; got ${k}`);
  if (k > c)
    throw new DeepvisError(
      `${what}: ${k} factors is more than the ${c} channels of the activations`,
    );
  if (n < 1) throw new DeepvisError(`${what}: no activation vectors to factorize`);
}

/** X Wᵀ [n, k] for X in tfjs and W [k, c] on the host. */
function timesWt(x: tf.Tensor2D, w: Float32Array, k: number): Float32Array {
  const c = x.shape[1];
  const t = tf.tidy(() => tf.matMul(x, tf.tensor2d(w, [k, c]), false, true));
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Uᵀ X [k, c]. */
function utTimes(x: tf.Tensor2D, u: Float32Array, k: number): Float32Array {
  const n = x.shape[0];
  const t = tf.tidy(() => tf.matMul(tf.tensor2d(u, [n, k]), x, true, false));
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Rows of W scaled to unit length, U's columns scaled the other way (UW unchanged). */
function normalizeRows(u: Float32Array, w: Float32Array, n: number, k: number, c: number): void {
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let t = 0; t < c; t++) s += w[j * c + t] ** 2;
    const norm = Math.sqrt(s);
    if (!(norm > 0)) continue;
    for (let t = 0; t < c; t++) w[j * c + t] /= norm;
    for (let r = 0; r < n; r++) u[r * k + j] *= norm;
  }
}

/** Factorizes X [n, c] (a tensor the caller keeps, or host values). */
export function nmf(
  x: tf.Tensor2D | { values: Float32Array; n: number; c: number },
  args: NmfArgs,
): Nmf {
  const own = !(x instanceof tf.Tensor);
  const xt = own
    ? tf.tensor2d((x as { values: Float32Array }).values, [
        (x as { n: number }).n,
        (x as { c: number }).c,
      ])
    : (x as tf.Tensor2D);
  try {
    return factorize(xt, args);
  } finally {
    if (own) xt.dispose();
  }
}

function factorize(x: tf.Tensor2D, args: NmfArgs): Nmf {
  const started = performance.now();
  const { k } = args;
  checkInput(x, k, 'NMF');
  const [n, c] = x.shape;
  const maxIter = args.maxIter ?? NMF_DEFAULTS.maxIter;
  const tol = args.tol ?? NMF_DEFAULTS.tol;
  const [x2, mean, min] = tf
    .tidy(() => [x.square().sum(), x.mean(), x.min()])
    .map((t) => {
      const v = t.dataSync()[0];
      t.dispose();
      return v;
    });
  if (min < 0)
    throw new DeepvisError(
      `NMF needs non-negative activations; the smallest is ${min.toPrecision(3)}`,
    );
  const rng = new Rng(args.seed ?? NMF_DEFAULTS.seed);
  const scale = Math.sqrt(Math.max(mean, 1e-12) / k);
  const u = Float32Array.from({ length: n * k }, () => scale * Math.abs(rng.normal()));
  const w = Float32Array.from({ length: k * c }, () => scale * Math.abs(rng.normal()));
  let first = NaN;
  let previous = NaN;
  let error: number;
  let it: number;
  for (it = 1; it <= maxIter; it++) {
    sweepW(w, utTimes(x, u, k), gram(u, n, k), k, c, INNER);
    const wwt = rowGram(w, k, c);
    const p = timesWt(x, w, k);
    sweepU(u, p, wwt, n, k, 1);
    if (it === 1 || it % 10 === 0) {
      error = Math.sqrt(squaredError(x2, u, p, gram(u, n, k), wwt));
      if (it === 1) first = error;
      else if ((previous - error) / first < tol) break;
      previous = error;
    }
  }
  normalizeRows(u, w, n, k, c);
  const p = timesWt(x, w, k);
  error = Math.sqrt(squaredError(x2, u, p, gram(u, n, k), rowGram(w, k, c)));
  return {
    u,
    w,
    n,
    c,
    k,
    iterations: Math.min(it, maxIter),
    relativeError: x2 > 0 ? error / Math.sqrt(x2) : 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Coefficients U [n, k] ≥ 0 of X [n, c] on a fixed bank W [k, c] (non-negative least squares by the same sweeps). */
export function nmfTransform(
  x: tf.Tensor2D | { values: Float32Array; n: number; c: number },
  w: Float32Array,
  k: number,
  sweeps = 100,
): Float32Array {
  const own = !(x instanceof tf.Tensor);
  const xt = own
    ? tf.tensor2d((x as { values: Float32Array }).values, [
        (x as { n: number }).n,
        (x as { c: number }).c,
      ])
    : (x as tf.Tensor2D);
  try {
    const [n, c] = xt.shape;
    if (w.length !== k * c)
      throw new DeepvisError(
        `NMF transform: a bank of ${k} × ${w.length / k} does not fit activations of ${c} channels`,
      );
    const p = timesWt(xt, w, k);
    const g = rowGram(w, k, c);
    // Start from each vector's projection on each concept, scaled so the start is not far too big.
    const u = new Float32Array(n * k);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < k; j++) {
        let rowSum = 0;
        for (let l = 0; l < k; l++) rowSum += g[j * k + l];
        u[r * k + j] = rowSum > TINY ? Math.max(0, p[r * k + j]) / rowSum : 0;
      }
    }
    // Until a sweep moves U by less than 1e-3 of what the first one did (in norm).
    const first = sweepU(u, p, g, n, k, 1);
    let s = 1;
    while (s < sweeps && sweepU(u, p, g, n, k, 1) > 1e-6 * first) s++;
    return u;
  } finally {
    if (own) xt.dispose();
  }
}
