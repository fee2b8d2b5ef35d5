/**
 * Sensitivity matrix (Erhan et al. 2009 §6.2): the activation of unit j (columns) on the optimal pattern of
 * unit i (rows), with each column normalized (divided by its sum over the patterns, after shifting
 * it to be non-negative) "to eliminate the effect of units that are activated for very many
 * patterns in general". Strong diagonals mean each optimum is specific to its unit. Scored two
 * ways: the fraction of rows whose largest entry is on the diagonal, and the mean diagonal entry
 * over the mean off-diagonal entry.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { unitScores } from '../objectives/units.js';

export interface Sensitivity {
  readonly layer: string;
  readonly units: number[];
  /** raw[i][j]: activation of units[j] on pattern i. */
  readonly raw: number[][];
  readonly normalized: number[][];
  readonly diagonalWins: number;
  readonly diagonalRatio: number;
}

export function sensitivity(
  model: VisModel,
  layerName: string,
  units: readonly number[],
  patterns: tf.Tensor4D,
): Sensitivity {
  const layer = model.layer(layerName);
  const n = units.length;
  if (patterns.shape[0] !== n)
    throw new DeepvisError(
      `${patterns.shape[0]} patterns for ${n} units: give one optimal pattern per unit`,
    );
  const all = tf.tidy(() =>
    unitScores(model.activations(patterns, [layer.name])[0], layer).arraySync(),
  ) as number[][];
  const raw = all.map((row) => units.map((u) => row[u]));
  const normalized: number[][] = raw.map((row) => row.map(() => 0));
  for (let j = 0; j < n; j++) {
    const col = raw.map((row) => row[j]);
    const lo = Math.min(0, ...col);
    const total = col.reduce((s, v) => s + v - lo, 0);
    col.forEach((v, i) => (normalized[i][j] = total > 0 ? (v - lo) / total : 0));
  }
  let wins = 0;
  let diag = 0;
  let off = 0;
  normalized.forEach((row, i) => {
    if (row.indexOf(Math.max(...row)) === i) wins++;
    row.forEach((v, j) => (i === j ? (diag += v) : (off += v)));
  });
  const meanOff = n > 1 ? off / (n * (n - 1)) : 0;
  return {
    layer: layer.name,
    units: [...units],
    raw,
    normalized,
    diagonalWins: wins / n,
    diagonalRatio: meanOff > 0 ? diag / n / meanOff : Infinity,
  };
}
