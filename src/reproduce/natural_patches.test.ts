/**
 * The natural-image half of reproduce 002: the claim rows are computed from the filters handed in
 * (Gabors → reproduced, noise → differs; change the filters and the numbers change), and a quick
 * run writes its three PNGs and rows whose numbers are those of its own trained filters.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initEngine, type EngineInfo } from '../engine/backend.js';
import { gabor, gaborSummary } from '../analysis/orientation.js';
import { Rng } from '../engine/rng.js';
import { SKIMAGE_DATA } from '../data/natural_patches.js';
import { naturalClaims, naturalImageExperiment, type TrainedFilters } from './natural_patches.js';
import { dataAbsent } from '../../test/helpers.js';

let engine: EngineInfo;
let dir: string;
before(async () => {
  engine = await initEngine({ backend: 'wasm' });
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-natural-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function trained(model: 'grbm' | 'gsdae', filters: Float32Array[]): TrainedFilters {
  return { model, filters, summary: gaborSummary(filters, 12, 12), seconds: 1, final: 0.5 };
}
const rng = new Rng(3);
const gabors = Array.from({ length: 10 }, (_, i) =>
  gabor(12, 12, { angleDeg: 18 * i, period: 5, sigma: 2 }),
);
const noise = Array.from({ length: 10 }, () =>
  Float32Array.from({ length: 144 }, () => rng.normal()),
);

describe('natural-image claims', () => {
  it('follow the filters: SDAE Gabors and RBM noise reproduce §6.1; swapped, they differ', () => {
    const [sdae, rbmPossible, lesser] = naturalClaims(
      trained('grbm', noise),
      trained('gsdae', gabors),
    );
    assert.equal(sdae.verdict, 'reproduced');
    assert.equal(sdae.values?.gaborFraction, 1);
    assert.equal(rbmPossible.verdict, 'differs');
    assert.equal(lesser.verdict, 'reproduced');
    const swapped = naturalClaims(trained('grbm', gabors), trained('gsdae', noise));
    assert.deepEqual(
      swapped.map((c) => c.verdict),
      ['differs', 'reproduced', 'differs'],
    );
    const half = naturalClaims(
      trained('grbm', noise),
      trained('gsdae', [...gabors.slice(0, 3), ...noise.slice(0, 7)]),
    );
    assert.equal(half[0].values?.gaborFraction, 0.3);
    assert.match(half[0].ours, /^30\.0% of 10 Gabor-like/);
  });
});

describe('naturalImageExperiment (quick)', () => {
  it('writes the patch and filter PNGs and rows measured on its own filters', async () => {
    const r = await naturalImageExperiment({ engine, dir, quick: true, seed: 1, log: () => {} });
    if (!existsSync(SKIMAGE_DATA) && dataAbsent(`scikit-image's photographs (${SKIMAGE_DATA})`)) {
      assert.equal(r.claims[0].verdict, 'not applicable');
      return;
    }
    assert.deepEqual(
      r.figures.map((f) => f.src),
      ['natural-patches.png', 'natural-grbm-filters.png', 'natural-gsdae-filters.png'],
    );
    for (const f of r.figures) assert.ok(existsSync(path.join(dir, f.src)), f.src);
    assert.equal(r.claims.length, 3);
    const orient = r.claims[0].values?.orientation as number[];
    assert.equal(orient.length, 16);
    assert.ok(orient.every((o) => o > 0 && o <= 1));
    // The third row restates the first two rows' fractions: one run, one set of numbers.
    assert.equal(r.claims[2].values?.sdae, r.claims[0].values?.gaborFraction);
    assert.equal(r.claims[2].values?.rbm, r.claims[1].values?.gaborFraction);
    assert.ok(r.size.some((s) => /1,500 whitened 12×12 patches/.test(s)));
  });
});
