/** The layer page shows MaCo's image where the network finds it more natural than Lucid's (issue 17, item 5). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headlineKind, type SiteInput } from './pages.js';

const q = (unit: number, plausibility: number | null) => ({
  unit,
  relativeActivation: 0.5,
  plausibility,
  pathScore: 0.2,
});
const site = (methods: string[]) =>
  ({
    plan: {
      methodsOf: { conv3: methods },
      // conv3 is not a first layer: no centre-neuron headline.
      centre: [],
      groups: [{ layer: 'conv3', units: [0, 1, 2], seed: 1, ordinal: 0 }],
    },
    vis: new Map([
      [
        'conv3/0',
        {
          lucid: { data: { quality: [q(0, 2.0), q(1, 0.8), q(2, null)] } },
          maco: { data: { quality: [q(0, 1.1), q(1, 1.5), q(2, 0.1)] } },
        },
      ],
    ]),
  }) as unknown as SiteInput;

describe('headline image of a unit', () => {
  it('is MaCo where its plausibility distance is lower, the first method elsewhere or when unscored', () => {
    const s = site(['lucid', 'erhan', 'maco']);
    assert.deepEqual(
      [0, 1, 2].map((u) => headlineKind(s, 'conv3', u)),
      ['maco', 'lucid', 'lucid'],
    );
  });
  it('is the first method on a layer without MaCo', () => {
    assert.equal(headlineKind(site(['lucid', 'erhan']), 'conv3', 0), 'lucid');
  });
});
