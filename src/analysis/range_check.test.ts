/**
 * The input check on a nearest-centre classifier worked out by hand: 3×3 grey images of one level
 * each (0.1, 0.35, 0.6, 0.85 for classes 0–3), logits T·(2·c_k·x̄ − c_k²), so the argmax is the
 * centre c_k nearest the mean pixel the network sees.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { InputOverrides } from '../model/types.js';
import { noLeaks, setup } from '../../test/helpers.js';
import { checkInputRange } from './range_check.js';

before(() => setup('wasm'));

const LEVELS = [0.1, 0.35, 0.6, 0.85];
// The levels' mean and (population) std: 0.475 and √0.078125.
const SD = Math.sqrt(0.078125);

function nearestCentre(centres: number[], overrides: InputOverrides, t = 1) {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [3, 3, 1], name: 'flat' }));
  const w = Array.from({ length: 9 }, () => centres.map((c) => (t * 2 * c) / 9));
  m.add(
    tf.layers.dense({
      units: centres.length,
      name: 'logits',
      weights: [tf.tensor2d(w), tf.tensor1d(centres.map((c) => -t * c * c))],
    }),
  );
  return fromLayersModel(m, overrides);
}

/** Two images per level, in [0, 1]; labelled unless told. */
function toy(labelled = true): ImageSet {
  const levels = [...LEVELS, ...LEVELS];
  return {
    name: 'toy',
    images: Float32Array.from(levels.flatMap((v) => Array<number>(9).fill(v))),
    labels: labelled ? Int32Array.from(levels.map((_, i) => i % 4)) : null,
    shape: [3, 3, 1],
    count: 8,
    classNames: null,
  };
}

describe('checkInputRange', () => {
  it('labelled: a wrong range gets the range that keeps the accuracy (25% → 100% at 0…1)', async () => {
    const model = nearestCentre(LEVELS, { range: [0, 255] });
    const r = await noLeaks(() => checkInputRange(model, toy(), 'toy'));
    // At 0…255 every mean is nearest 0.85; at −1…1 only 0.1 → −0.8 is right; by the data set's
    // mean and std the levels become ±0.447, ±1.342: 0.1 and 0.85 right.
    assert.equal(r!.accuracy, 0.25);
    assert.deepEqual(
      r!.alternatives.map((a) => [a.range, a.normalize?.name ?? null, a.accuracy]),
      [
        [[0, 1], null, 1],
        [[-1, 1], null, 0.25],
        [[0, 255], "the data set's", 0.5],
      ],
    );
    assert.equal(
      r!.warning,
      `fed at 0…255, the model gets 25.0% of toy's first 8 images right (chance 25.0%); at 0…1 it gets 100.0%: it likely expects 0,1 (--input-range 0,1, or "inputRange": [0, 1] in deepvis.json)`,
    );
  });

  it('labelled: a model trained on normalized inputs, fed without --mean/--std, gets them named', async () => {
    const centres = LEVELS.map((c) => (c - 0.475) / SD);
    const r = checkInputRange(nearestCentre(centres, { range: [0, 1] }), toy(), 'toy');
    // Fed raw, every level but 0.1 is nearest +0.447 (class 2): 25%.
    assert.equal(r!.accuracy, 0.25);
    assert.equal(
      r!.warning,
      `fed at 0…1, the model gets 25.0% of toy's first 8 images right (chance 25.0%); at 0…1 normalized by the data set's mean 0.475 and std 0.28 it gets 100.0%: it likely expects inputs normalized by the data set's mean and std (--mean 0.475 --std 0.28, or "mean": [0.475], "std": [0.28] in deepvis.json)`,
    );
    // Given them, it is quiet; and a model fed right is quiet.
    const fixed = nearestCentre(centres, { range: [0, 1], mean: [0.475], std: [SD] });
    assert.equal(checkInputRange(fixed, toy(), 'toy')!.accuracy, 1);
    assert.equal(checkInputRange(fixed, toy(), 'toy')!.warning, null);
    assert.equal(
      checkInputRange(nearestCentre(LEVELS, { range: [0, 1] }), toy(), 'toy')!.warning,
      null,
    );
  });

  it('unlabelled: the prediction entropies name the range (one class for all at 0…255, four at 0…1)', () => {
    const model = nearestCentre(LEVELS, { range: [0, 255] }, 200);
    const r = checkInputRange(model, toy(false), 'toy');
    assert.equal(r!.accuracy, null);
    assert.equal(r!.current.classes, 1);
    assert.ok(r!.current.information < 1e-3, `${r!.current.information}`);
    const at01 = r!.alternatives.find((a) => a.range[1] === 1 && a.range[0] === 0 && !a.normalize)!;
    // Two images per class, each confidently right: H(mean p) = ln 4, mean H(p) ≈ 0.
    assert.equal(at01.classes, 4);
    assert.ok(Math.abs(at01.information - Math.log(4)) < 1e-3, `${at01.information}`);
    assert.match(
      r!.warning!,
      /^fed at 0…255, the model predicts 1 class at a mean prediction entropy of [\d.e-]+ nats for toy's first 8 unlabelled images; at 0…1 it predicts 4 classes at a mean prediction entropy of [\d.e-]+ nats \(1\.39 vs [\d.e-]+ nats of class information, at most 1\.39\): it likely expects 0,1 \(--input-range 0,1, or "inputRange": \[0, 1\] in deepvis\.json\)$/,
    );
    // Fed right: quiet.
    const right = nearestCentre(LEVELS, { range: [0, 1] }, 200);
    assert.equal(checkInputRange(right, toy(false), 'toy')!.warning, null);
    // A folder of one class fed right: every setting predicts one class (0 nats): quiet.
    const ones = { ...toy(false), images: new Float32Array(72).fill(0.35) };
    const r1 = checkInputRange(right, ones, 'ones')!;
    assert.deepEqual([r1.current.classes, ...r1.alternatives.map((x) => x.classes)], [1, 1, 1, 1]);
    assert.equal(r1.warning, null);
  });

  it('a model whose output is not one score per class is not checked (an autoencoder)', () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [3, 3, 1] }));
    m.add(tf.layers.dense({ units: 9 }));
    assert.equal(checkInputRange(fromLayersModel(m, { range: [0, 1] }), toy(false), 'toy'), null);
  });
});
