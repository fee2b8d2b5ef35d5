/**
 * Tests of meaning for the black-box family, on hand-built models whose answers are known:
 * KernelSHAP's values sum to f(x) − f(∅) (efficiency) and, with few features, are the exact
 * Shapley values (brute force over every coalition); feature ablation gives each feature its own
 * drop; LIME ranks the one feature a linear model reads first; RISE, Sobol and HSIC peak on the one
 * region a model reads; the Sobol' sequence is scipy's; SLIC gives connected segments near the
 * requested count; a sample count past the memory budget and a mis-sized feature mask are one line.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { noLeaks, setup, values } from '../../test/helpers.js';
import { memoryBudget, setMemoryBudget } from '../engine/memory.js';
import { DeepvisError } from '../errors.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget } from '../objectives/target.js';
import { attribute } from './attribute.js';
import { perImage } from './black_box.js';
import { outputScores } from './chunks.js';
import { kernelShap } from './kernel_shap.js';
import { gridSegments, slic } from './segments.js';
import { SOBOL_CHECK } from './sobol_directions.js';
import { sobolPoints } from './sobol.js';

before(() => setup('wasm'));

const S = 8;

/** logits = [Σ w·x over `region` (plus a product term when `interact`), 0]: a model that reads one region. */
function regionModel(region: (y: number, x: number) => number, interact = false): VisModel {
  const input = tf.input({ shape: [S, S, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const w = Float32Array.from({ length: S * S * 2 }, (_, k) =>
    k % 2 === 0 ? region(Math.floor(k / 2 / S), (k / 2) % S) : 0,
  );
  let logits = tf.layers
    .dense({
      units: 2,
      weights: [tf.tensor2d(w, [S * S, 2]), tf.zeros([2])],
      name: interact ? 'lin' : 'logits',
    })
    .apply(flat) as tf.SymbolicTensor;
  if (interact) {
    // A ReLU of the linear read makes features interact (Shapley values are then not the linear contributions).
    const r = tf.layers.reLU().apply(
      tf.layers
        .dense({
          units: 2,
          weights: [
            tf.tensor2d([
              [1.5, 0],
              [0, 1],
            ]),
            tf.tensor1d([-0.6, 0]),
          ],
        })
        .apply(logits) as tf.SymbolicTensor,
    ) as tf.SymbolicTensor;
    logits = tf.layers.add({ name: 'logits' }).apply([logits, r]) as tf.SymbolicTensor;
  }
  return fromLayersModel(tf.model({ inputs: input, outputs: logits }), { range: [0, 1] });
}

const img = () =>
  tf.tensor4d(
    values(S * S, 4).map((v) => 0.5 + 0.4 * v),
    [1, S, S, 1],
  );
const topLeft = (y: number, x: number) => (y < 4 && x < 4 ? 1 : 0);

describe('black-box attributions: tests of meaning', () => {
  it('KernelSHAP: exact Shapley values with few features (brute force), and efficiency when sampled', () => {
    const model = regionModel((y, x) => (y < 4 ? 0.8 : -0.3) * (x < 4 ? 1 : 0.5), true);
    const x = img();
    const t = resolveTarget(model, x, { units: [0] });
    const seg = gridSegments(S, S, 4);
    const exact = perImage({ model, x, target: t, options: {}, seed: 0 }, (job) => {
      const phi = kernelShap(job, seg, 100, 1);
      // Brute force: φ_j = Σ_S |S|!(M−|S|−1)!/M! (f(S ∪ j) − f(S)).
      const f = (mask: number) =>
        job.score(1, (_, dst) => {
          for (let p = 0; p < S * S; p++)
            dst[p] = (mask >> seg.labels[p]) & 1 ? job.pixels[p] : job.base;
        })[0];
      const fact = [1, 1, 2, 6, 24];
      for (let j = 0; j < 4; j++) {
        let v = 0;
        for (let s = 0; s < 16; s++)
          if (!((s >> j) & 1)) {
            const k = [0, 1, 2, 3].filter((b) => (s >> b) & 1).length;
            v += ((fact[k] * fact[3 - k]) / fact[4]) * (f(s | (1 << j)) - f(s));
          }
        assert.ok(Math.abs(phi[j] - v) <= 1e-5, `feature ${j}: KernelSHAP ${phi[j]}, Shapley ${v}`);
      }
      return new Float32Array(S * S);
    });
    exact.map.dispose();
    exact.heat?.dispose();
    const many = attribute(model, x, {
      method: 'kernel-shap',
      units: [0],
      options: { features: 'grid', segments: 16, samples: 200 },
    });
    const p = tf.tidy(() =>
      Array.from(
        outputScores(model, tf.concat([x, tf.fill([1, S, S, 1], 0)]) as tf.Tensor4D, {
          ...t,
          units: [0, 0],
        }).dataSync(),
      ),
    );
    // The map repeats each feature's value over its 4 pixels.
    const total = many.heat.reduce((a, b) => a + b, 0) / 4;
    assert.ok(Math.abs(total - (p[0] - p[1])) <= 1e-4, `Σφ ${total} vs f(x) − f(∅) ${p[0] - p[1]}`);
    x.dispose();
  });

  it('feature ablation gives each feature its own drop; LIME ranks the one read feature first', () => {
    const model = regionModel(topLeft);
    const x = img();
    const abl = attribute(model, x, {
      method: 'ablation',
      units: [0],
      options: { features: 'grid', segments: 4 },
    });
    const quadrant = (h: Float32Array, qy: number, qx: number) => h[(qy * 4 + 1) * S + qx * 4 + 1];
    assert.ok(
      quadrant(abl.heat, 0, 0) > 0.01,
      `the read quadrant's drop ${quadrant(abl.heat, 0, 0)}`,
    );
    for (const [qy, qx] of [
      [0, 1],
      [1, 0],
      [1, 1],
    ])
      assert.ok(Math.abs(quadrant(abl.heat, qy, qx)) < 1e-6, 'an unread quadrant drops nothing');
    for (const lm of ['ridge', 'lasso']) {
      const l = attribute(model, x, {
        method: 'lime',
        units: [0],
        options: { features: 'grid', segments: 4, 'linear-model': lm },
      });
      const q = [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ].map(([a, b]) => quadrant(l.heat, a, b));
      assert.equal(q.indexOf(Math.max(...q)), 0, `${lm}: ${q}`);
    }
    x.dispose();
  });

  for (const method of ['rise', 'sobol', 'hsic']) {
    it(`${method} peaks on the one region a hand-built model reads`, async () => {
      const model = regionModel((y, x) => (y >= 2 && y < 5 && x >= 4 && x < 7 ? 1.5 : 0));
      const x = img();
      const a = await noLeaks(() =>
        attribute(model, x, {
          method,
          units: [0],
          options:
            method === 'rise'
              ? { masks: 500, grid: 4 }
              : method === 'sobol'
                ? { grid: 4, designs: 32 }
                : { grid: 4, designs: 128 },
        }),
      );
      const inside = (p: number) => {
        const [y, xx] = [Math.floor(p / S), p % S];
        return y >= 2 && y < 5 && xx >= 4 && xx < 7;
      };
      const peak = a.heat.indexOf(Math.max(...a.heat));
      assert.ok(inside(peak), `${method}: peak at ${Math.floor(peak / S)},${peak % S}`);
      const mean = (f: (p: number) => boolean) => {
        const v = Array.from(a.heat).filter((_, p) => f(p));
        return v.reduce((s, q) => s + q, 0) / v.length;
      };
      // Sobol and HSIC indices are near 0 where nothing is read; RISE's floor is the least-kept pixels' score (compare with its range).
      const [m1, m0] = [mean(inside), mean((p) => !inside(p))];
      const range = Math.max(...a.heat) - Math.min(...a.heat);
      assert.ok(
        method === 'rise' ? m1 - m0 >= 0.5 * range : m1 > 4 * Math.abs(m0),
        `${method}: mean inside ${m1}, outside ${m0}, range ${range}`,
      );
      x.dispose();
    });
  }

  it("the Sobol' sequence is scipy's (Joe & Kuo's direction numbers)", () => {
    const pts = sobolPoints(256, 15);
    for (const [d, expected] of Object.entries(SOBOL_CHECK)) {
      // scipy's first point is the origin, which the attribution skips.
      expected
        .slice(1)
        .forEach((v, i) =>
          assert.equal(pts[i * 256 + Number(d)], v, `dimension ${d}, point ${i + 1}`),
        );
    }
  });

  it('SLIC gives connected segments near the requested count; the grid its cells', () => {
    const image = Float32Array.from({ length: 32 * 32 * 3 }, (_, k) => {
      const p = Math.floor(k / 3);
      return (Math.floor(p / 32) < 16 ? 0.9 : 0.1) * (k % 3 === 0 ? 1 : 0.5);
    });
    const seg = slic(image, 32, 32, 3, [0, 1], 16);
    assert.ok(seg.count >= 8 && seg.count <= 24, `${seg.count} segments for 16 asked`);
    // No segment straddles the colour edge at row 16.
    for (let l = 0; l < seg.count; l++) {
      const rows = Array.from(seg.labels).flatMap((v, p) => (v === l ? [Math.floor(p / 32)] : []));
      assert.ok(
        rows.every((r) => r < 16) || rows.every((r) => r >= 16),
        `segment ${l} crosses the edge`,
      );
    }
    assert.equal(gridSegments(8, 8, 4).count, 4);
  });

  it('a sample count past the memory budget, and a feature mask of the wrong size, are one line before any work', () => {
    const model = regionModel(topLeft);
    const x = img();
    const before = memoryBudget();
    setMemoryBudget(64 * 2 ** 20);
    try {
      assert.throws(
        () => attribute(model, x, { method: 'hsic', options: { designs: 100_000 } }),
        (e: Error) =>
          e instanceof DeepvisError &&
          /^hsic with 100,000 designs holds about 74\.6 GB; the memory budget is 64 MB — fewer --designs$/.test(
            e.message,
          ),
      );
    } finally {
      setMemoryBudget(before);
    }
    assert.throws(
      () => attribute(model, x, { method: 'ablation', featureMask: new Int32Array(10) }),
      /^DeepvisError: the feature mask has 10 labels; the input has 8×8 = 64 pixels$/,
    );
    x.dispose();
  });
});
