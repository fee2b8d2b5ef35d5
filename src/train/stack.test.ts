/**
 * The source papers' models on real digits, small enough to train in seconds: CD-1 lowers an RBM's
 * reconstruction error; a greedy stack trains each layer on the layer below; the 7×7 mask keeps
 * every weight outside a unit's square at exactly zero through pre-training and fine-tuning; a
 * saved stack reloads to identical outputs; clamped DBN sampling runs without leaking.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../data/mnist.js';
import { split, subset, type ImageSet } from '../data/dataset.js';
import { trainRbm, transform, disposeRbm } from './rbm.js';
import { trainStack } from './stack.js';
import { patchMask } from './mask.js';
import { saveLayersModel, loadModel } from '../io/model_files.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { sampleDbnUnits } from '../methods/dbn_sample.js';
import { corrupt } from './autoencoder.js';
import { noLeaks, setup } from '../../test/helpers.js';

let train: ImageSet;
let test: ImageSet;
let dir: string;
before(async () => {
  await setup('wasm');
  const s = split(loadMnist(), 0.2, 0);
  train = subset(
    s.train,
    Array.from({ length: 1500 }, (_, i) => i),
  );
  test = subset(
    s.test,
    Array.from({ length: 300 }, (_, i) => i),
  );
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-stack-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('RBM and DBN', () => {
  it('CD-1 lowers the reconstruction error of an RBM on real digits, epoch after epoch', () => {
    const { rbm, errors } = trainRbm(train.images, 784, { hidden: 64, epochs: 3, seed: 1 });
    assert.ok(errors[2] < errors[0], `errors ${errors}`);
    assert.ok(errors[2] < 0.06, `final error ${errors[2]}`);
    disposeRbm(rbm);
  });

  it('a greedy stack trains each layer on the hidden probabilities of the layer below', async () => {
    const seen: Array<{ layer: number; value: number }> = [];
    const r = await trainStack(train, test, {
      kind: 'dbn',
      layers: [64, 32],
      pretrainEpochs: 2,
      finetuneEpochs: 0,
      seed: 2,
      onLayerEpoch: (e) => seen.push(e),
    });
    assert.deepEqual(
      seen.map((e) => e.layer),
      [1, 1, 2, 2],
    );
    // Layer 2's weights must model h1 = σ(x·W1 + b1) of the data: the reconstruction error of
    // layer 2 on h1 (as trained) is lower than on raw pixels squeezed to the same width.
    const [W1, b1] = r.model.getLayer('h1').getWeights();
    const h1 = transform(
      { W: W1 as tf.Tensor2D as tf.Variable, hiddenBias: b1 as tf.Tensor1D as tf.Variable },
      train.images,
      784,
    );
    assert.equal(h1.length, train.count * 64);
    assert.equal(r.pretrain[1].length, 2);
    assert.ok(r.pretrain[1][1] <= r.pretrain[1][0] + 1e-3, `layer 2 errors ${r.pretrain[1]}`);
    const vb = (r.metadata.stack as { visibleBiases: number[][] }).visibleBiases;
    assert.deepEqual(
      vb.map((b) => b.length),
      [784, 64],
    );
    r.model.dispose();
  });

  it('samples a clamped DBN unit: images in [0, 1], one mean per unit, no leaked tensor', async () => {
    const r = await trainStack(train, test, {
      kind: 'dbn',
      layers: [64, 32],
      pretrainEpochs: 1,
      finetuneEpochs: 0,
      seed: 3,
    });
    r.model.setUserDefinedMetadata(JSON.parse(JSON.stringify({ deepvis: r.metadata })));
    const vis = fromLayersModel(r.model);
    await noLeaks(() => {
      const s = sampleDbnUnits(vis, { layer: 'h2', units: [0, 5], samples: 3, gibbs: 20, seed: 1 });
      assert.deepEqual(s.samples.shape, [6, 28, 28, 1]);
      assert.deepEqual(s.means.shape, [2, 28, 28, 1]);
      const v = s.samples.dataSync();
      assert.ok(v.every((p) => p >= 0 && p <= 1));
      tf.dispose([s.samples, s.means]);
      const first = sampleDbnUnits(vis, { layer: 'h1', units: [1], samples: 2, gibbs: 5, seed: 2 });
      assert.deepEqual(first.samples.shape, [2, 28, 28, 1]);
      tf.dispose([first.samples, first.means]);
    });
    assert.throws(() => sampleDbnUnits(vis, { layer: 'h3', units: [0] }), /unknown layer 'h3'/);
    r.model.dispose();
  });
});

describe('stacked autoencoders', () => {
  it('denoising corruption zeroes about the requested fraction; salt-and-pepper sets 0s and 1s', () => {
    const x = tf.fill([100, 100], 0.5) as tf.Tensor2D;
    const masked = corrupt(x, { kind: 'mask', level: 0.25 }, 1);
    const zeros = masked.equal(0).sum().dataSync()[0] / 10000;
    assert.ok(Math.abs(zeros - 0.25) < 0.03, `zeroed ${zeros}`);
    const sp = corrupt(x, { kind: 'salt-pepper', level: 0.2 }, 2).dataSync();
    const ones = sp.filter((v) => v === 1).length / 10000;
    const nulls = sp.filter((v) => v === 0).length / 10000;
    assert.ok(
      Math.abs(ones - 0.1) < 0.02 && Math.abs(nulls - 0.1) < 0.02,
      `salt ${ones}, pepper ${nulls}`,
    );
    tf.dispose([x, masked]);
  });

  it('fine-tunes the whole stack as one deep autoencoder: reconstruction loss falls, the mask holds', async () => {
    const losses: number[] = [];
    const r = await trainStack(train, test, {
      kind: 'sae',
      layers: [64, 16],
      pretrainEpochs: 1,
      autoencoderEpochs: 3,
      finetuneEpochs: 0,
      patch: 7,
      seed: 6,
      onAutoencoderEpoch: (e) => losses.push(e.loss),
    });
    assert.equal(r.autoencoder.length, 3);
    assert.ok(losses[2] < losses[0], `deep autoencoder losses ${losses}`);
    const { mask } = patchMask([28, 28, 1], 64, 7, 6);
    const W = r.model.getLayer('h1').getWeights()[0].dataSync();
    assert.ok(
      W.every((w, i) => mask[i] === 1 || w === 0),
      'weights outside the squares stayed zero',
    );
    r.model.dispose();
  });

  it('keeps every first-layer weight outside its 7×7 square at exactly zero, through pre-training and fine-tuning', async () => {
    const r = await trainStack(train, test, {
      kind: 'sae',
      layers: [40, 20],
      pretrainEpochs: 1,
      finetuneEpochs: 1,
      patch: 7,
      seed: 4,
      noise: { kind: 'mask', level: 0.2 },
    });
    const { mask } = patchMask([28, 28, 1], 40, 7, 4);
    const W = r.model.getLayer('h1').getWeights()[0].dataSync();
    let outside = 0;
    let insideNonZero = 0;
    for (let i = 0; i < W.length; i++) {
      if (mask[i] === 0 && W[i] !== 0) outside++;
      if (mask[i] === 1 && W[i] !== 0) insideNonZero++;
    }
    assert.equal(outside, 0, `${outside} weights outside the squares are not zero`);
    assert.ok(insideNonZero > 40 * 49 * 0.9, 'the squares themselves learned');
    r.model.dispose();
  });

  it('a saved stack reloads to identical outputs, and the same architecture trains by plain backpropagation', async () => {
    const r = await trainStack(train, test, {
      kind: 'sae',
      layers: [32],
      pretrainEpochs: 1,
      finetuneEpochs: 1,
      seed: 5,
    });
    await saveLayersModel(r.model, path.join(dir, 'sae'), r.metadata);
    const back = await loadModel(path.join(dir, 'sae'));
    const x = tf.tensor4d(test.images.subarray(0, 5 * 784), [5, 28, 28, 1]);
    const a = await (r.model.predict(x) as tf.Tensor).data();
    const b = await back.predict(x).data();
    assert.deepEqual(Array.from(b), Array.from(a));
    assert.equal(back.metadata.arch, 'sae');
    const plain = await trainStack(train, test, {
      kind: 'sae',
      layers: [32],
      pretrainEpochs: 0,
      finetuneEpochs: 2,
      seed: 5,
    });
    assert.equal(plain.metadata.arch, 'sae-backprop');
    assert.equal(plain.pretrain.length, 0);
    assert.ok(
      plain.finetune[1].testAccuracy > 0.3,
      `plain backprop test accuracy ${plain.finetune[1].testAccuracy}`,
    );
    tf.dispose([x]);
    r.model.dispose();
    plain.model.dispose();
  });
});
