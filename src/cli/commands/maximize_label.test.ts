/** A maximize tile's label comes from the same diagnosis as the printed text (issue 30: "DEAD" beside "fires only in places"). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VisModel } from '../../model/types.js';
import { tileLabel } from './maximize.js';

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
