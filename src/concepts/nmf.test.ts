/** NMF by HALS on factorizations known exactly. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { noLeaks, setup } from '../../test/helpers.js';
import { cosineHungarian } from './hungarian.js';
import { nmf, nmfTransform } from './nmf.js';

describe('nmf', () => {
  before(() => setup('cpu'));

  it('a rank-one matrix: W = (3, 4) / 5, U = 5 · (1, 2, 3)', () =>
    noLeaks(() => {
      const x = { values: Float32Array.from([3, 4, 6, 8, 9, 12]), n: 3, c: 2 };
      const f = nmf(x, { k: 1, seed: 3 });
      [0.6, 0.8].forEach((v, i) => assert.ok(Math.abs(f.w[i] - v) < 1e-4, `w ${[...f.w]}`));
      [5, 10, 15].forEach((v, i) => assert.ok(Math.abs(f.u[i] - v) < 1e-3, `u ${[...f.u]}`));
      assert.ok(f.relativeError < 1e-4);
    }));

  it('recovers a planted bank of 4 concepts in 12 channels, and is deterministic for a seed', () =>
    noLeaks(() => {
      const k = 4;
      const c = 12;
      const n = 400;
      // Concept j lives on channels 3j…3j+2 with weights 1, 2, 3 (unit length after normalizing).
      const w = new Float32Array(k * c);
      for (let j = 0; j < k; j++) for (let t = 0; t < 3; t++) w[j * c + 3 * j + t] = t + 1;
      let s = 7;
      const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
      const u = Float32Array.from({ length: n * k }, () => (rand() < 0.5 ? 0 : rand()));
      const values = new Float32Array(n * c);
      for (let r = 0; r < n; r++)
        for (let j = 0; j < k; j++)
          for (let t = 0; t < c; t++) values[r * c + t] += u[r * k + j] * w[j * c + t];
      const f = nmf({ values, n, c }, { k, seed: 1 });
      assert.ok(f.relativeError < 1e-3, `error ${f.relativeError}`);
      const m = cosineHungarian(f.w, w, c);
      assert.ok(Math.min(...m.cosines) > 0.999, `cosines ${[...m.cosines]}`);
      const again = nmf({ values, n, c }, { k, seed: 1 });
      assert.deepEqual(again.w, f.w);
      // The transform on the found bank gives back the coefficients (up to the bank's scale).
      const u2 = nmfTransform({ values, n, c }, f.w, k);
      assert.ok(u2.every((v, i) => Math.abs(v - f.u[i]) < 1e-2 * (1 + Math.abs(f.u[i]))));
    }));

  it('refuses negative values and more factors than channels in one line', () => {
    assert.throws(
      () => nmf({ values: Float32Array.from([1, -2]), n: 1, c: 2 }, { k: 1 }),
      /non-negative activations; the smallest is -2/,
    );
    assert.throws(
      () => nmf({ values: Float32Array.from([1, 2]), n: 1, c: 2 }, { k: 3 }),
      /3 factors is more than the 2 channels/,
    );
  });
});
