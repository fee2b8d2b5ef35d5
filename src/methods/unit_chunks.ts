/**
 * A method over more units than fit one batch, run as consecutive batches of `chunk` units
 * (issue 20, item 4: the same call works on a machine with less memory). Units stay along the
 * batch inside a chunk; results are joined unit-major: every tensor field of the result is
 * concatenated along axis 0 (images, restart images), the per-unit records follow each other, the
 * seconds add up. Chunk j starts from seed + j, so a run is reproducible for a given budget.
 */
import * as tf from '@tensorflow/tfjs';
import type { MethodResult } from './recipe.js';

export function inUnitChunks<R extends MethodResult>(
  units: readonly number[],
  chunk: number,
  seed: number,
  run: (units: readonly number[], seed: number) => R,
): R {
  if (units.length <= chunk) return run(units, seed);
  const parts: R[] = [];
  for (let i = 0, j = 0; i < units.length; i += chunk, j++)
    parts.push(run(units.slice(i, i + chunk), seed + j));
  const out = { ...parts[0] } as Record<string, unknown>;
  for (const key of Object.keys(out)) {
    const values = parts.map((p) => (p as Record<string, unknown>)[key]);
    if (values.every((v) => v instanceof tf.Tensor)) {
      out[key] = tf.concat(values as tf.Tensor[], 0);
      tf.dispose(values as tf.Tensor[]);
    }
  }
  out.units = parts.flatMap((p) => p.units);
  out.seconds = parts.reduce((s, p) => s + p.seconds, 0);
  out.params = { ...parts[0].params, unitChunk: chunk };
  return out as R;
}
