/**
 * The Archetypal dictionary (Fel et al. 2025, "Archetypal SAE: Adaptive and Stable Dictionary
 * Learning for Concept Extraction in Large Vision Models"), relaxed form (RA-SAE): each atom is a
 * convex combination of candidate points C of the data plus a small relaxation,
 * D = e^m (W C + Λ), W row-stochastic (non-negative rows summing to one) and ‖Λ_i‖ ≤ δ, the
 * multiplier e^m putting atoms in the data's conical hull. After every optimizer step W goes back
 * to the simplex (ReLU, then rows over their sums) and each Λ_i back into its ball, as
 * Overcomplete's RelaxedArchetypalDictionary does. C is the k-means centroids of the data (Lloyd
 * 1982, distinct random rows to start), as the paper takes them; W starts as the identity on
 * candidates picked farthest-first (ours: Overcomplete takes them in the order given). Tied to the data
 * this way, two seeds find nearly the same dictionary: the paper's stability. sae.ts trains it
 * with a TopK encoder and no decoder bias (atoms are points of the data, not offsets from a mean).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';

export const ARCHETYPAL_DEFAULTS = {
  /** Candidates per atom (k-means centroids), at most `maxCandidates`. */
  perAtom: 8,
  maxCandidates: 2048,
  /** Lloyd iterations. */
  iterations: 8,
  /** The relaxation's bound, in the units sae.ts trains in (inputs over their RMS): Overcomplete's default. */
  delta: 1,
} as const;

/**
 * k-means centroids [m, c] of rows [n, c]: m distinct random rows to start, `iterations` Lloyd
 * steps (distances by ‖x‖² − 2 x·cᵀ + ‖c‖² in tfjs, in chunks; an empty cluster keeps its centroid).
 */
export function kmeans(
  values: Float32Array,
  n: number,
  c: number,
  m: number,
  rng: Rng,
  iterations: number = ARCHETYPAL_DEFAULTS.iterations,
): Float32Array {
  if (m > n) throw new DeepvisError(`k-means: ${m} centroids need at least ${m} rows; got ${n}`);
  const centroids = new Float32Array(m * c);
  rng
    .permutation(n)
    .slice(0, m)
    .forEach((r, j) => centroids.set(values.subarray(r * c, (r + 1) * c), j * c));
  const assign = new Int32Array(n);
  const chunk = Math.max(1, Math.floor(2 ** 22 / m));
  for (let it = 0; it < iterations; it++) {
    const cen = tf.tensor2d(centroids, [m, c]);
    const cc = tf.tidy(() => cen.square().sum(1));
    try {
      for (let from = 0; from < n; from += chunk) {
        const rows = Math.min(chunk, n - from);
        const best = tf.tidy(() => {
          const x = tf.tensor2d(values.subarray(from * c, (from + rows) * c), [rows, c]);
          // ‖x‖² is the same for every centroid of a row: argmin of ‖c‖² − 2 x·cᵀ.
          return cc.sub(x.matMul(cen, false, true).mul(2)).argMin(1);
        });
        assign.set(best.dataSync() as Int32Array, from);
        best.dispose();
      }
    } finally {
      tf.dispose([cen, cc]);
    }
    const sums = new Float64Array(m * c);
    const counts = new Float64Array(m);
    for (let r = 0; r < n; r++) {
      const j = assign[r];
      counts[j]++;
      for (let t = 0; t < c; t++) sums[j * c + t] += values[r * c + t];
    }
    for (let j = 0; j < m; j++)
      if (counts[j] > 0)
        for (let t = 0; t < c; t++) centroids[j * c + t] = sums[j * c + t] / counts[j];
  }
  return centroids;
}

/**
 * The candidates [m, c] reordered so the first `atoms` are picked farthest-first by cosine (a
 * random first, then each time the candidate least like any picked; Gonzalez 1985): atom i starts
 * at candidate i, so the atoms start spread over the data's directions, not two on one.
 */
export function farthestFirst(
  points: Float32Array,
  m: number,
  c: number,
  atoms: number,
  rng: Rng,
): Float32Array {
  const norms = Array.from(
    { length: m },
    (_, j) => Math.hypot(...points.subarray(j * c, (j + 1) * c)) || 1,
  );
  const cos = (a: number, b: number) => {
    let s = 0;
    for (let t = 0; t < c; t++) s += points[a * c + t] * points[b * c + t];
    return s / (norms[a] * norms[b]);
  };
  const order = [rng.int(m)];
  const nearest = Float64Array.from({ length: m }, (_, j) => cos(j, order[0]));
  const picked = new Uint8Array(m);
  picked[order[0]] = 1;
  while (order.length < atoms) {
    let best = -1;
    for (let j = 0; j < m; j++)
      if (!picked[j] && (best < 0 || nearest[j] < nearest[best])) best = j;
    order.push(best);
    picked[best] = 1;
    for (let j = 0; j < m; j++) nearest[j] = Math.max(nearest[j], cos(j, best));
  }
  for (let j = 0; j < m; j++) if (!picked[j]) order.push(j);
  const out = new Float32Array(m * c);
  order.forEach((j, i) => out.set(points.subarray(j * c, (j + 1) * c), i * c));
  return out;
}

/** What sae.ts's loop needs of a dictionary: its variables, the dictionary on the tape, the projection after a step. */
export interface DictionaryParams {
  readonly variables: tf.Variable[];
  /** [atoms, c], on the tape. */
  dictionary(): tf.Tensor2D;
  /** Back onto the constraint set after an optimizer step. */
  project(): void;
  /** Numbers the run reports about the dictionary. */
  facts(): Record<string, number>;
  dispose(): void;
}

export interface ArchetypalArgs {
  /** Candidate points (k-means centroids); default 8 per atom, at most 2048, at most the rows. */
  readonly candidates?: number;
  /** Bound on each atom's relaxation ‖Λ_i‖, in the training units (inputs over their RMS); default 1. */
  readonly delta?: number;
  readonly iterations?: number;
}

/**
 * The relaxed archetypal dictionary of rows `scaled` [n, c] (already in training units): W starts
 * as the identity (atom i = candidate i, candidates in random order), Λ at zero, m at zero.
 */
export function archetypalDictionary(
  scaled: Float32Array,
  n: number,
  c: number,
  atoms: number,
  rng: Rng,
  args: ArchetypalArgs = {},
): DictionaryParams & { readonly candidates: number; readonly delta: number } {
  const m =
    args.candidates ??
    Math.min(n, ARCHETYPAL_DEFAULTS.maxCandidates, ARCHETYPAL_DEFAULTS.perAtom * atoms);
  if (!(Number.isInteger(m) && m >= atoms && m <= n))
    throw new DeepvisError(
      `archetypal SAE: ${atoms} atoms need between ${atoms} and ${n} candidate points (one atom starts at each); got ${m}${n < atoms ? ': give more activation vectors or fewer --atoms' : ''}`,
    );
  const delta = args.delta ?? ARCHETYPAL_DEFAULTS.delta;
  if (!(delta >= 0)) throw new DeepvisError(`archetypal SAE: delta must be ≥ 0; got ${delta}`);
  const points = farthestFirst(kmeans(scaled, n, c, m, rng, args.iterations), m, c, atoms, rng);
  const C = tf.tensor2d(points, [m, c]);
  const w = tf.tidy(() => tf.variable(tf.eye(atoms, m)));
  const relax = tf.tidy(() => tf.variable(tf.zeros([atoms, c])));
  const mult = tf.tidy(() => tf.variable(tf.scalar(0)));
  return {
    candidates: m,
    delta,
    variables: [w, relax, mult],
    dictionary: () => w.matMul(C).add(relax).mul(mult.exp()) as tf.Tensor2D,
    project: () =>
      tf.tidy(() => {
        const pos = tf.relu(w);
        w.assign(pos.div(pos.sum(1, true).add(1e-8)));
        const norm = relax.norm('euclidean', 1, true);
        relax.assign(relax.mul(tf.minimum(tf.scalar(1), tf.scalar(delta).div(norm.add(1e-12)))));
      }),
    facts: () =>
      tf.tidy(() => {
        const hull = w.matMul(C);
        const share = relax
          .norm('euclidean', 1)
          .div(hull.add(relax).norm('euclidean', 1).add(1e-12));
        return {
          candidates: m,
          delta,
          multiplier: Math.exp(mult.dataSync()[0]),
          relaxationShare: share.mean().dataSync()[0],
        };
      }),
    dispose: () => tf.dispose([C, w, relax, mult]),
  };
}
