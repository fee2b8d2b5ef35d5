/**
 * The atlas on a tiny CNN and a synthetic labelled set: the cache (a second run computes nothing;
 * one changed method parameter recomputes exactly that method's groups), sharding (2 shards +
 * merge give the very files of one run, and the shards' work is disjoint), the exact merge of scan
 * slices, connection strengths worked out by hand, bad input in one line, and the HTML's promises
 * (alt text, relative links, escaping).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { connectionMatrix, strongestInputs, strongestOutputs } from '../analysis/connections.js';
import { scanTopK } from '../analysis/scan.js';
import { mergeScans } from '../analysis/scan_merge.js';
import type { ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { smallCnn } from '../../test/fixtures/small_cnn.js';
import { setup, values } from '../../test/helpers.js';
import { computeReport } from './build.js';
import { checkSameArchitecture } from './history.js';
import { pageHtml } from './html.js';
import { parseShard, planReport, shardGroups, type ReportPlanArgs } from './plan.js';
import { relativeHref } from './site.js';
import { ArtifactStore } from './store.js';

let dir: string;
let model: VisModel;
let set: ImageSet;

before(async () => {
  await setup('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-report-'));
  model = smallCnn(12, 4, 3);
  const n = 40;
  set = {
    name: 'synthetic',
    images: values(n * 144, 7).map((v) => Math.abs(v) % 1),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    shape: [12, 12, 1],
    count: n,
    classNames: null,
  };
});
after(() => rm(dir, { recursive: true, force: true }));

const FAST: ReportPlanArgs = {
  groupSize: 2,
  k: 3,
  embedCount: 20,
  methods: {
    erhan: { steps: 4, restarts: 1 },
    lucid: { steps: 4 },
    yosinski: { steps: 4 },
    diverse: { steps: 3, perUnit: 2 },
    center: { steps: 4 },
  },
};

async function runIn(
  sub: string,
  args: ReportPlanArgs = FAST,
  scanShards?: number,
  absorb: string[] = [],
) {
  const store = new ArtifactStore(path.join(dir, sub));
  for (const d of absorb) await store.absorb(path.join(dir, d));
  const site = await computeReport({
    model,
    modelPath: 'tiny',
    hash: 'tiny-model',
    plan: planReport(model, args),
    store,
    data: { set, spec: 'synthetic:eval' },
    scanShards,
  });
  return { store, site };
}

describe('report cache', () => {
  it('a second run computes nothing; changing lucid steps recomputes only the lucid groups', async () => {
    const first = await runIn('cache');
    // conv (4 units, a first layer): 2 groups × (lucid, erhan, center, diverse) and its weights;
    // logits (3 units): 2 groups × (erhan, yosinski, diverse).
    assert.deepEqual(first.store.computed, {
      scan: 1,
      'vis-lucid': 2,
      'vis-erhan': 4,
      'vis-center': 2,
      'vis-diverse': 4,
      'vis-yosinski': 2,
      weights: 1,
      examples: 4,
      specificity: 2,
      embedding: 1,
      accuracy: 1,
    });
    // The first layer's unit page leads with the centre neuron's image and shows the filter.
    const conv0 = JSON.parse(first.site!.files.get('units/conv/0.json')!);
    assert.equal(conv0.methods[0].method, 'center');
    assert.deepEqual(conv0.methods[0].crop, { y0: 5, x0: 5, y1: 8, x1: 8 });
    assert.deepEqual(conv0.weights.shape, [3, 3, 1]);
    assert.match(first.site!.files.get('layers/conv.html')!, /Weights: the 4 filters \(3×3×1\)/);
    assert.match(
      first.site!.files.get('layers/conv.html')!,
      /4 units \(each unit.{0,6}s centre neuron/,
    );
    const second = await runIn('cache');
    assert.equal(second.store.totalComputed(), 0);
    assert.deepEqual(
      [...second.site!.files],
      [...first.site!.files],
      'the same pages from the cache',
    );
    const third = await runIn('cache', {
      ...FAST,
      methods: { ...FAST.methods, lucid: { steps: 5 } },
    });
    assert.deepEqual(third.store.computed, { 'vis-lucid': 2 });
    const unit = JSON.parse(third.site!.files.get('units/conv/0.json')!);
    const lucid = unit.methods.find((m: { method: string }) => m.method === 'lucid');
    assert.equal(lucid.params.steps, 5);
  });
});

describe('report shards', () => {
  it('2 shards + merge write the files of one run; the shards split the groups and the scan', async () => {
    const one = await runIn('one');
    const s1 = await runIn('s1', { ...FAST, shard: [1, 2] });
    const s2 = await runIn('s2', { ...FAST, shard: [2, 2] });
    assert.equal(s1.site, null);
    const plan = planReport(model, FAST);
    assert.equal(
      shardGroups({ ...plan, shard: [1, 2] }).length +
        shardGroups({ ...plan, shard: [2, 2] }).length,
      plan.groups.length,
    );
    assert.equal(s1.store.computed.scan, 1);
    assert.equal(s2.store.computed.scan, 1);
    const shared = [...s1.store.touched].filter((k) => s2.store.touched.has(k));
    assert.deepEqual(shared, [], 'no artifact computed by both shards');
    const merged = await runIn('merged', FAST, 2, ['s1', 's2']);
    assert.ok(
      !Object.keys(merged.store.computed).some((k) => k.startsWith('vis') || k === 'scan'),
      JSON.stringify(merged.store.computed),
    );
    assert.deepEqual([...merged.site!.files.keys()].sort(), [...one.site!.files.keys()].sort());
    for (const [f, text] of one.site!.files) assert.equal(merged.site!.files.get(f), text, f);
    assert.equal(merged.site!.index, one.site!.index);
  });

  it('merging scans of uneven slices is the scan of the whole set, ties included', async () => {
    const tied: ImageSet = {
      ...set,
      images: set.images.map((v, i) => (Math.floor(i / 144) % 5 === 0 ? 0.5 : v)),
    };
    const layers = ['conv', 'conv:pre', 'logits'];
    const whole = await scanTopK(model, tied, { layers, k: 4, bottomK: 4 });
    const part = (from: number, to: number) =>
      scanTopK(
        model,
        [{ images: tied.images.subarray(from * 144, to * 144), count: to - from, offset: from }],
        { layers, k: 4, bottomK: 4, dataset: tied.name },
      );
    const merged = mergeScans([await part(0, 7), await part(7, 30), await part(30, 40)]);
    for (const [i, l] of whole.layers.entries()) {
      assert.deepEqual(merged.layers[i].values, l.values);
      assert.deepEqual(merged.layers[i].indices, l.indices);
      assert.deepEqual(merged.layers[i].positions, l.positions);
      assert.deepEqual(merged.layers[i].bottom, l.bottom);
    }
    // Bottom is the lowest first and really the minimum.
    const b = whole.layers[2].bottom!;
    const logits = tf.tidy(() =>
      model.activations(tf.tensor4d(tied.images, [40, 12, 12, 1]), ['logits'])[0].arraySync(),
    ) as number[][];
    assert.ok(Math.abs(b.values[0][0] - Math.min(...logits.map((r) => r[0]))) < 1e-5);
    assert.ok(b.values[0][0] <= b.values[0][1]);
  });
});

describe('connections', () => {
  it('dense and conv connection strengths, worked out by hand', () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [4, 4, 1],
        filters: 2,
        kernelSize: 1,
        name: 'c1',
        useBias: false,
      }),
    );
    m.add(tf.layers.conv2d({ filters: 1, kernelSize: 2, name: 'c2', useBias: false }));
    m.add(tf.layers.flatten({ name: 'f' }));
    m.add(tf.layers.dense({ units: 2, name: 'd', useBias: false }));
    // c2 kernel [2,2,2,1]: from channel 0 the taps 1,2,3,4 (sum 10), from channel 1 −1,−1,−1,−2 (sum −5).
    m.getLayer('c2').setWeights([tf.tensor4d([1, -1, 2, -1, 3, -1, 4, -2], [2, 2, 2, 1])]);
    // d kernel [9, 2] over c2's 3×3×1 map: column 0 all 1 (sum 9), column 1 alternating ±1 (sum 1).
    m.getLayer('d').setWeights([
      tf.tensor2d(Array.from({ length: 9 }, (_, i) => [1, i % 2 ? -1 : 1]).flat(), [9, 2]),
    ]);
    const vm = fromLayersModel(m, { range: [0, 1] });
    const c2 = connectionMatrix(vm, 'c2');
    assert.equal(c2.below.name, 'c1');
    assert.deepEqual(Array.from(c2.matrix), [10, -5]);
    assert.deepEqual(strongestInputs(c2, 0, 2), [
      { unit: 0, weight: 10 },
      { unit: 1, weight: -5 },
    ]);
    const d = connectionMatrix(vm, 'd');
    assert.equal(d.below.name, 'c2');
    assert.deepEqual(Array.from(d.matrix), [9, 1]);
    assert.deepEqual(strongestOutputs(d, 0, 1), [{ unit: 0, weight: 9 }]);
    assert.throws(() => connectionMatrix(vm, 'c1'), /no weighted layer below/);
  });
});

describe('one process, many layers (as the report runs them)', () => {
  it('after a dense pre-activation ascent, gradients through the same dense layer still work (wasm matMul transpose cache)', () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [4, 4, 1], name: 'f' }));
    m.add(
      tf.layers.dense({
        units: 3,
        activation: 'relu',
        name: 'h',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
    );
    m.add(
      tf.layers.dense({
        units: 2,
        name: 'out',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    );
    const vm = fromLayersModel(m, { range: [0, 1] });
    const x = tf.tensor4d(values(3 * 16, 3), [3, 4, 4, 1]);
    const grad = (l: string) =>
      tf.tidy(() =>
        tf
          .grad((xi: tf.Tensor) => vm.activations(xi as tf.Tensor4D, [l])[0].sum())(x)
          .dataSync(),
      );
    const before = grad('out');
    for (let i = 0; i < 3; i++) grad('h:pre');
    assert.deepEqual(Array.from(grad('out')), Array.from(before));
    x.dispose();
  });
});

describe('report bad input', () => {
  it('names the unknown layer, the impossible shard, the checkpoint of another architecture', () => {
    assert.throws(
      () => planReport(model, { layers: ['nope'] }),
      (e: Error) =>
        e instanceof DeepvisError && /nope/.test(e.message) && !e.message.includes('\n'),
    );
    assert.throws(
      () => parseShard('3/2'),
      (e: Error) => e instanceof DeepvisError && /--shard 3\/2/.test(e.message),
    );
    assert.throws(() => parseShard('x'), /K\/N/);
    assert.deepEqual(parseShard('2/3'), [2, 3]);
    const other = smallCnn(12, 5, 3);
    assert.throws(
      () =>
        checkSameArchitecture(model, {
          label: 'e1',
          path: 'ckpt/epoch-1',
          model: other,
          hash: 'x',
        }),
      (e: Error) =>
        e instanceof DeepvisError && /ckpt\/epoch-1 has a different architecture/.test(e.message),
    );
    checkSameArchitecture(model, {
      label: 'e1',
      path: 'same',
      model: smallCnn(12, 4, 3),
      hash: 'y',
    });
  });
});

describe('report HTML', () => {
  it('relative links from nested pages, escaped text, alt text and navigation marks', () => {
    assert.equal(relativeHref('units/conv/3.html', 'layers/conv.html'), '../../layers/conv.html');
    assert.equal(relativeHref('index.html', 'a/x.png'), 'a/x.png');
    assert.equal(
      relativeHref('units/c/1.html', 'http://localhost:8080/#x'),
      'http://localhost:8080/#x',
    );
    const html = pageHtml({
      path: 'units/c/1.html',
      title: 'c <1>',
      crumbs: [{ text: 'model', href: 'index.html' }],
      nav: {
        prev: { text: 'unit 0', href: 'units/c/0.html' },
        nextLayer: { text: 'layer d', href: 'units/d/1.html' },
      },
      sections: [
        {
          kind: 'figures',
          title: 'F',
          figures: [{ src: 'a/v/k-u1.png', alt: 'unit "1"', numbers: { act: 1.5 } }],
        },
      ],
    });
    assert.match(html, /<h1>c &lt;1&gt;<\/h1>/);
    assert.match(html, /<img src="..\/..\/a\/v\/k-u1.png" alt="unit &quot;1&quot;"/);
    assert.match(html, /href="..\/..\/units\/c\/0.html" data-nav="prev"/);
    assert.match(html, /data-nav="next-layer"/);
    assert.match(html, /<dt>act<\/dt><dd>1.5<\/dd>/);
    assert.match(html, /src="..\/..\/site.js"/);
  });
});
