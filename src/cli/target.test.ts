/** --target cosine:REF's reference: a .npy file, a JSON array, or an image's embedding. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { writePng } from '../io/png.js';
import { setup } from '../../test/helpers.js';
import { readingFrom } from './target.js';

let model: VisModel;
let dir: string;
before(async () => {
  await setup();
  // logits = x·W on a 2×3 input (6 pixels), 4 units, W[p][k] = p + k.
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [2, 3, 1], name: 'flat' }));
  m.add(tf.layers.dense({ units: 4, useBias: false, name: 'logits', kernelInitializer: 'zeros' }));
  m.getLayer('logits').setWeights([
    tf.tensor2d(
      Array.from({ length: 24 }, (_, i) => Math.floor(i / 4) + (i % 4)),
      [6, 4],
    ),
  ]);
  model = fromLayersModel(m, { range: [0, 1] });
  dir = mkdtempSync(path.join(tmpdir(), 'deepvis-target-'));
});

describe('--target cosine:REF', () => {
  it('reads the reference from .npy (NumPy-written), JSON or an image', async () => {
    // f16.npy: (0.5, −1, 65504, 6.1e-5 as a half).
    const npy = await readingFrom('cosine:test/fixtures/npy/f16.npy', model, 'logits');
    assert.deepEqual(npy.kind === 'cosine' && Array.from(npy.reference), [
      0.5,
      -1,
      65504,
      Math.fround(6.097555160522461e-5),
    ]);
    writeFileSync(path.join(dir, 'ref.json'), JSON.stringify([1, 2, 3, 4]));
    const json = await readingFrom(`cosine:${path.join(dir, 'ref.json')}`, model, 'logits');
    assert.deepEqual(json.kind === 'cosine' && Array.from(json.reference), [1, 2, 3, 4]);
    // Two vectors: attribution explains one.
    writeFileSync(
      path.join(dir, 'two.json'),
      JSON.stringify([
        [1, 2, 3, 4],
        [4, 3, 2, 1],
      ]),
    );
    await assert.rejects(
      readingFrom(`cosine:${path.join(dir, 'two.json')}`, model, 'logits'),
      /holds 2 reference vectors; attribution explains one$/,
    );
    // An image of ones: its logits are the column sums of W, 15 + 6k.
    await writePng(path.join(dir, 'ones.png'), {
      width: 3,
      height: 2,
      data: new Uint8ClampedArray(2 * 3 * 4).fill(255),
    });
    const img = await readingFrom(`cosine:${path.join(dir, 'ones.png')}`, model, 'logits');
    assert.deepEqual(img.kind === 'cosine' && Array.from(img.reference), [15, 21, 27, 33]);
  });

  it('a bad reference file is one line naming it', async () => {
    writeFileSync(path.join(dir, 'bad.json'), '{"embedding": [1, 2]}');
    writeFileSync(path.join(dir, 'text.json'), '[1, "2"');
    await assert.rejects(
      readingFrom(`cosine:${path.join(dir, 'bad.json')}`, model, 'logits'),
      /^DeepvisError: .*bad\.json must hold a list of numbers or a list of such lists$/,
    );
    await assert.rejects(
      readingFrom(`cosine:${path.join(dir, 'text.json')}`, model, 'logits'),
      /^DeepvisError: .*text\.json is not JSON/,
    );
    await assert.rejects(
      readingFrom(`cosine:${path.join(dir, 'none.npy')}`, model, 'logits'),
      /^DeepvisError: --target cosine:.*none\.npy: no such file .*none\.npy$/,
    );
    await assert.rejects(
      readingFrom('cosine:test/fixtures/npy/complex.npy', model, 'logits'),
      /^DeepvisError: test\/fixtures\/npy\/complex\.npy: not a \.npy array deepvis reads \(dtype <c8/,
    );
  });
});
