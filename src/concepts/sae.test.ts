/** Sparse autoencoders on activations with planted directions: the dictionary must find them. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { noLeaks, setup } from '../../test/helpers.js';
import { Rng } from '../engine/rng.js';
import { cosineHungarian } from './hungarian.js';
import { saeMetrics, trainSae } from './sae.js';

/**
 * n vectors in c dims, each the sum of 2 of `atoms` planted unit directions with weights in [1, 2)
 * (with probability `pure`, one direction alone).
 */
function planted(n: number, c: number, atoms: number, seed: number, pure = 0) {
  const rng = new Rng(seed);
  const dirs = Float32Array.from({ length: atoms * c }, () => rng.normal());
  for (let a = 0; a < atoms; a++) {
    const norm = Math.hypot(...dirs.subarray(a * c, (a + 1) * c));
    for (let t = 0; t < c; t++) dirs[a * c + t] /= norm;
  }
  const values = new Float32Array(n * c);
  for (let r = 0; r < n; r++) {
    const [i, j] = rng.permutation(atoms);
    for (const a of rng.next() < pure ? [i] : [i, j]) {
      const w = 1 + rng.next();
      for (let t = 0; t < c; t++) values[r * c + t] += w * dirs[a * c + t];
    }
  }
  return { dirs, values };
}

describe('sparse autoencoders', () => {
  before(() => setup('cpu'));

  for (const kind of ['topk', 'batchtopk'] as const) {
    it(`${kind}: recovers 8 planted directions in 16 dimensions (cosine ≥ 0.9), R² near 1, L0 = 2`, () =>
      noLeaks(() => {
        const { dirs, values } = planted(2000, 16, 8, 3);
        const sae = trainSae(values, 2000, 16, { kind, atoms: 8, k: 2, steps: 1500, seed: 0 });
        const match = cosineHungarian(dirs, sae.dictionary, 16);
        assert.ok(
          Math.min(...match.cosines) >= 0.9,
          `cosines ${[...match.cosines].map((v) => v.toFixed(3))}`,
        );
        const m = saeMetrics(sae, values, 2000);
        assert.ok(m.r2 > 0.9, `R² ${m.r2}`);
        assert.equal(m.dead, 0);
        assert.ok(Math.abs(m.l0 - 2) < (kind === 'topk' ? 1e-9 : 0.5), `L0 ${m.l0}`);
      }));
  }

  it('archetypal, overcomplete (16 atoms, 8 directions): every direction has an atom (cosine ≥ 0.9), and two seeds agree more than TopK', () =>
    noLeaks(() => {
      // A third of the vectors are one direction alone: the data's extreme rays are the directions.
      const { dirs, values } = planted(2000, 16, 8, 3, 1 / 3);
      const train = (kind: 'topk' | 'archetypal', seed: number) =>
        trainSae(values, 2000, 16, { kind, atoms: 16, k: 2, steps: 800, seed });
      const [a, b] = [train('archetypal', 0), train('archetypal', 1)];
      assert.equal(a.facts?.candidates, 128);
      // Each planted direction's best atom (the dictionary has twice as many atoms as directions).
      const best = Array.from({ length: 8 }, (_, i) =>
        Math.max(
          ...Array.from({ length: 16 }, (_, j) => {
            let s = 0;
            for (let t = 0; t < 16; t++) s += dirs[i * 16 + t] * a.dictionary[j * 16 + t];
            return s;
          }),
        ),
      );
      assert.ok(Math.min(...best) >= 0.9, `best cosines ${best.map((v) => v.toFixed(3))}`);
      const m = saeMetrics(a, values, 2000);
      assert.ok(m.r2 > 0.9, `R² ${m.r2}`);
      assert.ok(Math.abs(m.l0 - 2) < 1e-9, `L0 ${m.l0}`);
      // Fel et al. 2025's point: atoms tied to the data make two seeds' dictionaries agree.
      const arch = cosineHungarian(a.dictionary, b.dictionary, 16).mean;
      const topk = cosineHungarian(
        train('topk', 0).dictionary,
        train('topk', 1).dictionary,
        16,
      ).mean;
      assert.ok(arch > topk, `stability archetypal ${arch} vs TopK ${topk}`);
    }));
});
