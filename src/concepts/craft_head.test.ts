/**
 * CRAFT's numbers on a model whose concepts are known (test/fixtures/linear_head.ts): flat images
 * red a, green b through a copying 1×1 convolution, pooling and a dense head. Worked by hand:
 * - NMF with k = 2 finds the red and the green channel (e₁, e₂);
 * - alignment (cosine with the class's direction at the layer) = cosine with the class's weights:
 *   class 0 (weights 1, 2): red 1/√5, green 2/√5; class 1 (weights 2, 1): red 2/√5, green 1/√5;
 * - part of the logit: over the 12 images Σa = Σb = 16, so class 0's logits (a + 2b + 0.5) sum to
 *   54, red's part is 16/54 = 29.6%, green's 32/54 = 59.3%, the bias the rest; class 1's (2a + b)
 *   sum to 48: red 66.7%, green 33.3%;
 * - the Sobol total index of a concept on one image, the logit being additive in the masked
 *   coefficients (w₁·a·m₁ + w₂·b·m₂ + bias, masks uniform), is (w₁a)² / ((w₁a)² + (w₂b)²);
 *   averaged over the images, class 0: red 0.390, green 0.610 (estimated from 32 Halton designs).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { HEAD, linearHeadData, linearHeadModel, MIXES } from '../../test/fixtures/linear_head.js';
import { setup } from '../../test/helpers.js';
import type { VisModel } from '../model/types.js';
import type { ImageSet } from '../data/dataset.js';
import { craft } from './craft.js';

let model: VisModel;
let data: ImageSet;

before(async () => {
  await setup('cpu');
  model = linearHeadModel();
  data = linearHeadData();
});

describe('CRAFT on a linear head (answers by hand)', () => {
  for (const cls of [0, 1]) {
    it(`class ${cls}: red and green concepts, their alignment, part of the logit and importance`, () => {
      const before = tf.memory().numTensors;
      const r = craft(model, data, { classIndex: cls, k: 2, importanceImages: 12, seed: 0 });
      assert.equal(tf.memory().numTensors, before, 'CRAFT leaked tensors');
      const red = r.concepts.find((c) => c.direction[0] > 0.999);
      const green = r.concepts.find((c) => c.direction[1] > 0.999);
      assert.ok(red && green, `directions ${JSON.stringify(r.concepts.map((c) => c.direction))}`);
      const [wr, wg] = HEAD.weights[cls];
      const norm = Math.hypot(wr, wg);
      assert.ok(Math.abs(red.alignment! - wr / norm) < 1e-3, `red alignment ${red.alignment}`);
      assert.ok(
        Math.abs(green.alignment! - wg / norm) < 1e-3,
        `green alignment ${green.alignment}`,
      );
      const sumA = MIXES.reduce((s, [a]) => s + a, 0);
      const sumB = MIXES.reduce((s, [, b]) => s + b, 0);
      const logits = wr * sumA + wg * sumB + HEAD.bias[cls] * MIXES.length;
      const want = [(100 * wr * sumA) / logits, (100 * wg * sumB) / logits];
      assert.ok(
        Math.abs(red.logitPercent! - want[0]) < 0.2,
        `red ${red.logitPercent} vs ${want[0]}`,
      );
      assert.ok(
        Math.abs(green.logitPercent! - want[1]) < 0.2,
        `green ${green.logitPercent} vs ${want[1]}`,
      );
      const st = MIXES.map(([a, b]) => (wr * a) ** 2 / ((wr * a) ** 2 + (wg * b) ** 2));
      const stRed = st.reduce((s, v) => s + v, 0) / st.length;
      assert.ok(Math.abs(red.importance! - stRed) < 0.08, `red ${red.importance} vs ${stRed}`);
      assert.ok(
        Math.abs(green.importance! - (1 - stRed)) < 0.08,
        `green ${green.importance} vs ${1 - stRed}`,
      );
      assert.equal(red.importance! > green.importance!, stRed > 0.5);
    });
  }
});
