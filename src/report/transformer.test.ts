/**
 * The transformer pages on the trained MNIST ViT: a page per block and per class, linked from the
 * model page, and the class maps' numbers in range (attention_stats.test.ts checks them by hand).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { subset } from '../data/dataset.js';
import { loadEvalSet } from '../data/load.js';
import { setup } from '../../test/helpers.js';
import { loadModel } from '../io/model_files.js';
import { computeTransformerAtlas, transformerPages } from './transformer.js';

describe('transformer atlas on the trained MNIST ViT', () => {
  before(() => setup('wasm'));
  it('a page per block and per class, linked from the model page; maps concentrate more than a flat map', async () => {
    const model = await loadModel('test/fixtures/onnx/trained/mnist-vit');
    const set = subset(
      await loadEvalSet('mnist', [28, 28, 1]),
      Array.from({ length: 60 }, (_, i) => i),
    );
    const before = tf.memory().numTensors;
    const { data, images } = computeTransformerAtlas(model, set, {
      samples: 3,
      perClass: 2,
      classes: 3,
      scan: 60,
    });
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    assert.equal(data.blocks.length, 4);
    assert.deepEqual([data.prefix, ...data.grid], [1, 7, 7]);
    for (const b of data.blocks) {
      assert.equal(b.heads, 4);
      // 4 px patches on a 7×7 grid: distances lie between 0 and the grid's diagonal.
      assert.ok(
        b.distance.every((d) => d >= 0 && d <= Math.hypot(24, 24)),
        String(b.distance),
      );
      assert.ok(
        b.entropy.every((e) => e >= 0 && e <= 1),
        String(b.entropy),
      );
      assert.ok(images[`block${data.blocks.indexOf(b)}`].width > 0);
    }
    assert.deepEqual(
      data.classes.map((c) => c.cls),
      [0, 1, 2],
    );
    for (const c of data.classes) {
      assert.ok(
        c.images.every((i) => set.labels![i] === c.cls),
        'only images of the class',
      );
      assert.ok(c.probability.every((p) => p > 0.1));
      for (const v of Object.values(c.concentration))
        assert.ok(v > 0.1 && v <= 1, `${c.cls}: ${JSON.stringify(c.concentration)}`);
    }
    const stored = {
      key: 'k',
      kind: 'transformer',
      parts: {},
      data,
      images: Object.fromEntries(Object.keys(images).map((k) => [k, `a/${k}.png`])),
    };
    const pages = transformerPages(stored, (l) =>
      l === data.blocks[0].mlp ? 'layers/mlp0.html' : null,
    );
    assert.deepEqual(
      pages.pages.map((p) => p.path),
      [
        'blocks/0.html',
        'blocks/1.html',
        'blocks/2.html',
        'blocks/3.html',
        'classes/0.html',
        'classes/1.html',
        'classes/2.html',
      ],
    );
    const [blocks, classes] = pages.model;
    assert.ok(blocks.kind === 'table' && classes.kind === 'table');
    assert.deepEqual(blocks.rows[0][4], { text: data.blocks[0].mlp, href: 'layers/mlp0.html' });
    assert.equal(
      blocks.rows[1][4],
      data.blocks[1].mlp,
      'an MLP layer not reported is named, not linked',
    );
    model.dispose();
  });
});
