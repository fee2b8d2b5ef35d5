import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fromLayersModel } from './layers_adapter.js';
import { bytesPerImage, fixedBytes, floatsPerImage, imagesThatFit, weightBytes } from './memory.js';

describe('memory estimate', () => {
  // Input [4, 4, 1] → flatten (16) → dense (2): 16 + 16 + 2 floats per image; 16·2 + 2 weights.
  const m = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [4, 4, 1], name: 'f' }),
      tf.layers.dense({ units: 2, name: 'out' }),
    ],
  });
  const model = fromLayersModel(m, { range: [0, 1] });
  const MB = 2 ** 20;

  it('counts floats, weights, per-image and fixed bytes as worked out by hand', () => {
    assert.equal(floatsPerImage(model), 34);
    assert.equal(weightBytes(model), 136);
    // Gradient: 0.7 of the 18 layer floats + 6 input copies of 16, in bytes: (12.6 + 96) · 4.
    assert.ok(Math.abs(bytesPerImage(model) - 434.4) < 1e-9);
    // Forward: the largest output (16) + 3 input copies, · 4.
    assert.equal(bytesPerImage(model, 'out', false), 256);
    assert.equal(fixedBytes(model), 2 * 136 + 64 * MB);
  });

  it('fits images into 95% of the budget after what the process holds and the fixed cost', () => {
    // (0.95 · 100 MB − 0 − (272 + 64 MB)) / 434.4 = 74,828.x
    assert.equal(imagesThatFit(model, 100 * MB, { resident: 0 }), 74_828);
    assert.equal(imagesThatFit(model, 100 * MB, { resident: 0, copies: 4 }), 18_707);
    // 30 MB already resident: 1,048,304 bytes left → 2,413 images.
    assert.equal(imagesThatFit(model, 100 * MB, { resident: 30 * MB }), 2_413);
    // Nothing left: still one (a single image is refused by the checks, not split).
    assert.equal(imagesThatFit(model, 100 * MB, { resident: 200 * MB }), 1);
  });
});
