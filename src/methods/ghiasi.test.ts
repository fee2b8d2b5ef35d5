/**
 * Ghiasi et al. 2022's feature visualization. The roll of its augmentation ensemble falls from the
 * paper's 32/224 of the side to `jitterEnd` pixels (counted on a one-pixel image). The test of
 * meaning is on the trained MNIST ViT (test/fixtures/onnx/trained/mnist-vit, 4-px patches): each
 * of block 0's first MLP units, visualized with the method's defaults, beats the best activation
 * any of the 10,000 MNIST test digits gives it. Both are scored without augmentation.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { datasetMax } from '../analysis/dataset_max.js';
import { loadEvalSet } from '../data/load.js';
import { Rng } from '../engine/rng.js';
import { loadModel } from '../io/model_files.js';
import { unitLayerOf } from '../model/tokens.js';
import { augmentEnsemble, ghiasiEnsemble } from '../transforms/ensemble.js';
import { smallCnn } from '../../test/fixtures/small_cnn.js';
import { noLeaks, setup } from '../../test/helpers.js';
import { ghiasi, ghiasiParams } from './ghiasi.js';

before(() => setup('wasm'));

describe('Ghiasi feature visualization', () => {
  it('the roll falls from 32/224 of the side to jitterEnd pixels over the run', () => {
    const side = 56; // 8 pixels at the start
    const args = { ...ghiasiEnsemble(1, 0, 8), copies: 1, shift: 0, scale: 0, noise: 0 };
    assert.equal(args.jitterEnd, 2);
    // A hook draws the same for a step's second call (a pass ahead of the tape), so each draw
    // below is a hook of its own.
    const hooks = Array.from({ length: 40 }, (_, i) => augmentEnsemble(args, new Rng(3 + i)));
    const dot = tf.buffer([1, side, side, 1]);
    dot.set(1, 0, 0, 0, 0);
    const x = dot.toTensor() as tf.Tensor4D;
    /** Largest |roll| of 40 draws at step `step` of 100. */
    const reach = (step: number) => {
      let most = 0;
      for (const views of hooks) {
        const at = tf.tidy(() => views(x, step, 100).reshape([-1]).argMax().dataSync()[0]);
        const [r, c] = [Math.floor(at / side), at % side];
        most = Math.max(most, Math.min(r, side - r), Math.min(c, side - c));
      }
      return most;
    };
    assert.equal(reach(0), 8);
    assert.equal(reach(99), 2);
    assert.ok(reach(50) <= 5 && reach(50) >= 3, `halfway ${reach(50)}`);
    x.dispose();
  });

  it('on a transformer the roll ends at a quarter patch; elsewhere at 1 pixel', async () => {
    const vit = await loadModel('test/fixtures/onnx/trained/mnist-vit');
    assert.equal(ghiasiParams(vit).ensemble.jitterEnd, 1); // 28 px over a 7×7 grid: 4-px patches
    vit.dispose();
    const cnn = smallCnn(112);
    assert.equal(ghiasiParams(cnn).ensemble.jitterEnd, 1);
    cnn.dispose();
  });

  it('trained MNIST ViT: block 0 MLP units beat the best MNIST digit', async () => {
    const model = await loadModel('test/fixtures/onnx/trained/mnist-vit');
    const layer = unitLayerOf(model, model.transformer!.blocks[0].name).name;
    const units = [0, 1, 2, 3];
    const set = await loadEvalSet('mnist', [28, 28, 1]);
    const best = datasetMax(model, set, layer, units);
    const run = await noLeaks(() => {
      const r = ghiasi(model, { layer, units });
      r.dispose();
      return r.units.map((u) => u.activation);
    });
    const ratios = run.map((v, i) => v / best.values[i]);
    assert.ok(
      ratios.every((r) => r > 1),
      `activation / data set's best: ${ratios.map((r) => r.toFixed(2)).join(', ')}`,
    );
    model.dispose();
  });
});
