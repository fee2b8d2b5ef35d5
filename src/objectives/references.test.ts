/**
 * The parsed references: a layer's pre-activation (LayerRef, the one reading of ':pre' and the
 * pre-activation rule), unit lists, and the one neuron vocabulary (center | max | x,y).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findLayer, optimizedLayer, parseRef, refName } from '../model/layer_lookup.js';
import type { LayerInfo } from '../model/types.js';
import { centreNeuron, parseNeuron, strongestNeuron } from './neuron.js';
import { parseUnits } from './units.js';

const conv: LayerInfo = {
  name: 'conv',
  index: 0,
  kind: 'Conv2D',
  outputShape: [5, 7, 4],
  units: 4,
  activation: 'relu',
} as LayerInfo;
const soft: LayerInfo = {
  name: 'probs',
  index: 1,
  kind: 'Dense',
  outputShape: [3],
  units: 3,
  activation: 'softmax',
} as LayerInfo;
const find = (r: string) => findLayer([conv, soft], r);

describe('references', () => {
  it("LayerRef: ':pre' read once; the pre-activation is climbed for monotonic activations only", () => {
    assert.deepEqual(parseRef('conv:pre'), { name: 'conv', pre: true });
    assert.deepEqual(parseRef('a/b/conv'), { name: 'a/b/conv', pre: false });
    assert.equal(refName({ name: 'conv', pre: true }), 'conv:pre');
    assert.equal(optimizedLayer(find, 'conv').name, 'conv:pre');
    assert.equal(optimizedLayer(find, 'conv:pre').name, 'conv:pre');
    assert.equal(optimizedLayer(find, 'conv', 'no').name, 'conv');
    assert.equal(optimizedLayer(find, 'probs').name, 'probs');
    assert.equal(optimizedLayer(find, 'probs', 'yes').name, 'probs:pre');
  });

  it('units: ranges and lists, checked against the layer, with a limit', () => {
    assert.deepEqual(parseUnits('0-2, 3', conv), [0, 1, 2, 3]);
    assert.deepEqual(parseUnits('all', soft), [0, 1, 2]);
    assert.throws(
      () => parseUnits('2-9', conv),
      /^DeepvisError: unit 9 out of range for layer 'conv', which has 4 units \(0–3\)$/,
    );
    assert.throws(() => parseUnits('x', conv), /units: 'x' is not a number or a range like 0-7/);
    assert.throws(() => parseUnits('0-3', conv, 2), /units: give 1 to 2 units/);
  });

  it('neurons: center | max | x,y; the centre of a 7×5 map is (3, 2); the strongest position of a channel', () => {
    assert.equal(parseNeuron('center'), 'center');
    assert.equal(parseNeuron('max'), 'max');
    assert.deepEqual(parseNeuron('3,2'), [3, 2]);
    assert.throws(
      () => parseNeuron('middle'),
      /^DeepvisError: --neuron must be center, max or x,y; got 'middle'$/,
    );
    assert.deepEqual(centreNeuron(conv), [3, 2]);
    assert.throws(
      () => centreNeuron(soft),
      /a neuron needs a convolutional layer; 'probs' is flat/,
    );
    // Map 2×3, 2 channels; channel 1 peaks at (x 2, y 1) in image 1, channel 0 at (0, 0) in image 0.
    const values = new Float32Array(2 * 6 * 2);
    values[0] = 5;
    values[6 * 2 + (1 * 3 + 2) * 2 + 1] = 4;
    assert.deepEqual(strongestNeuron(values, [2, 3, 2], 0, 0), [0, 0]);
    assert.deepEqual(strongestNeuron(values, [2, 3, 2], 1, 1), [2, 1]);
  });
});
