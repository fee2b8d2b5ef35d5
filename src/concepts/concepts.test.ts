/**
 * Tests of meaning on the `parts` data set (classes made of known parts, test/fixtures/parts_cnn.ts):
 * CRAFT recovers each class's parts and ranks the discriminative one first; TCAV finds the true
 * concept significant and a random one not; bad input is refused in one line. Slow (a CNN trained
 * in seconds, two CRAFT runs, one TCAV run), so few.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { subset } from '../data/dataset.js';
import { partInCrop, partsDataset, type PartName } from '../data/parts.js';
import { partsCnn, type PartsFixture } from '../../test/fixtures/parts_cnn.js';
import { setup } from '../../test/helpers.js';
import { craft } from './craft.js';
import type { ImageGroup } from './method.js';
import { concepts } from './registry.js';
import type { TcavResult } from './tcav.js';

let fx: PartsFixture;

/** The part each concept's top crops come from, and the share of them that do (background counts against). */
function partsOf(
  r: ReturnType<typeof craft>,
  fixture: PartsFixture,
): Array<{ part: string; share: number; importance: number }> {
  return r.concepts.map((c) => {
    const counts = new Map<string, number>();
    for (const e of c.top) {
      const p = partInCrop(fixture.data.placed[e.index], e.box!) ?? 'background';
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    const [part, n] = [...counts].sort((a, b) => b[1] - a[1])[0];
    return { part, share: n / c.top.length, importance: c.importance! };
  });
}

describe('concepts on parts (tests of meaning)', () => {
  before(async () => {
    await setup();
    fx = await partsCnn();
    assert.ok(fx.accuracy > 0.95, `the parts CNN trains to ${fx.accuracy}`);
  });

  const cases: Array<[number, PartName, PartName]> = [
    [0, 'ring', 'cross'], // A = ring + cross; the cross is shared with B
    [1, 'stripes', 'cross'], // B = stripes + cross
  ];
  for (const [cls, discriminative, shared] of cases) {
    it(`CRAFT recovers class ${cls}'s parts (${discriminative}, ${shared}) and ranks ${discriminative} first`, () => {
      const before = tf.memory().numTensors;
      const r = craft(fx.model, fx.data, { classIndex: cls, k: 4, importanceImages: 10, seed: 0 });
      assert.equal(tf.memory().numTensors, before, 'CRAFT leaked tensors');
      const found = partsOf(r, fx);
      for (const part of [discriminative, shared]) {
        const best = Math.max(0, ...found.filter((f) => f.part === part).map((f) => f.share));
        assert.ok(
          best >= 0.8,
          `no concept with ≥ 80% of its top crops from the ${part}: ${JSON.stringify(found)}`,
        );
      }
      const first = found.reduce((a, b) => (b.importance > a.importance ? b : a));
      assert.equal(first.part, discriminative, JSON.stringify(found));
      // Importances are total Sobol indices: non-negative, and the first concept carries most of the score's variance.
      assert.ok(found.every((f) => f.importance >= 0) && first.importance > 0.5);
    });
  }

  it('TCAV: the true part is significant for its class, a random set of images is not', () => {
    const group = (name: string, part: PartName, seed: number): ImageGroup => {
      const s = partsDataset({ perClass: 30, seed, classes: [{ name, parts: [part] }] });
      return { name, images: s.images, count: s.count };
    };
    const rnd = subset(
      fx.data,
      Array.from({ length: 30 }, (_, i) => 3 * i + 100),
    );
    const groups = {
      concepts: [
        group('ring', 'ring', 5),
        { name: 'random', images: rnd.images, count: rnd.count },
      ],
    };
    const r = concepts(fx.model, fx.data, 'tcav', {
      layer: 'conv2',
      classIndex: 0,
      groups,
      seed: 0,
    }) as TcavResult;
    const [ring, random] = r.table;
    assert.equal(ring.scores.length, 10);
    assert.ok(ring.significant && ring.mean > 0.9 && ring.p < 1e-3, JSON.stringify(ring));
    assert.ok(!random.significant, JSON.stringify(random));
    assert.deepEqual(
      r.concepts.map((c) => c.name),
      ['ring', 'random'],
    );
    assert.ok(r.concepts[0].top.length > 0 && r.concepts[0].bottom!.length > 0);
    const empty = { name: 'empty', images: new Float32Array(0), count: 0 };
    assert.throws(
      () =>
        concepts(fx.model, fx.data, 'tcav', {
          layer: 'conv2',
          classIndex: 0,
          groups: { concepts: [empty] },
        }),
      /concept folder 'empty' has 0 images; TCAV needs at least 2/,
    );
  });

  it('refuses a layer with negative activations, too few class images and k past the width, each in one line', () => {
    assert.throws(
      () => craft(fx.model, fx.data, { classIndex: 0, layer: 'conv3:pre', k: 4 }),
      /CRAFT needs non-negative activations; layer 'conv3:pre' goes down to -[\d.e-]+: use a layer after a ReLU \(e\.g\. --layer conv3\)/,
    );
    const few = subset(fx.data, [0, 1, 2, 3, 4, 5, 6, 7, 8]); // class 0: images 0, 3, 6
    assert.throws(
      () => craft(fx.model, few, { classIndex: 0, k: 4 }),
      /class 0 \(A\) has 3 images in 'parts'; CRAFT needs at least 10/,
    );
    assert.throws(
      () => craft(fx.model, fx.data, { classIndex: 0, k: 30 }),
      /--k 30 is larger than the width of layer 'conv3' \(24 channels\)/,
    );
    assert.throws(
      () => concepts(fx.model, fx.data, 'dff', { options: { k: 25 } }),
      /--k 25 is larger than the width of layer 'conv3'/,
    );
  });
});
