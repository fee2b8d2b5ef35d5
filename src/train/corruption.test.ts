/**
 * Erhan et al. 2009 §2's corruption: a fixed-size subset of every example is replaced — exactly
 * round(level·d) inputs, zeroed ('mask') or set to 0/1 ('salt-pepper') — while the '-iid' kinds
 * corrupt each input independently (so the count varies). And the Gaussian-input denoising
 * autoencoder (linear decoder, squared error), by Adam and by plain SGD.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { corrupt, corruptedCount, corruptionPlan, parseCorruption } from './corruption.js';
import { trainAeLayer, encodeAll } from './autoencoder.js';
import { Rng } from '../engine/rng.js';
import { noLeaks, setup } from '../../test/helpers.js';

before(() => setup('wasm'));

function changedPerRow(before: Float32Array, after: Float32Array, d: number): number[] {
  const counts: number[] = [];
  for (let r = 0; r < before.length / d; r++) {
    let c = 0;
    for (let j = 0; j < d; j++) if (before[r * d + j] !== after[r * d + j]) c++;
    counts.push(c);
  }
  return counts;
}

describe('fixed-size corruption (Erhan et al. 2009 §2)', () => {
  it('zero-masking changes exactly round(level·d) inputs of every example, to 0', async () => {
    const d = 784;
    const x = tf.fill([32, d], 0.5) as tf.Tensor2D;
    const before = x.dataSync() as Float32Array;
    const out = await noLeaks(() => {
      const y = corrupt(x, { kind: 'mask', level: 0.25 }, 7);
      const v = y.dataSync() as Float32Array;
      y.dispose();
      return v;
    });
    assert.equal(corruptedCount(0.25, d), 196);
    assert.deepEqual(changedPerRow(before, out, d), Array(32).fill(196));
    assert.ok(out.every((v) => v === 0 || v === 0.5));
    x.dispose();
  });

  it('salt-and-pepper sets exactly round(level·d) inputs of every example to 0 or 1, both used', () => {
    const d = 145; // 0.1·145 = 14.5 → 15 (Math.round)
    const x = tf.fill([20, d], 0.5) as tf.Tensor2D;
    const y = corrupt(x, { kind: 'salt-pepper', level: 0.1 }, 3);
    const out = y.dataSync() as Float32Array;
    assert.deepEqual(changedPerRow(x.dataSync() as Float32Array, out, d), Array(20).fill(15));
    const salt = out.filter((v) => v === 1).length;
    const pepper = out.filter((v) => v === 0).length;
    assert.equal(salt + pepper, 300);
    assert.ok(salt > 100 && pepper > 100, `salt ${salt}, pepper ${pepper}`);
    tf.dispose([x, y]);
  });

  it('salt-and-pepper takes its two levels from `values` (for whitened, real-valued inputs)', () => {
    const plan = corruptionPlan(
      4,
      50,
      { kind: 'salt-pepper', level: 0.5, values: [-2, 3] },
      new Rng(1),
    );
    const fills = new Set(Array.from(plan.fill).filter((_, i) => plan.hit[i] === 1));
    assert.deepEqual([...fills].sort(), [-2, 3]);
    assert.equal(
      plan.hit.reduce((a, b) => a + b, 0),
      100,
    );
  });

  it('subsets differ between examples and seeds; the -iid kind does not fix the count', () => {
    const a = corruptionPlan(2, 100, { kind: 'mask', level: 0.3 }, new Rng(1)).hit;
    const b = corruptionPlan(2, 100, { kind: 'mask', level: 0.3 }, new Rng(2)).hit;
    assert.notDeepEqual(a.subarray(0, 100), a.subarray(100));
    assert.notDeepEqual(a, b);
    const iid = corruptionPlan(50, 100, { kind: 'mask-iid', level: 0.3 }, new Rng(1)).hit;
    const counts = Array.from({ length: 50 }, (_, r) =>
      iid.subarray(r * 100, (r + 1) * 100).reduce((s, v) => s + v, 0),
    );
    assert.ok(new Set(counts).size > 3, `iid counts ${counts}`);
    const mean = counts.reduce((s, c) => s + c, 0) / 50;
    assert.ok(Math.abs(mean - 30) < 3, `iid mean ${mean}`);
  });

  it('parses KIND:LEVEL and refuses anything else in one line', () => {
    assert.deepEqual(parseCorruption('salt-pepper:0.25'), { kind: 'salt-pepper', level: 0.25 });
    assert.deepEqual(parseCorruption('mask-iid:0.1'), { kind: 'mask-iid', level: 0.1 });
    assert.throws(
      () => parseCorruption('mask:1.5'),
      /--noise must be mask:LEVEL or salt-pepper:LEVEL/,
    );
    assert.throws(
      () => parseCorruption('blur:0.1'),
      /mask-iid:, salt-pepper-iid: per pixel\) with 0 ≤ LEVEL < 1; got 'blur:0.1'/,
    );
  });
});

describe('Gaussian-input denoising autoencoder', () => {
  // Real-valued rows of rank 2, with negative values a sigmoid decoder could never produce.
  const n = 512;
  const d = 16;
  const rng = new Rng(5);
  const data = new Float32Array(n * d);
  const u = Array.from({ length: d }, () => rng.normal());
  const v = Array.from({ length: d }, () => rng.normal());
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rng.normal();
    for (let j = 0; j < d; j++) data[i * d + j] = a * u[j] + b * v[j];
  }
  const variance = data.reduce((s, x) => s + x * x, 0) / data.length;

  for (const optimizer of ['adam', 'sgd'] as const) {
    it(`${optimizer}: squared error falls, and the linear decoder reconstructs negative values`, async () => {
      await noLeaks(() => {
        const { layer, losses } = trainAeLayer(data, d, {
          hidden: 8,
          epochs: 30,
          visible: 'gaussian',
          optimizer,
          lr: optimizer === 'adam' ? 0.01 : 0.005,
          initStd: 0.1,
          noise: { kind: 'mask', level: 0.1 },
          seed: 2,
          batchSize: 32,
        });
        // The loss is ½·Σ squared error per example; the untrained baseline is about ½·d·variance.
        assert.ok(
          losses[losses.length - 1] < 0.5 * (0.5 * d * variance),
          `${optimizer} losses ${losses[0].toFixed(2)} → ${losses[losses.length - 1].toFixed(2)}, baseline ${(0.5 * d * variance).toFixed(2)}`,
        );
        const h = encodeAll(layer, data.subarray(0, 4 * d), d);
        const rec = tf.tidy(() =>
          tf.tensor2d(h, [4, 8]).matMul(layer.W, false, true).add(layer.visibleBias).dataSync(),
        );
        assert.ok(
          rec.some((x) => x < -0.5),
          'some reconstruction is clearly negative',
        );
        tf.dispose([layer.W, layer.hiddenBias, layer.visibleBias]);
      });
    });
  }
});
