/**
 * Receptive fields of token layers (issue 24 item 2): after attention the true field is the whole
 * image at every position, so the boxes become the effective receptive field (Luo et al. 2016) and
 * say so; the patch embedding's tokens keep their exact 4×4 patches (hand-worked: a 4×4 stride-4
 * convolution on 28×28). Conv fields are checked on the trained CNNs in test/imported.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { setup } from '../../test/helpers.js';
import { loadModel } from '../io/model_files.js';
import type { VisModel } from '../model/types.js';
import { boxAt, receptiveFields } from './receptive_field.js';

describe('receptive fields of a ViT', () => {
  let vit: VisModel;
  before(async () => {
    await setup('wasm');
    vit = await loadModel('test/fixtures/onnx/trained/mnist-vit');
  });
  after(() => vit?.dispose());

  it('the patch embedding: each token its own 4×4 patch, exactly', () => {
    const rf = receptiveFields(vit, 'vit.conv_proj');
    assert.equal(rf.effective, undefined);
    assert.deepEqual(
      [rf.size, rf.stride],
      [
        [4, 4],
        [4, 4],
      ],
    );
    assert.deepEqual(boxAt(rf, 2, 5), { y0: 20, x0: 8, y1: 24, x1: 12 });
  });

  it('after attention: the effective field, smaller than the image, around the token, and said', () => {
    const before = tf.memory().numTensors;
    const rf = receptiveFields(vit, 'vit.encoder.layers.encoder_layer_3.ln_1');
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(rf.effective, { mass: 0.9 });
    const areas: number[] = [];
    for (const [x, y] of [
      [0, 0],
      [3, 3],
      [6, 6],
      [0, 6],
    ]) {
      const b = boxAt(rf, x, y);
      areas.push((b.y1 - b.y0) * (b.x1 - b.x0));
      // The centre of the token's own patch lies inside its effective field.
      assert.ok(
        b.y0 <= 4 * y + 2 && b.y1 > 4 * y + 2 && b.x0 <= 4 * x + 2 && b.x1 > 4 * x + 2,
        `token ${x},${y}: ${JSON.stringify(b)}`,
      );
    }
    assert.ok(Math.max(...areas) < 28 * 28, `areas ${areas}`);
  });
});
