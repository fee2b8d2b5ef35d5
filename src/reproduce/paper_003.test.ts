/**
 * `reproduce 003` quick: without --model the recipes run on deepvis's small CNN and the VGG16
 * claims are 'not applicable'; with a user file (here a small random-weight stand-in for VGG16,
 * colour input) the recipes run on it, and a different stand-in gives different numbers.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModel } from '../io/model_files.js';
import { paper003 } from './paper_003.js';
import { claimValues, runQuick } from './paper_test_run.js';
import { setup } from '../../test/helpers.js';

async function standIn(seed: number): Promise<string> {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      name: 'block1_conv1',
      inputShape: [16, 16, 3],
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  m.add(tf.layers.maxPooling2d({ name: 'block1_pool', poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      name: 'block2_conv1',
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(2),
    }),
  );
  m.add(tf.layers.maxPooling2d({ name: 'block2_pool', poolSize: 2 }));
  m.add(tf.layers.flatten({ name: 'flatten' }));
  m.add(
    tf.layers.dense({ name: 'fc1', units: 12, activation: 'relu', kernelInitializer: init(3) }),
  );
  m.add(tf.layers.dense({ name: 'logits', units: 5, kernelInitializer: init(4) }));
  m.add(tf.layers.activation({ name: 'softmax', activation: 'softmax' }));
  const dir = await mkdtemp(path.join(tmpdir(), 'deepvis-vgg-standin-'));
  await saveLayersModel(m, dir, { inputRange: [0, 1], channelOrder: 'rgb', logitsLayer: 'logits' });
  m.dispose();
  return dir;
}

before(() => setup('wasm'));

describe('reproduce 003 (quick)', () => {
  it("without a model: the small CNN, and VGG16's own claims not applicable", async () => {
    const { result } = await runQuick(paper003, 0);
    assert.ok(result.size[0].includes('not VGG16'));
    const na = result.claims.filter((c) => c.verdict === 'not applicable');
    assert.ok(
      na.length >= 2 && na.every((c) => /VGG16/.test(c.why)),
      na.map((c) => c.why).join(' | '),
    );
    assert.ok(
      result.figures.some((f) => f.figure === 'fig. 5'),
      'MNIST has labels: t-SNE is judged',
    );
  });

  it('with --model: the recipes run on the given file, and another file changes the numbers', async () => {
    const [a, b] = [
      await runQuick(paper003, 0, await standIn(1)),
      await runQuick(paper003, 0, await standIn(2)),
    ];
    const loaded = a.result.claims.find((c) => c.section === '§5')!;
    assert.equal(loaded.verdict, 'reproduced');
    assert.match(a.result.figures[0].ours, /block2_conv1 filter 15/);
    for (const s of ['§4.1', '§4.2'])
      assert.notEqual(
        claimValues(a.result, s).join(),
        claimValues(b.result, s).join(),
        `${s} did not change with the model`,
      );
  });
});
