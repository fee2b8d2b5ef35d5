/**
 * The data-centric analyses checked for meaning on models built here: the top-1 example really is
 * the data set's maximum; a receptive-field crop holds every pixel that changes the neuron and
 * nothing outside it does; occluding pixels a neuron cannot see leaves it unchanged; a linear
 * combination of filters through linear layers is the exact input gradient; specificity follows
 * the 40% rule; the sensitivity matrix of orthogonal linear units is diagonal; an embedding of
 * separated clusters separates them.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { visModelFromArtifacts } from '../model/from_artifacts.js';
import type { VisModel } from '../model/types.js';
import { activationsOf, topPredictions } from './activations.js';
import { embed, knnAccuracy } from './embedding.js';
import { linearCombination } from './linear_combination.js';
import { occlusion } from './occlusion.js';
import { boxAt, receptiveFields } from './receptive_field.js';
import { scanTopK } from './scan.js';
import { sensitivity } from './sensitivity.js';
import { specificity } from './specificity.js';
import { graphModelArtifacts } from '../../test/fixtures/graph_model.js';
import { assertClose, noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

function cnn(activation: 'relu' | 'linear' = 'relu'): VisModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [16, 16, 1],
      filters: 4,
      kernelSize: 3,
      activation,
      name: 'c1',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      biasInitializer: tf.initializers.constant({ value: 0.05 }),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  m.add(
    tf.layers.conv2d({
      filters: 5,
      kernelSize: 3,
      padding: 'same',
      activation,
      name: 'c2',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 3,
      name: 'out',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    }),
  );
  return fromLayersModel(m, { range: [0, 1] });
}

function randomSet(n: number, shape: [number, number, number] = [16, 16, 1], seed = 5): ImageSet {
  const size = shape[0] * shape[1] * shape[2];
  return {
    name: 'random',
    images: Float32Array.from(values(n * size, seed), (v) => (v + 1) / 2),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    shape,
    count: n,
    classNames: null,
  };
}

describe('data-centric analyses', () => {
  it('top-k: the kept examples are the data set maxima, with their positions, best first', async () => {
    const model = cnn();
    const set = randomSet(300);
    const index = await noLeaks(() => scanTopK(model, set, { k: 4, batchSize: 64 }));
    assert.deepEqual(
      index.layers.map((l) => l.layer),
      ['c1', 'p1', 'c2', 'out'],
    );
    const all = tf.tidy(() =>
      model.activations(tf.tensor4d(set.images, [300, 16, 16, 1]), ['c2'])[0].arraySync(),
    ) as number[][][][];
    const c2 = index.layers.find((l) => l.layer === 'c2')!;
    for (let u = 0; u < 5; u++) {
      const best = all.map((img) => Math.max(...img.flat().map((px) => px[u])));
      const order = best.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
      assert.deepEqual(
        c2.indices[u],
        order.slice(0, 4).map(([, i]) => i),
        `unit ${u}`,
      );
      const [x, y] = c2.positions![u][0];
      assert.ok(
        Math.abs(all[c2.indices[u][0]][y][x][u] - c2.values[u][0]) < 1e-6,
        'position holds the value',
      );
    }
  });

  it('receptive fields: every pixel in the box can change the neuron, no pixel outside can (layers and graph models)', async () => {
    const graph = await visModelFromArtifacts(graphModelArtifacts(5), 'fixture', { range: [0, 1] });
    const cases: Array<[VisModel, string, number[] | null, Array<[number, number]>]> = [
      [
        cnn(),
        'c2',
        [8, 8],
        [
          [3, 3],
          [0, 0],
          [6, 2],
        ],
      ],
      [
        cnn('linear'),
        'c2',
        [8, 8],
        [
          [3, 3],
          [0, 0],
          [6, 2],
        ],
      ],
      // 3×3 conv (same) → 3×3 depthwise, stride 2 (same) → 1×1 pointwise: 3 + 2·1 = 5 px, stride 2.
      [
        graph,
        'pw/conv',
        [5, 5],
        [
          [2, 2],
          [0, 0],
          [5, 3],
        ],
      ],
    ];
    for (const [model, layer, size, neurons] of cases) {
      const rf = receptiveFields(model, layer);
      if (size) assert.deepEqual(rf.size, size, `${layer} field size`);
      assert.deepEqual(rf.stride, [2, 2]);
      const [H, W, C] = model.input.shape;
      for (const [nx, ny] of neurons) {
        const box = boxAt(rf, nx, ny);
        const g = tf.tidy(() => {
          const x = tf.tensor4d(
            Float32Array.from(values(H * W * C * 8, 2), (v) => (v + 1) / 2),
            [8, H, W, C],
          );
          return tf
            .grad((xi: tf.Tensor) =>
              model
                .activations(xi as tf.Tensor4D, [layer])[0]
                .slice([0, ny, nx, 0], [-1, 1, 1, -1])
                .sum(),
            )(x)
            .abs()
            .sum([0, 3])
            .arraySync() as number[][];
        });
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const inside = y >= box.y0 && y < box.y1 && x >= box.x0 && x < box.x1;
            if (!inside)
              assert.equal(
                g[y][x],
                0,
                `pixel ${x},${y} outside ${JSON.stringify(box)} changes neuron ${nx},${ny}`,
              );
          }
        }
        // The box is tight: its border rows and columns hold pixels that do change the neuron.
        assert.ok(
          g[box.y0].some((v, x) => v > 0 && x >= box.x0 && x < box.x1) &&
            g[box.y1 - 1].some((v) => v > 0),
          `box rows of ${nx},${ny}`,
        );
      }
    }
  });

  it('occlusion: squares outside a neuron’s receptive field change nothing; inside, the drop is measured', async () => {
    const model = cnn();
    const img = tf.tensor3d(
      Float32Array.from(values(256, 8), (v) => (v + 1) / 2),
      [16, 16, 1],
    );
    const r = await noLeaks(() =>
      occlusion(model, img, {
        layer: 'c2',
        units: [1],
        neuron: [1, 1],
        size: 3,
        stride: 1,
        fill: 0,
      }),
    );
    const box = boxAt(receptiveFields(model, 'c2'), 1, 1);
    // Every drop, worked out directly: paint the square black, read neuron (1, 1) of channel 1.
    const pixels = img.dataSync() as Float32Array;
    const neuronAt = (px: Float32Array, layer: string, read: (a: tf.Tensor) => tf.Tensor) =>
      tf.tidy(
        () => read(model.activations(tf.tensor4d(px, [1, 16, 16, 1]), [layer])[0]).dataSync()[0],
      );
    const occluded = (x0: number, y0: number, s: number) =>
      Float32Array.from(pixels, (v, p) =>
        p % 16 >= x0 && p % 16 < x0 + s && Math.floor(p / 16) >= y0 && Math.floor(p / 16) < y0 + s
          ? 0
          : v,
      );
    const c2 = (a: tf.Tensor) => a.slice([0, 1, 1, 1], [1, 1, 1, 1]);
    assert.equal(r.drops.length, 14);
    let inside = 0;
    r.drops.forEach((row, yi) =>
      row.forEach((d, xi) => {
        const overlaps = yi < box.y1 && yi + 3 > box.y0 && xi < box.x1 && xi + 3 > box.x0;
        if (!overlaps)
          assert.equal(
            d,
            0,
            `square at ${xi},${yi} is outside ${JSON.stringify(box)} but moved the neuron by ${d}`,
          );
        else inside += d !== 0 ? 1 : 0;
        assert.ok(
          Math.abs(d - (r.base - neuronAt(occluded(xi, yi, 3), 'c2', c2))) < 1e-5,
          `drop at ${xi},${yi}`,
        );
      }),
    );
    assert.ok(inside > 0, 'some square inside the field changes the neuron');
    // A class score: squares at 0, 4, 8, 12 in each direction; each drop is the class score's fall.
    const cls = occlusion(model, img, { size: 4, stride: 4 });
    const score = (px: Float32Array) => neuronAt(px, 'out', (a) => a.slice([0, cls.unit], [1, 1]));
    assert.ok(Math.abs(cls.base - score(pixels)) < 1e-5);
    assert.deepEqual(
      cls.drops.map((row) => row.length),
      [4, 4, 4, 4],
    );
    cls.drops.forEach((row, yi) =>
      row.forEach((d, xi) =>
        assert.ok(
          Math.abs(d - (cls.base - score(occluded(4 * xi, 4 * yi, 4)))) < 1e-5,
          `class drop at ${xi},${yi}`,
        ),
      ),
    );
    img.dispose();
  });

  it('linear combination of filters through linear layers is the exact gradient (dense and conv chains)', () => {
    const dense = tf.sequential();
    dense.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
    dense.add(
      tf.layers.dense({
        units: 6,
        name: 'h1',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
      }),
    );
    dense.add(
      tf.layers.dense({
        units: 3,
        name: 'h2',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
      }),
    );
    const models: Array<[VisModel, string, (x: tf.Tensor4D, u: number) => tf.Scalar]> = [
      [fromLayersModel(dense, { range: [0, 1] }), 'h2', (x) => x.sum()],
      [cnn('linear'), 'c2', (x) => x.sum()],
    ];
    for (const [model, layer] of models) {
      const l = model.layer(layer);
      const units = [0, 1, 2];
      const lc = linearCombination(model, layer, units, 1e9);
      for (const u of units) {
        const g = tf.tidy(() =>
          tf
            .grad((xi: tf.Tensor) => {
              const a = model.activations(xi as tf.Tensor4D, [layer])[0];
              if (a.rank === 2) return a.slice([0, u], [1, 1]).sum();
              const [, h, w] = a.shape as number[];
              return a.slice([0, Math.floor(h / 2), Math.floor(w / 2), u], [1, 1, 1, 1]).sum();
            })(tf.zeros([1, ...model.input.shape]))
            .dataSync(),
        );
        // A neuron at the centre of a pooled map stands for its window's centre neuron, so for conv
        // the drawing is not the gradient; it must lie inside the centre neuron's receptive field.
        if (l.outputShape.length === 1) assertClose(lc.images[u], g, 1e-4, `dense unit ${u}`);
        else {
          const [h, w] = l.outputShape;
          const box = boxAt(receptiveFields(model, layer), Math.floor(w / 2), Math.floor(h / 2));
          const outside = Array.from(lc.images[u]).filter(
            (v, p) =>
              v !== 0 &&
              !(
                p % 16 >= box.x0 &&
                p % 16 < box.x1 &&
                Math.floor(p / 16) >= box.y0 &&
                Math.floor(p / 16) < box.y1
              ),
          );
          assert.ok(
            lc.images[u].some((v) => v !== 0),
            `conv unit ${u} drawn`,
          );
          assert.equal(
            outside.length,
            0,
            `conv unit ${u}: ${outside.length} pixels outside the field ${JSON.stringify(box)}`,
          );
        }
      }
    }
    // Conv on conv without pooling: exact.
    const cc = tf.sequential();
    cc.add(
      tf.layers.conv2d({
        inputShape: [9, 9, 2],
        filters: 3,
        kernelSize: 3,
        name: 'a',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
      }),
    );
    cc.add(
      tf.layers.conv2d({
        filters: 2,
        kernelSize: 3,
        strides: 2,
        name: 'b',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
      }),
    );
    const m = fromLayersModel(cc, { range: [0, 1] });
    const lc = linearCombination(m, 'b', [0, 1], 1e9);
    for (const u of [0, 1]) {
      const g = tf.tidy(() =>
        tf
          .grad((xi: tf.Tensor) =>
            m
              .activations(xi as tf.Tensor4D, ['b'])[0]
              .slice([0, 1, 1, u], [1, 1, 1, 1])
              .sum(),
          )(tf.zeros([1, 9, 9, 2]))
          .dataSync(),
      );
      assertClose(lc.images[u], g, 1e-4, `conv-conv unit ${u}`);
    }
    // Top-k keeps the largest weights only: with k = 1, unit 0 of h2 is W2[j, 0] times unit j of h1,
    // j the h1 unit of largest |W2[j, 0]|.
    const one = linearCombination(models[0][0], 'h2', [0], 1);
    const h1 = linearCombination(models[0][0], 'h1', [0, 1, 2, 3, 4, 5], 1);
    const w2 = (models[0][0].weightsOf('h2')[0].arraySync() as number[][]).map((row) => row[0]);
    const j = w2.reduce((best, v, i) => (Math.abs(v) > Math.abs(w2[best]) ? i : best), 0);
    assertClose(
      one.images[0],
      h1.images[j].map((v) => v * w2[j]),
      1e-5,
      'k = 1 gives one scaled filter',
    );
  });

  it('specificity follows the 40% rule; a linear unit that fires for one class is unimodal', () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [1, 2, 1] }));
    m.add(
      tf.layers.dense({
        units: 2,
        useBias: false,
        name: 'u',
        weights: [
          tf.tensor2d([
            [1, 1],
            [0, 1],
          ]),
        ],
      }),
    );
    const model = fromLayersModel(m, { range: [0, 1] });
    // Class 0 images light pixel 0; classes 1 and 2 light pixel 1.
    const images = Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1]);
    const set: ImageSet = {
      name: 's',
      images,
      labels: Int32Array.from([0, 1, 2, 0, 1, 2]),
      shape: [1, 2, 1],
      count: 6,
      classNames: null,
    };
    const s = specificity(model, set, 'u');
    assert.deepEqual(s.units[0].specificTo, [0]);
    assert.equal(s.units[0].modality, 'unimodal');
    assert.equal(s.units[1].modality, 'non-specific');
    assert.deepEqual(s.fractions, { unimodal: 0.5, bimodal: 0, 'non-specific': 0.5 });
  });

  it('sensitivity of orthogonal linear units to their own optima is diagonal', () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [2, 2, 1] }));
    const eye = tf.eye(4);
    m.add(tf.layers.dense({ units: 4, useBias: false, name: 'u', weights: [eye] }));
    const model = fromLayersModel(m, { range: [0, 1] });
    const patterns = eye.reshape([4, 2, 2, 1]) as tf.Tensor4D;
    const s = sensitivity(model, 'u', [0, 1, 2, 3], patterns);
    assert.equal(s.diagonalWins, 1);
    assert.ok(s.normalized.every((row, i) => Math.abs(row[i] - 1) < 1e-6));
    tf.dispose([patterns]);
  });

  it('embeddings separate separated classes, and the score tells random labels apart', () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
    m.add(tf.layers.dense({ units: 16, useBias: false, name: 'id', weights: [tf.eye(16)] }));
    const model = fromLayersModel(m, { range: [0, 1] });
    const n = 90;
    const noise = values(n * 16, 3);
    const images = Float32Array.from(
      { length: n * 16 },
      (_, i) => (Math.floor(i / 16) % 3 === (i % 16) % 3 ? 1 : 0) + 0.1 * noise[i],
    );
    const set: ImageSet = {
      name: 'clusters',
      images,
      labels: Int32Array.from({ length: n }, (_, i) => i % 3),
      shape: [4, 4, 1],
      count: n,
      classNames: null,
    };
    for (const method of ['pca', 'tsne', 'umap'] as const) {
      const e = embed(model, set, 'id', { method, iterations: 200 });
      assert.equal(e.points.length, n);
      assert.ok(e.knnAccuracy! > 0.95, `${method}: 5-NN accuracy ${e.knnAccuracy}`);
    }
    const shuffled = Array.from({ length: n }, (_, i) => Math.floor(i / 3) % 3);
    const e = embed(model, set, 'id', { method: 'pca' });
    assert.ok(knnAccuracy(e.points, shuffled) < 0.6, 'random labels do not separate');
  });

  it('activations of every layer and top predictions, on the graph model too', async () => {
    const graph = await visModelFromArtifacts(graphModelArtifacts(2), 'fixture', { range: [0, 1] });
    for (const model of [cnn(), graph]) {
      const img = tf.tensor3d(
        Float32Array.from(
          values(
            model.input.shape.reduce((a, b) => a * b, 1),
            4,
          ),
          (v) => (v + 1) / 2,
        ),
        [...model.input.shape],
      );
      await noLeaks(() => {
        const acts = activationsOf(model, img);
        assert.equal(acts.length, model.layers.length);
        acts.forEach((a) =>
          assert.equal(
            a.values.length,
            a.shape.reduce((x, y) => x * y, 1),
          ),
        );
        // The top 3 of the softmax of the model's output, worked out here.
        const top = topPredictions(model, img, 3);
        const out = Array.from(
          tf.tidy(() => model.predict(img.expandDims(0) as tf.Tensor4D).dataSync()),
        );
        const isProb =
          out.every((v) => v >= 0 && v <= 1) && Math.abs(out.reduce((a, b) => a + b, 0) - 1) < 1e-3;
        const e = out.map((v) => Math.exp(v - Math.max(...out)));
        const p = isProb ? out : e.map((v) => v / e.reduce((a, b) => a + b, 0));
        const want = p
          .map((probability, index) => ({ index, probability }))
          .sort((a, b) => b.probability - a.probability)
          .slice(0, 3);
        assert.deepEqual(
          top.map((t) => t.index),
          want.map((t) => t.index),
        );
        top.forEach((t, i) =>
          assert.ok(
            Math.abs(t.probability - want[i].probability) < 1e-6,
            `probability of ${t.index}`,
          ),
        );
      });
      const index = await scanTopK(
        model,
        randomSet(20, [...model.input.shape] as [number, number, number]),
        { k: 3 },
      );
      assert.ok(index.layers.every((l) => l.indices.every((ix) => ix.length === 3)));
      img.dispose();
    }
  });
});
