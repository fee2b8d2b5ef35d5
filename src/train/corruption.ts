/**
 * Input corruption C(x) of a denoising autoencoder, as Erhan et al. 2009 §2 (after
 * Vincent et al. 2008) defines it: in every example a random subset *of a fixed size*,
 * round(level·d) of its d inputs, is
 *  - 'mask': set to 0 (zero-masking), or
 *  - 'salt-pepper': set to the low or the high value (0 or 1 by default) with equal chance.
 * The '-iid' kinds corrupt each input independently with probability `level` (what deepvis did
 * before; the count then varies from example to example), kept for comparison.
 * For real-valued (e.g. whitened) inputs, `values` gives salt-and-pepper's two levels.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';

export type CorruptionKind = 'mask' | 'salt-pepper' | 'mask-iid' | 'salt-pepper-iid';
export const CORRUPTION_KINDS: readonly CorruptionKind[] = [
  'mask',
  'salt-pepper',
  'mask-iid',
  'salt-pepper-iid',
];

export interface Corruption {
  readonly kind: CorruptionKind;
  /** Fraction of each example's inputs corrupted, in [0, 1). */
  readonly level: number;
  /** Salt-and-pepper's [pepper, salt] values; default [0, 1]. */
  readonly values?: readonly [number, number];
}

export interface CorruptionPlan {
  /** [rows, d] 1 where the input is replaced, 0 where it is kept. */
  readonly hit: Float32Array;
  /** [rows, d] the replacement value where hit (0 elsewhere). */
  readonly fill: Float32Array;
}

/** Exactly how many inputs of a d-dimensional example a fixed-size corruption replaces. */
export function corruptedCount(level: number, d: number): number {
  return Math.round(level * d);
}

/** Which inputs of each of `rows` examples are replaced, and by what: plain data, seeded. */
export function corruptionPlan(
  rows: number,
  d: number,
  noise: Corruption,
  rng: Rng,
): CorruptionPlan {
  if (!(noise.level >= 0 && noise.level < 1))
    throw new DeepvisError(`corruption level must be in [0, 1); got ${noise.level}`);
  const hit = new Float32Array(rows * d);
  const fill = new Float32Array(rows * d);
  const [lo, hi] = noise.values ?? [0, 1];
  const salt = noise.kind === 'salt-pepper' || noise.kind === 'salt-pepper-iid';
  const mark = (i: number) => {
    hit[i] = 1;
    if (salt) fill[i] = rng.next() < 0.5 ? lo : hi;
  };
  if (noise.kind === 'mask-iid' || noise.kind === 'salt-pepper-iid') {
    for (let i = 0; i < rows * d; i++) if (rng.next() < noise.level) mark(i);
    return { hit, fill };
  }
  const k = corruptedCount(noise.level, d);
  const order = new Int32Array(d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) order[j] = j;
    // Partial Fisher–Yates: the first k entries become a uniform random k-subset.
    for (let j = 0; j < k; j++) {
      const s = j + rng.int(d - j);
      const t = order[j];
      order[j] = order[s];
      order[s] = t;
      mark(r * d + order[j]);
    }
  }
  return { hit, fill };
}

/** C(x) for a batch [rows, d]; returns x itself when there is no corruption (the caller owns both). */
export function corrupt(x: tf.Tensor2D, noise: Corruption | undefined, seed: number): tf.Tensor2D {
  if (!noise || noise.level <= 0) return x;
  const [rows, d] = x.shape;
  const plan = corruptionPlan(rows, d, noise, new Rng(seed));
  return tf.tidy(() => {
    const hit = tf.tensor2d(plan.hit, [rows, d]);
    return x.mul(tf.scalar(1).sub(hit)).add(tf.tensor2d(plan.fill, [rows, d])) as tf.Tensor2D;
  });
}

/** 'mask:0.25', 'salt-pepper:0.1', 'mask-iid:0.25' → Corruption; one clear error otherwise. */
export function parseCorruption(text: string, what = '--noise'): Corruption {
  const m = /^([a-z-]+):([\d.]+)$/.exec(text);
  const level = m ? Number(m[2]) : NaN;
  if (!m || !(CORRUPTION_KINDS as readonly string[]).includes(m[1]) || !(level >= 0 && level < 1)) {
    throw new DeepvisError(
      `${what} must be mask:LEVEL or salt-pepper:LEVEL (fixed-size subsets; mask-iid:, salt-pepper-iid: per pixel) with 0 ≤ LEVEL < 1; got '${text}'`,
    );
  }
  return { kind: m[1] as CorruptionKind, level };
}
