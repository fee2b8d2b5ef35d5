/**
 * The metrics of Quantus's categories against hand computations: the localisation scores on a map
 * and mask worked out by hand; the Gini index and entropy of known vectors; scikit-image's SSIM and
 * numpy's histogram entropy (values computed with Debian's scikit-image and scipy); on a linear
 * model, Gradient × Input's faithfulness correlation is 1 (a subset's heat sum is exactly the logit's
 * drop when black is 0) and saliency's local Lipschitz estimate is 0 (its map does not move);
 * pixel flipping's curve starts at the class probability and ends at the all-black image's; an
 * explainer blind to the class and the weights scores SSIM 1 on random logit, |ρ| 1 on smooth MPRT
 * and 0 on efficient MPRT; evaluate refuses localisation metrics without masks in one line.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { setup, values } from '../../test/helpers.js';
import { attribute } from '../attribution/attribute.js';
import { outputScores } from '../attribution/chunks.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget } from '../objectives/target.js';
import { complexityMetric, entropy, gini } from './complexity.js';
import { evaluateAttributions } from './evaluate.js';
import { faithfulnessCorrelation, pixelFlipping } from './faithfulness.js';
import { localLipschitz } from './lipschitz.js';
import { localisation } from './localisation.js';
import type { Explainer, MetricContext } from './metric_context.js';
import { efficientMprt, histogramEntropy, randomLogit, smoothMprt, ssim1d } from './sanity.js';

before(() => setup('wasm'));

function linear(): VisModel {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [6, 6, 1] }));
  m.add(
    tf.layers.dense({
      units: 3,
      useBias: false,
      kernelInitializer: tf.initializers.randomNormal({ seed: 3 }),
      name: 'logits',
    }),
  );
  return fromLayersModel(m, { range: [0, 1] });
}

const ctxOf = (
  model: VisModel,
  x: tf.Tensor4D,
  heat: Float32Array,
  extra: Partial<MetricContext> = {},
): MetricContext => {
  const t = resolveTarget(model, x, {});
  return { model, x, t, maps: { values: heat, heat }, seed: 1, ...extra };
};

describe("Quantus's categories, by hand", () => {
  it('localisation: pointing game, relevance mass and rank', () => {
    const model = linear();
    const x = tf.zeros([2, 6, 6, 1]) as tf.Tensor4D;
    const heat = new Float32Array(72);
    const mask = new Uint8Array(72);
    // Image 0: mask = the top-left 2×2; heat 4 at (0,0) (inside), 3 at (5,5), 1 at (0,1) (inside): mass 5/8, rank: top-4 hold 2 of 4.
    for (const p of [0, 1, 6, 7]) mask[p] = 1;
    heat[0] = 4;
    heat[35] = 3;
    heat[1] = 1;
    // Image 1: the peak outside the mask; an empty mask would be NaN.
    mask[36 + 10] = 1;
    heat[36 + 20] = 2;
    heat[36 + 10] = 1;
    const ctx = ctxOf(model, x, heat, { masks: mask });
    assert.deepEqual(localisation(ctx, 'pointing-game').scores, [1, 0]);
    assert.deepEqual(localisation(ctx, 'relevance-mass').scores, [5 / 8, 1 / 3]);
    assert.deepEqual(localisation(ctx, 'relevance-rank').scores, [2 / 4, 0]);
    assert.ok(
      Number.isNaN(localisation({ ...ctx, masks: new Uint8Array(72) }, 'pointing-game').scores[0]),
    );
    x.dispose();
  });

  it('complexity: the Gini index and the entropy', () => {
    assert.ok(Math.abs(gini([0, 0, 0, 1]) - 0.75) < 1e-5, `${gini([0, 0, 0, 1])}`);
    assert.ok(Math.abs(gini([1, 1, 1, 1])) < 1e-6);
    assert.ok(Math.abs(entropy([1, 1, 1, 1]) - Math.log(4)) < 1e-9);
    const model = linear();
    const x = tf.zeros([1, 6, 6, 1]) as tf.Tensor4D;
    const one = new Float32Array(36);
    one[3] = -2;
    assert.ok(
      Math.abs(complexityMetric(ctxOf(model, x, one), 'complexity').scores[0]) < 1e-9,
      'a single pixel has entropy 0',
    );
    x.dispose();
  });

  it("scikit-image's SSIM and numpy's histogram entropy", () => {
    const a = Array.from({ length: 40 }, (_, i) => ((i * 37) % 11) / 10);
    const b = Array.from({ length: 40 }, (_, i) => ((i * 53 + 7) % 13) / 12);
    assert.ok(Math.abs(ssim1d(a, b) - 0.06205229148711483) < 1e-12, `${ssim1d(a, b)}`);
    assert.ok(Math.abs(histogramEntropy(a) - 2.3888897147295802) < 1e-9, `${histogramEntropy(a)}`);
  });

  it("faithfulness on a linear model: G×I correlates 1 with the logit's drop; pixel flipping runs from p(x) to p(black)", () => {
    const model = linear();
    const x = tf.tensor4d(
      values(2 * 36, 2).map((v) => (v + 1) / 2),
      [2, 6, 6, 1],
    );
    // A black pixel in each image, so the image's minimum (Quantus's black) is 0.
    const xv = x.dataSync().slice();
    xv[0] = 0;
    xv[36] = 0;
    const xb = tf.tensor4d(xv, [2, 6, 6, 1]);
    const t = resolveTarget(model, xb, {});
    const gxi = attribute(model, xb, { method: 'gradient-input', units: t.units });
    const ctx: MetricContext = {
      model,
      x: xb,
      t,
      maps: { values: gxi.values, heat: gxi.heat },
      seed: 2,
    };
    faithfulnessCorrelation(ctx, { subset: 8 }).scores.forEach((r) =>
      assert.ok(Math.abs(r - 1) < 1e-5, `r = ${r}`),
    );
    const flip = pixelFlipping(ctx, { step: 5 });
    const ends = tf.tidy(() =>
      Array.from(
        outputScores(model, tf.concat([xb, tf.zerosLike(xb)]) as tf.Tensor4D, {
          ...t,
          units: [...t.units, ...t.units],
        }).dataSync(),
      ),
    );
    flip.curves!.forEach((c, i) => {
      assert.equal(c.length, Math.ceil(36 / 5) + 1);
      assert.ok(Math.abs(c[0] - ends[i]) < 1e-6 && Math.abs(c[c.length - 1] - ends[2 + i]) < 1e-6);
    });
    const saliency: Explainer = (m, xi, ti) => {
      const a = attribute(m, xi, { method: 'saliency', units: ti.units });
      return { values: a.values, heat: a.heat };
    };
    const s = attribute(model, xb, { method: 'saliency', units: t.units });
    assert.deepEqual(
      localLipschitz({ ...ctx, maps: { values: s.values, heat: s.heat } }, saliency, { samples: 3 })
        .scores,
      [0, 0],
    );
    tf.dispose([x, xb]);
  });

  it('randomisation: an explainer blind to the class and the weights fails every check', () => {
    const model = linear();
    const x = tf.tensor4d(
      values(36, 5).map((v) => (v + 1) / 2),
      [1, 6, 6, 1],
    );
    const fixed = Float32Array.from(values(36, 8));
    const blind: Explainer = () => ({ values: fixed, heat: fixed });
    const ctx = ctxOf(model, x, fixed);
    assert.ok(Math.abs(randomLogit(ctx, blind).scores[0] - 1) < 1e-9);
    assert.ok(Math.abs(smoothMprt(ctx, blind, { samples: 3 }).scores[0] - 1) < 1e-9);
    assert.equal(efficientMprt(ctx, blind).scores[0], 0);
    x.dispose();
  });

  it('evaluate: localisation without masks, or masks of the wrong size, is one line', () => {
    const model = linear();
    const x = tf.zeros([2, 6, 6, 1]) as tf.Tensor4D;
    assert.throws(
      () =>
        evaluateAttributions(model, x, {
          methods: ['saliency'],
          metrics: ['pointing-game', 'sparseness'],
        }),
      /^DeepvisError: pointing-game score maps against ground-truth masks; give --masks DIR$/,
    );
    assert.throws(
      () =>
        evaluateAttributions(model, x, {
          methods: ['saliency'],
          metrics: ['relevance-mass'],
          masks: new Uint8Array(10),
        }),
      /^DeepvisError: the masks hold 10 pixels; 2 inputs of 6×6 need 72$/,
    );
    const r = evaluateAttributions(model, x, {
      methods: ['saliency'],
      metrics: ['pointing-game', 'sparseness'],
      masks: new Uint8Array(72).fill(1),
    });
    assert.deepEqual(r.scores.saliency['pointing-game'], [1, 1]);
    x.dispose();
  });
});
