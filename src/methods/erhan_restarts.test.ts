/**
 * Erhan et al. 2009 §6.1 defaults and evidence: 9 restarts per unit; every restart's image kept in
 * unit-major order, the best one identical to the image the method keeps, and the reported
 * similarity recomputable from those images. §4 sampling: one chain per unit, sampled every
 * `every` Gibbs iterations — checked by taking a one-step-spaced chain and a three-step-spaced one
 * from the same seed (a layer-1 DBN draws no extra random numbers when it samples, so the chains
 * are the same chain): the second's samples are the first's iterations 3, 6, 9, 12.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildStackModel } from '../train/stack.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { erhan, erhanParams } from './erhan.js';
import { correlation } from './restarts.js';
import { sampleDbnUnits } from './dbn_sample.js';
import { maxAbsDiff, noLeaks, setup } from '../../test/helpers.js';

before(() => setup('wasm'));

/** A random-weight 2-layer DBN on 6×6 inputs, with the metadata sampling reads. */
function tinyDbn(seed = 1) {
  const m = buildStackModel([6, 6, 1], [8, 5], null, null, seed);
  const stack = {
    kind: 'dbn',
    layers: [8, 5],
    pretrained: true,
    visible: 'binary',
    visibleBiases: [new Array(36).fill(-0.5), new Array(8).fill(0.1)],
  };
  m.setUserDefinedMetadata({
    deepvis: { inputRange: [0, 1], channelOrder: 'gray', imageShape: [6, 6, 1], stack },
  });
  return fromLayersModel(m);
}

describe('erhan restarts (§6.1)', () => {
  it('defaults to 9 random restarts per unit', () => {
    assert.equal(erhanParams(tinyDbn(), { layer: 'h2', units: [0] }).restarts, 9);
  });

  it('keeps every restart, unit-major, with the best one and the correlation consistent', async () => {
    const model = tinyDbn();
    await noLeaks(() => {
      const r = erhan(model, {
        layer: 'h2',
        units: [0, 3],
        restarts: 4,
        steps: 30,
        keepRestarts: true,
        seed: 2,
      });
      assert.deepEqual(r.restartImages!.shape, [8, 6, 6, 1]);
      const all = r.restartImages!.dataSync();
      const best = r.images.dataSync();
      r.units.forEach((u, k) => {
        const row = (i: number) => all.slice((k * 4 + i) * 36, (k * 4 + i + 1) * 36);
        const b = u.restartActivations.indexOf(Math.max(...u.restartActivations));
        assert.ok(
          maxAbsDiff(row(b), best.slice(k * 36, (k + 1) * 36)) < 1e-6,
          `unit ${u.unit}: best restart is the kept image`,
        );
        let [sum, pairs] = [0, 0];
        for (let a = 0; a < 4; a++)
          for (let c = a + 1; c < 4; c++, pairs++) sum += correlation(row(a), row(c));
        assert.ok(Math.abs(sum / pairs - u.restartCorrelation!) < 1e-6);
      });
      // Without the option nothing extra is returned (and nothing leaks).
      const plain = erhan(model, { layer: 'h2', units: [0], restarts: 2, steps: 5 });
      assert.equal(plain.restartImages, undefined);
      tf.dispose([r.images, r.restartImages!, plain.images]);
    });
  });
});

describe('clamped sampling runs one chain per unit (Erhan et al. 2009 §4, §6.1)', () => {
  it('takes sample k after iteration (k+1)·every of the same chain', async () => {
    const model = tinyDbn(3);
    await noLeaks(() => {
      const dense = sampleDbnUnits(model, {
        layer: 'h1',
        units: [2, 5],
        samples: 12,
        every: 1,
        seed: 7,
      });
      const sparse = sampleDbnUnits(model, {
        layer: 'h1',
        units: [2, 5],
        samples: 4,
        every: 3,
        seed: 7,
      });
      assert.deepEqual(sparse.takenAt, [3, 6, 9, 12]);
      assert.deepEqual(
        dense.takenAt,
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      const d = dense.samples.dataSync();
      const s = sparse.samples.dataSync();
      for (let k = 0; k < 2; k++) {
        for (let i = 0; i < 4; i++) {
          const got = s.slice((k * 4 + i) * 36, (k * 4 + i + 1) * 36);
          const want = d.slice((k * 12 + 3 * i + 2) * 36, (k * 12 + 3 * i + 3) * 36);
          assert.ok(
            maxAbsDiff(got, want) < 1e-6,
            `unit ${k} sample ${i} is iteration ${3 * (i + 1)}`,
          );
        }
      }
      // Successive samples of one chain are different states (the chain moves).
      assert.ok(maxAbsDiff(d.slice(0, 36), d.slice(36 * 11, 36 * 12)) > 1e-3);
      tf.dispose([dense.samples, dense.means, sparse.samples, sparse.means]);
    });
  });

  it('defaults to every 100 iterations on a deeper layer; independent chains stay available', async () => {
    const model = tinyDbn(4);
    await noLeaks(() => {
      const one = sampleDbnUnits(model, { layer: 'h2', units: [1], samples: 3, seed: 1 });
      assert.deepEqual(one.takenAt, [100, 200, 300]);
      assert.deepEqual(one.samples.shape, [3, 6, 6, 1]);
      const ind = sampleDbnUnits(model, {
        layer: 'h2',
        units: [1, 2],
        samples: 3,
        chains: 'independent',
        gibbs: 20,
        seed: 1,
      });
      assert.deepEqual(ind.takenAt, [20, 20, 20]);
      assert.deepEqual(ind.samples.shape, [6, 6, 6, 1]);
      // The mean is the mean of the unit's samples.
      const s = ind.samples.dataSync();
      const m = ind.means.dataSync();
      const mean0 = Array.from({ length: 36 }, (_, p) => (s[p] + s[36 + p] + s[72 + p]) / 3);
      assert.ok(maxAbsDiff(mean0, m.slice(0, 36)) < 1e-6);
      tf.dispose([one.samples, one.means, ind.samples, ind.means]);
    });
  });
});
