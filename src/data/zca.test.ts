/**
 * ZCA whitening: whitened rows have identity covariance (on the rows it was fitted to, to rounding;
 * on fresh rows of the same distribution, within sampling error); the matrix is symmetric and
 * reusable; ε damps the weakest directions; the Jacobi eigen-solver is right on a matrix done by hand.
 * Natural patches: cut from a photo folder (written by the test), DC removed, whitened to unit variance.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { applyZca, covariance, fitZca } from './zca.js';
import { eigh } from './eigh.js';
import { cutPatches, naturalPatches, readPhotos } from './natural_patches.js';
import { Rng } from '../engine/rng.js';

/** n rows of dim correlated Gaussians: x = A·z with a fixed random mixing A. */
function correlated(n: number, dim: number, seed: number): Float32Array {
  const mix = new Rng(99);
  const A = Array.from({ length: dim * dim }, () => mix.normal());
  const rng = new Rng(seed);
  const out = new Float32Array(n * dim);
  const z = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) z[k] = rng.normal() * (k + 1);
    for (let a = 0; a < dim; a++) {
      let s = 3; // a non-zero mean, which ZCA removes
      for (let k = 0; k < dim; k++) s += A[a * dim + k] * z[k];
      out[i * dim + a] = s;
    }
  }
  return out;
}

function maxOffIdentity(cov: Float64Array, dim: number): number {
  let worst = 0;
  for (let a = 0; a < dim; a++)
    for (let b = 0; b < dim; b++)
      worst = Math.max(worst, Math.abs(cov[a * dim + b] - (a === b ? 1 : 0)));
  return worst;
}

describe('eigh', () => {
  it('[[2,1],[1,2]] has eigenvalues 3 and 1 with eigenvectors (1,1)/√2 and (1,−1)/√2', () => {
    const { values, vectors } = eigh([2, 1, 1, 2], 2);
    assert.ok(Math.abs(values[0] - 3) < 1e-12 && Math.abs(values[1] - 1) < 1e-12, `${values}`);
    assert.ok(
      Math.abs(Math.abs(vectors[0]) - Math.SQRT1_2) < 1e-12 &&
        Math.abs(vectors[0] - vectors[2]) < 1e-12,
    );
    assert.ok(Math.abs(vectors[1] + vectors[3]) < 1e-12);
  });
});

describe('ZCA whitening', () => {
  const dim = 6;
  const rows = correlated(4000, dim, 1);

  it('whitened patches have identity covariance: exactly on the fitted rows, within 0.1 on fresh ones', () => {
    const before = covariance(rows, dim).cov;
    assert.ok(maxOffIdentity(before, dim) > 1, 'the input is far from white');
    const zca = fitZca(rows, dim);
    const white = covariance(applyZca(zca, rows), dim);
    assert.ok(
      maxOffIdentity(white.cov, dim) < 1e-4,
      `fitted rows: ${maxOffIdentity(white.cov, dim)}`,
    );
    assert.ok(Math.max(...Array.from(white.mean, Math.abs)) < 1e-4, 'mean removed');
    const fresh = covariance(applyZca(zca, correlated(4000, dim, 2)), dim).cov;
    assert.ok(maxOffIdentity(fresh, dim) < 0.1, `fresh rows: ${maxOffIdentity(fresh, dim)}`);
    for (let a = 0; a < dim; a++)
      for (let b = 0; b < dim; b++)
        assert.ok(Math.abs(zca.matrix[a * dim + b] - zca.matrix[b * dim + a]) < 1e-9, 'symmetric');
  });

  it("ε shrinks each eigen-direction's variance to λ/(λ+ε)", () => {
    const plain = fitZca(rows, dim);
    const eps = plain.eigenvalues[dim - 1];
    const damped = covariance(applyZca(fitZca(rows, dim, { epsilon: eps }), rows), dim).cov;
    let trace = 0;
    for (let a = 0; a < dim; a++) trace += damped[a * dim + a];
    const expected = Array.from(plain.eigenvalues).reduce((s, l) => s + l / (l + eps), 0);
    assert.ok(Math.abs(trace - expected) < 1e-3, `trace ${trace} vs ${expected}`);
    const rel = fitZca(rows, dim, { relativeEpsilon: 1 });
    const meanEig = Array.from(plain.eigenvalues).reduce((s, l) => s + l, 0) / dim;
    assert.ok(Math.abs(rel.epsilon - meanEig) < 1e-9 * meanEig);
    assert.throws(() => fitZca(rows, dim, { epsilon: -1 }), /epsilon must be ≥ 0/);
  });
});

describe('natural patches', () => {
  it('cuts patches inside the image with their mean removed', () => {
    const data = Float32Array.from(
      { length: 20 * 30 },
      (_, i) => (i % 30) / 30 + Math.floor(i / 30),
    );
    const p = cutPatches([{ name: 'ramp', width: 30, height: 20, data }], 5, 50, new Rng(1));
    for (let n = 0; n < 50; n++) {
      const patch = p.subarray(n * 25, (n + 1) * 25);
      assert.ok(Math.abs(patch.reduce((a, b) => a + b, 0)) < 1e-4);
      // Every row of the ramp steps by 1/30 along x and by 1 down y: the patch is a window of it.
      assert.ok(
        Math.abs(patch[1] - patch[0] - 1 / 30) < 1e-5 && Math.abs(patch[5] - patch[0] - 1) < 1e-5,
      );
    }
  });

  it('reads a photo folder, whitens to unit variance, and refuses an empty folder in one line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'deepvis-photos-'));
    try {
      const rng = new Rng(4);
      const px = Buffer.from(
        Array.from({ length: 64 * 64 * 3 }, (_, i) =>
          Math.floor(128 + 60 * Math.sin(i / 37) + 30 * rng.next()),
        ),
      );
      await sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .toFile(path.join(dir, 'a.png'));
      const r = await naturalPatches({ folder: dir, size: 4, count: 600, seed: 3 });
      assert.equal(r.patches.length, 600 * 16);
      assert.deepEqual(r.sources, ['a.png']);
      const ms = r.patches.reduce((s, v) => s + v * v, 0) / r.patches.length;
      assert.ok(Math.abs(ms - 1) < 1e-3, `mean square ${ms}`);
      // The returned transform (scale included) whitens the same raw patches to the same values.
      const raw = cutPatches(await readPhotos(dir), 4, 600, new Rng(3));
      const again = applyZca(r.zca, raw);
      assert.ok(again.every((v, i) => Math.abs(v - r.patches[i]) < 1e-4));
      // Patches of the photo itself (DC kept, ε = 0) whiten to identity covariance.
      const withDc = cutPatches(await readPhotos(dir), 4, 3000, new Rng(5), false);
      const cov = covariance(applyZca(fitZca(withDc, 16), withDc), 16).cov;
      assert.ok(maxOffIdentity(cov, 16) < 1e-3, `photo patches: ${maxOffIdentity(cov, 16)}`);
      await rm(path.join(dir, 'a.png'));
      await assert.rejects(naturalPatches({ folder: dir, size: 4, count: 600 }), /has no \.png/);
      await assert.rejects(
        naturalPatches({ folder: dir, size: 4, count: 10 }),
        /patch count must be an integer above 16/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
