/**
 * The maximising-images paper's two training regimes of the same deep autoencoder (fig. 2) and its SAE (§2): the
 * unsupervised backprop twin learns from a random start without labels (reconstruction loss only)
 * and keeps the 7×7 mask; the sparsity penalty pulls only the first layer's mean activation down.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadMnist } from '../data/mnist.js';
import { split, subset, type ImageSet } from '../data/dataset.js';
import { trainStack } from './stack.js';
import { patchMask } from './mask.js';
import { transform } from './rbm.js';
import { setup } from '../../test/helpers.js';
import type * as tf from '@tensorflow/tfjs';

let train: ImageSet;
let test: ImageSet;
before(async () => {
  await setup('wasm');
  const s = split(loadMnist(), 0.2, 0);
  train = subset(
    s.train,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  test = subset(
    s.test,
    Array.from({ length: 200 }, (_, i) => i),
  );
});

const meanActivation = (m: tf.Sequential, layer: string, input: Float32Array, width: number) => {
  const [W, b] = m.getLayer(layer).getWeights();
  const h = transform({ W: W as tf.Variable, hiddenBias: b as tf.Variable }, input, width);
  return { h, mean: h.reduce((a, v) => a + v, 0) / h.length };
};

describe('the maximising-images paper training regimes', () => {
  it('unsupervised backprop: a random-start deep autoencoder, no labels, loss falls, mask holds', async () => {
    const noLabels: ImageSet = { ...train, labels: null };
    const r = await trainStack(noLabels, test, {
      kind: 'sae',
      layers: [48, 16],
      pretrainEpochs: 0,
      backprop: 'unsupervised',
      autoencoderEpochs: 3,
      finetuneEpochs: 0,
      patch: 7,
      seed: 3,
    });
    assert.equal(r.metadata.arch, 'sae-backprop-unsupervised');
    assert.equal(r.pretrain.length, 0, 'no greedy stage');
    assert.equal(r.autoencoder.length, 3);
    assert.ok(
      r.autoencoder[2] < r.autoencoder[1] && r.autoencoder[1] < r.autoencoder[0],
      `losses ${r.autoencoder}`,
    );
    assert.equal(r.model.getLayer('h2').getWeights()[0].shape.join(), '48,16');
    const { mask } = patchMask([28, 28, 1], 48, 7, 3);
    const W = r.model.getLayer('h1').getWeights()[0].dataSync();
    assert.ok(
      W.every((w, i) => mask[i] === 1 || w === 0),
      'weights outside the squares stayed zero',
    );
    r.model.dispose();
  });

  it('unsupervised backprop is refused for a DBN and without autoencoder epochs', async () => {
    await assert.rejects(
      trainStack(train, test, {
        kind: 'dbn',
        layers: [8],
        pretrainEpochs: 0,
        backprop: 'unsupervised',
        autoencoderEpochs: 1,
        finetuneEpochs: 0,
      }),
      /sae\/dae/,
    );
    await assert.rejects(
      trainStack(train, test, {
        kind: 'sae',
        layers: [8],
        pretrainEpochs: 0,
        backprop: 'unsupervised',
        finetuneEpochs: 0,
      }),
      /autoencoder epochs/,
    );
  });

  it('sparsity acts on the first layer only', async () => {
    const target = 0.05;
    const r = await trainStack(train, test, {
      kind: 'sae',
      layers: [64, 32],
      pretrainEpochs: 3,
      finetuneEpochs: 0,
      sparsity: { target, weight: 3 },
      seed: 4,
    });
    const plain = await trainStack(train, test, {
      kind: 'sae',
      layers: [64, 32],
      pretrainEpochs: 3,
      finetuneEpochs: 0,
      seed: 4,
    });
    const l1 = meanActivation(r.model, 'h1', train.images, 784);
    const l1Plain = meanActivation(plain.model, 'h1', train.images, 784);
    const l2 = meanActivation(r.model, 'h2', l1.h, 64);
    assert.ok(l1.mean < 0.5 * l1Plain.mean, `layer 1 mean ${l1.mean} (plain ${l1Plain.mean})`);
    assert.ok(l2.mean > 4 * target, `layer 2 was not pulled to the target: mean ${l2.mean}`);
    r.model.dispose();
    plain.model.dispose();
  });
});
