/**
 * Activation maximization against answers known in closed form. For a linear unit a = w·x on the
 * sphere ‖x‖ = ρ the maximizer is ρ·w/‖w‖ (Cauchy–Schwarz), from any start: every restart must
 * find it (restart correlation ≈ 1), whatever the batch it shares.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { erhan } from './erhan.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { units } from '../objectives/units.js';
import { Objective } from '../objectives/objective.js';
import { optimize } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

const W = values(6 * 6 * 3, 11);

function linearModel() {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [6, 6, 1], name: 'flat' }));
  m.add(
    tf.layers.dense({ units: 3, name: 'lin', useBias: false, weights: [tf.tensor2d(W, [36, 3])] }),
  );
  return fromLayersModel(m);
}

function column(u: number): Float32Array {
  return Float32Array.from({ length: 36 }, (_, i) => W[i * 3 + u]);
}

const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++)
    [ab, aa, bb] = [ab + a[i] * b[i], aa + a[i] * a[i], bb + b[i] * b[i]];
  return ab / Math.sqrt(aa * bb);
};

describe('Erhan activation maximization', () => {
  it('finds ρ·w/‖w‖ for linear units, from every restart, with no leaked tensor', async () => {
    const model = linearModel();
    const res = await noLeaks(() => {
      const r = erhan(model, {
        layer: 'lin',
        units: [0, 1, 2],
        restarts: 3,
        steps: 400,
        rho: 2,
        seed: 1,
      });
      const data = r.images.dataSync().slice();
      r.images.dispose();
      return { ...r, data };
    });
    for (let u = 0; u < 3; u++) {
      const img = res.data.subarray(u * 36, (u + 1) * 36);
      const w = column(u);
      assert.ok(cos(img, w) > 0.999, `unit ${u}: cos ${cos(img, w)}`);
      const norm = Math.hypot(...img);
      assert.ok(Math.abs(norm - 2) < 1e-3, `norm ${norm}`);
      // a* = ρ‖w‖
      const best = 2 * Math.hypot(...w);
      assert.ok(
        Math.abs(res.units[u].activation - best) < 0.01 * best,
        `activation ${res.units[u].activation} vs ${best}`,
      );
      assert.ok(res.units[u].restartCorrelation! > 0.99);
      assert.ok(res.units[u].steps < 400, 'converged before the step limit');
    }
  });

  it('gives the same optimum for a unit whatever else shares its batch', () => {
    const model = linearModel();
    const alone = erhan(model, {
      layer: 'lin',
      units: [1],
      restarts: 1,
      steps: 300,
      rho: 1,
      seed: 3,
    });
    const shared = erhan(model, {
      layer: 'lin',
      units: [0, 1, 2],
      restarts: 2,
      steps: 300,
      rho: 1,
      seed: 4,
    });
    const a = alone.images.dataSync();
    const b = shared.images.dataSync().slice(36, 72);
    assert.ok(cos(a, b) > 0.999);
    tf.dispose([alone.images, shared.images]);
  });

  it('rejects units out of range and neurons outside the layer by name', () => {
    const model = linearModel();
    assert.throws(
      () => erhan(model, { layer: 'lin', units: [3] }),
      /unit 3 out of range for layer 'lin', which has 3 units \(0–2\)/,
    );
    assert.throws(() => erhan(model, { layer: 'nope', units: [0] }), /unknown layer 'nope'/);
  });
});

describe('unit objective on a conv net', () => {
  it('rises within a few steps, for every item of the batch', () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        name: 'c',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    );
    const model = fromLayersModel(m);
    const obj = units(model.layer('c:pre'), [0, 1, 2, 3]);
    const p = pixels(tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 5) as tf.Tensor4D);
    const r = optimize(model, p, obj, { steps: 10, lr: 0.05 });
    const first = r.history[0];
    const last = r.history[r.history.length - 1];
    for (let i = 0; i < 4; i++)
      assert.ok(last[i] > first[i], `item ${i}: ${first[i]} → ${last[i]}`);
    // Best-so-far never falls below any score seen.
    for (let i = 0; i < 4; i++)
      assert.ok(r.scores[i] >= Math.max(...r.history.map((h) => h[i])) - 1e-6);
    r.images.dispose();
    p.dispose();
  });

  it('leaves no tensor behind when the objective throws mid-run', async () => {
    const model = linearModel();
    const p = pixels(tf.zeros([3, 6, 6, 1]) as tf.Tensor4D);
    const base = units(model.layer('lin'), [0, 1, 2]);
    let calls = 0;
    const failing = new Objective(
      base.layers,
      (a, x) => {
        if (++calls === 3) throw new Error('objective failed');
        return base.score(a, x);
      },
      'fails at step 3',
    );
    await noLeaks(() => {
      assert.throws(() => optimize(model, p, failing, { steps: 10, lr: 0.1 }), /objective failed/);
    });
    p.dispose();
  });
});
