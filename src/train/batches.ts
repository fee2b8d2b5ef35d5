/**
 * One epoch of mini-batches: the rows of `data` ([N, nv] row-major) in a seeded random order,
 * `batch` at a time, the last partial batch dropped (CD and autoencoder updates assume full batches).
 */
import type { Rng } from '../engine/rng.js';

export function* shuffledBatches(
  data: Float32Array,
  nv: number,
  batch: number,
  rng: Rng,
): Generator<Float32Array> {
  const n = data.length / nv;
  const order = rng.permutation(n);
  for (let b = 0; b + batch <= n; b += batch) {
    const rows = new Float32Array(batch * nv);
    for (let i = 0; i < batch; i++)
      rows.set(data.subarray(order[b + i] * nv, (order[b + i] + 1) * nv), i * nv);
    yield rows;
  }
}
