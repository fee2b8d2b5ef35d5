/** The concept registry: every method found by name, and what a method needs refused before any work. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';
import { CONCEPT_METHODS, conceptMethod, concepts } from './registry.js';

describe('concept registry', () => {
  it('lists each method once, with its facts', () => {
    assert.deepEqual(
      CONCEPT_METHODS.map((m) => m.name),
      ['craft', 'dff', 'tcav', 'sae'],
    );
    for (const m of CONCEPT_METHODS) assert.match(m.paper, /\d{4}/);
    assert.equal(conceptMethod('tcav').folders, true);
    assert.throws(() => conceptMethod('ace'), /unknown method 'ace'; known: craft, dff, tcav, sae/);
  });

  it('refuses a missing class, missing folders and an unknown option in one line, before touching the model', () => {
    const model = {} as VisModel;
    const data = {} as ImageSet;
    assert.throws(() => concepts(model, data, 'craft'), /craft explains a class: give --class/);
    assert.throws(
      () => concepts(model, data, 'tcav', { classIndex: 0 }),
      /tcav needs concept folders/,
    );
    assert.throws(
      () => concepts(model, data, 'dff', { options: { runs: 3 } }),
      /unknown option 'runs'; known: k, images/,
    );
    assert.throws(
      () => concepts(model, data, 'craft', { classIndex: 0, options: { designs: 1 } }),
      /designs must be at least 2; got 1/,
    );
  });
});
