/**
 * Transformer maps on a trained model (test/fixtures/onnx/trained/mnist-vit: torchvision's ViT,
 * 4-px patches, trained by PyTorch on deepvis's MNIST split, 94% on its test digits): the test of
 * meaning is that they land on the digit — heat per digit pixel over heat per background pixel.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { noLeaks, setup } from '../../test/helpers.js';
import { loadEvalSet } from '../data/load.js';
import { loadModel } from '../io/model_files.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget } from '../objectives/target.js';
import { attentionMap, cheferMap, rolloutMap } from './transformer_maps.js';

const VIT = 'test/fixtures/onnx/trained/mnist-vit/model.onnx';

/** Median over images of (mean heat on pixels > 0.3) / (mean heat elsewhere). */
function digitRatio(map: tf.Tensor3D, x: tf.Tensor4D): number {
  const r = tf.tidy(() => {
    const on = x.squeeze([3]).greater(0.3).cast('float32');
    const off = tf.sub(1, on);
    return map
      .mul(on)
      .sum([1, 2])
      .div(on.sum([1, 2]))
      .div(
        map
          .mul(off)
          .sum([1, 2])
          .div(off.sum([1, 2]))
          .add(1e-9),
      )
      .dataSync();
  });
  return [...r].sort((a, b) => a - b)[r.length >> 1];
}

describe('transformer maps on a trained ViT', () => {
  let model: VisModel;
  let x: tf.Tensor4D;
  before(async () => {
    await setup('wasm');
    model = await loadModel(VIT);
    const set = await loadEvalSet('mnist', [28, 28, 1]);
    x = tf.tensor4d(set.images.slice(0, 16 * 784), [16, 28, 28, 1]);
  });

  it('knows its tokens and blocks', () => {
    assert.deepEqual(model.transformer?.tokens?.grid, [7, 7]);
    assert.equal(model.transformer?.tokens?.prefix, 1);
    assert.equal(model.transformer?.blocks.length, 4);
  });

  it('rollout, gradient-weighted attention and the last attention land on the digit', async () => {
    const t = resolveTarget(model, x, {});
    const ratios: Record<string, number> = {};
    await noLeaks(() => {
      for (const [name, make] of [
        ['rollout', () => rolloutMap(model, x)],
        ['chefer', () => cheferMap(model, x, t)],
        ['attention', () => attentionMap(model, x)],
      ] as const) {
        const m = make();
        assert.deepEqual(m.shape, [16, 28, 28]);
        ratios[name] = digitRatio(m, x);
        m.dispose();
      }
    });
    // Measured: rollout 3.1, Chefer 2.7, the last block's class-token attention 2.3 (32 digits).
    assert.ok(ratios.rollout > 2, JSON.stringify(ratios));
    assert.ok(ratios.chefer > 1.8, JSON.stringify(ratios));
    assert.ok(ratios.attention > 1.5, JSON.stringify(ratios));
  });

  it('refuses what has no global attention, and bad heads and blocks, in one line', async () => {
    assert.throws(
      () => attentionMap(model, x, { head: 4 }),
      /head 4 is out of range; block vit.encoder.layers.encoder_layer_3 has heads 0–3/,
    );
    assert.throws(
      () => attentionMap(model, x, { block: 9 }),
      /unknown block 9; the model's blocks are 0–3/,
    );
    assert.throws(() => rolloutMap(model, x, { discard: 1 }), /--discard must be in \[0, 1\)/);
    const cnn = await loadModel('test/fixtures/onnx/trained/mnist-resnet/model.onnx');
    try {
      assert.throws(
        () => rolloutMap(cnn, x),
        /attention rollout needs a vision transformer with global attention; this model cannot: it has no attention layers/,
      );
    } finally {
      cnn.dispose();
    }
  });
});

describe('patch-token similarity', () => {
  it('is 1 at the query patch, symmetric in [−1, 1], and refuses queries off the grid', async () => {
    await setup('wasm');
    const { tokenSimilarity } = await import('../analysis/token_similarity.js');
    const model = await loadModel(VIT);
    try {
      const set = await loadEvalSet('mnist', [28, 28, 1]);
      const x = tf.tensor4d(set.images.slice(0, 2 * 784), [2, 28, 28, 1]);
      const layer = model.layer(model.transformer!.blocks[2].name);
      const [h, w] = layer.outputShape;
      // At the grid's own size the query patch's similarity to itself is exactly 1.
      const grid = tf.tidy(() =>
        tf.image
          .resizeBilinear(tokenSimilarity(model, x, layer, [3, 2]).expandDims(3) as tf.Tensor4D, [
            h,
            w,
          ])
          .squeeze([3]),
      );
      const v = grid.arraySync() as number[][][];
      assert.ok(
        Math.abs(v[0][2][3] - 1) < 0.05 && Math.abs(v[1][2][3] - 1) < 0.05,
        `${v[0][2][3]} ${v[1][2][3]}`,
      );
      assert.ok(grid.max().dataSync()[0] <= 1 + 1e-5 && grid.min().dataSync()[0] >= -1 - 1e-5);
      const cls = tokenSimilarity(model, x, layer, 'cls');
      assert.deepEqual(cls.shape, [2, 28, 28]);
      assert.throws(
        () => tokenSimilarity(model, x, layer, [7, 0]),
        /query patch 7,0 is outside the 7×7 grid/,
      );
      tf.dispose([x, grid, cls]);
    } finally {
      model.dispose();
    }
  });
});
