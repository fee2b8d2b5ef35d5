/**
 * A maximize tile's label comes from the same diagnosis as the printed text (issue 30: "DEAD" beside
 * "fires only in places"); MaCo's help states its measured cost against Lucid's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VisModel } from '../../model/types.js';
import { help, tileLabel } from './maximize.js';

const model = {
  layers: [{ name: 'conv' }, { name: 'out' }],
  logitsLayer: null,
  labels: ['cat', 'dog'],
} as unknown as VisModel;

describe('maximize tile labels', () => {
  it('say dead, local, or the class name and activation', () => {
    assert.equal(tileLabel(model, 'conv', { unit: 3, activation: -0.5 }, ['dead']), '3 dead');
    assert.equal(tileLabel(model, 'conv', { unit: 3, activation: -0.5 }, ['local']), '3 local');
    assert.equal(tileLabel(model, 'conv', { unit: 3, activation: 0.25 }, []), '3 0.250');
    assert.equal(tileLabel(model, 'out', { unit: 1, activation: 4 }, ['weak']), '1 dog 4.00');
  });
});

describe('maximize help', () => {
  it("states MaCo's measured cost against Lucid's", () => {
    const text = help(['--method', 'maco']);
    assert.match(text, /^--method maco: .*Cost: .*Lucid/m);
    // Numbers from a measurement: steps, seconds per unit and the activations reached, for both.
    const cost = /Cost: (.*)$/m.exec(text)![1];
    assert.ok((cost.match(/\d+(\.\d+)? s/g) ?? []).length >= 2, cost);
    assert.match(cost, /256 steps/);
  });
});
