/**
 * The model adapter on models whose answers are known: activations of several layers from one
 * pass, pre-activation taps, input gradients, checked errors, save → load round trips, and a
 * converted graph model (fused conv, separable conv, batch norm) differentiated on wasm vs cpu.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveLayersModel } from '../io/model_files.js';
import { fromLayersModel } from './layers_adapter.js';
import { visModelFromArtifacts } from './from_artifacts.js';
import { gradientCheck } from './gradient_check.js';
import { graphModelArtifacts } from '../../test/fixtures/graph_model.js';
import { assertClose, noLeaks, onBoth, setup, values } from '../../test/helpers.js';
import { DeepvisError } from '../errors.js';

let dir: string;
before(async () => {
  await setup('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-adapter-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** y = relu(W·x + b) on a flat 2×2×1 input, with W and b chosen by hand. */
function tinyDense(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [2, 2, 1], name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 2,
      activation: 'relu',
      name: 'hidden',
      weights: [
        tf.tensor2d([
          [1, -1],
          [2, 0],
          [0, 1],
          [-1, 3],
        ]),
        tf.tensor1d([0.5, -10]),
      ],
    }),
  );
  m.add(
    tf.layers.dense({
      units: 1,
      name: 'out',
      weights: [tf.tensor2d([[2], [1]]), tf.tensor1d([0])],
    }),
  );
  return m;
}

describe('layers adapter', () => {
  it('lists layers and returns activations of several layers from one pass', async () => {
    const vis = fromLayersModel(tinyDense());
    assert.deepEqual(
      vis.layers.map((l) => [l.name, l.kind, l.units]),
      [
        ['flat', 'Flatten', 4],
        ['hidden', 'Dense', 2],
        ['out', 'Dense', 1],
      ],
    );
    assert.equal(vis.layer('hidden').activation, 'relu');
    await noLeaks(async () => {
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const [h, o, pre] = vis.activations(x, ['hidden', 'out', 'hidden:pre']);
      // W·x + b = [1+4+0-4+0.5, -1+0+3+12-10] = [1.5, 4]
      assert.deepEqual(Array.from(await pre.data()), [1.5, 4]);
      assert.deepEqual(Array.from(await h.data()), [1.5, 4]);
      assert.deepEqual(Array.from(await o.data()), [7]);
      const neg = tf.tensor4d([0, 0, 0, 0], [1, 2, 2, 1]);
      const [h2, pre2] = vis.activations(neg, ['hidden', 'hidden:pre']);
      assert.deepEqual(Array.from(await h2.data()), [0.5, 0]);
      assert.deepEqual(Array.from(await pre2.data()), [0.5, -10]);
      tf.dispose([x, h, o, pre, neg, h2, pre2]);
    });
  });

  it('differentiates a scalar built from activations w.r.t. the input', async () => {
    const vis = fromLayersModel(tinyDense());
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const g = tf.grad((xi: tf.Tensor) => vis.activations(xi as tf.Tensor4D, ['out'])[0].sum())(x);
    // d out / dx = 2·W[:,0] + 1·W[:,1] (both hidden units on) = [1, 4, 1, 1]
    assert.deepEqual(Array.from(await g.data()), [1, 4, 1, 1]);
    tf.dispose([x, g]);
  });

  it('names the problem on bad references and bad images', () => {
    const vis = fromLayersModel(tinyDense());
    assert.throws(
      () => vis.layer('conv9'),
      (e: Error) =>
        e instanceof DeepvisError &&
        /unknown layer 'conv9'; known: flat, hidden, out/.test(e.message),
    );
    assert.throws(() => vis.layer(7), /layer index 7 out of range/);
    assert.throws(() => vis.layer('out:pre'), /no fused activation/);
    const bad = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D;
    assert.throws(
      () => vis.activations(bad, ['out']),
      /images of shape \[1, 3, 3, 1\] do not fit the model, which takes \[N, 2, 2, 1\]/,
    );
    bad.dispose();
  });

  it('saves and reloads to identical outputs, with its metadata', async () => {
    const m = tinyDense();
    const out = path.join(dir, 'tiny');
    await saveLayersModel(m, out, { inputRange: [0, 255], labels: ['yes'] });
    const vis = await loadModel(out);
    assert.deepEqual(vis.input.range, [0, 255]);
    assert.equal(vis.input.provenance.range, 'metadata');
    assert.deepEqual(vis.labels, ['yes']);
    const x = tf.tensor4d(values(8, 3), [2, 2, 2, 1]);
    const a = vis.predict(x);
    const b = m.predict(x.reshape([2, 2, 2, 1])) as tf.Tensor;
    assert.deepEqual(Array.from(await a.data()), Array.from(await b.data()));
    // The .json path works as well as the directory.
    const again = await loadModel(path.join(out, 'model.json'));
    assert.equal(again.layers.length, 3);
    tf.dispose([x, a, b]);
  });

  it('rejects missing, malformed and incomplete model files with one clear message', async () => {
    await assert.rejects(loadModel(path.join(dir, 'nope')), /model not found: .*nope/);
    const bad = path.join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, 'model.json'), '{ not json');
    await assert.rejects(loadModel(bad), /malformed model file .*model.json/);
    const noTopo = path.join(dir, 'notopo');
    await mkdir(noTopo, { recursive: true });
    await writeFile(path.join(noTopo, 'model.json'), '{"weightsManifest": []}');
    await assert.rejects(loadModel(noTopo), /no modelTopology/);
    const m = tinyDense();
    const shardless = path.join(dir, 'shardless');
    await saveLayersModel(m, shardless, {});
    await rm(path.join(shardless, 'weights.bin'));
    await assert.rejects(loadModel(shardless), /weight file missing: .*weights.bin/);
  });
});

describe('graph adapter (converted model: fused conv, separable conv, batch norm)', () => {
  it('lists nodes as layers with output shapes', async () => {
    const vis = await visModelFromArtifacts(graphModelArtifacts(), 'fixture');
    assert.equal(vis.format, 'graph');
    assert.deepEqual(vis.input.shape, [12, 12, 3]);
    // Layers are named by their Keras layer (the node path's scope); a scope with several nodes
    // gives its name to the last one, the others are scope/op; full node paths stay accepted.
    const byName = Object.fromEntries(vis.layers.map((l) => [l.name, l.outputShape.join('×')]));
    assert.equal(byName['c1'], '12×12×8');
    assert.equal(byName['dw'], '6×6×16');
    assert.equal(byName['bn'], '6×6×12');
    assert.equal(byName['bn/norm'], '6×6×12');
    assert.equal(byName['fc'], '5');
    assert.equal(vis.layer('bn/relu').name, 'bn');
    assert.equal(vis.layer('c1/conv').name, 'c1');
    assert.ok(gradientCheck(vis).ok);
  });

  it('input gradients of a node match between wasm and cpu', async () => {
    const vis = await visModelFromArtifacts(graphModelArtifacts(), 'fixture');
    for (const node of ['c1/conv', 'pw/conv', 'bn/relu', 'fc/matmul']) {
      const g = await onBoth(() =>
        tf.grad((x: tf.Tensor) =>
          vis
            .activations(x as tf.Tensor4D, [node])[0]
            .square()
            .sum(),
        )(tf.tensor4d(values(2 * 12 * 12 * 3, 4), [2, 12, 12, 3])),
      );
      assertClose(g.cpu, g.wasm, 2e-5, node);
    }
    await tf.setBackend('wasm');
  });
});
