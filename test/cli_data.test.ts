/**
 * The data-centric commands end to end on every kind of model deepvis handles — a CNN, an MLP, a
 * stacked autoencoder and a DBN trained here on MNIST, and the converted graph model (separable
 * conv, batch norm, fused ops) on a folder of labelled images — plus their bad inputs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ATTRIBUTIONS } from '../src/attribution/registry.js';
import { graphModelArtifacts } from './fixtures/graph_model.js';

const root = path.resolve(import.meta.dirname, '..');
let dir: string;
const models: Record<string, string> = {};

function deepvis(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args],
    { cwd: root, encoding: 'utf8', timeout: 240_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(...args: string[]): string {
  const r = deepvis(...args, '--quiet');
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

async function isPng(file: string): Promise<void> {
  const meta = await sharp(file).metadata();
  assert.equal(meta.format, 'png', file);
  assert.ok(meta.width! > 20 && meta.height! > 20, file);
}

/** The graph fixture on disk, and 24 labelled 12×12 RGB images in class folders. */
async function graphFixture(): Promise<void> {
  const art = graphModelArtifacts(1);
  const g = path.join(dir, 'graph');
  mkdirSync(g, { recursive: true });
  writeFileSync(path.join(g, 'weights.bin'), Buffer.from(art.weightData as ArrayBuffer));
  writeFileSync(
    path.join(g, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      generatedBy: art.generatedBy,
      convertedBy: art.convertedBy,
      modelTopology: art.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }],
      userDefinedMetadata: { deepvis: { inputRange: [0, 1] } },
    }),
  );
  models.graph = g;
  for (let k = 0; k < 3; k++) {
    const cls = path.join(dir, 'images', `class${k}`);
    mkdirSync(cls, { recursive: true });
    for (let i = 0; i < 8; i++) {
      const px = Buffer.alloc(12 * 12 * 3);
      for (let p = 0; p < px.length; p++)
        px[p] = (p % 3 === k ? 160 : 30) + ((p * 7 + i * 13) % 60);
      await sharp(px, { raw: { width: 12, height: 12, channels: 3 } })
        .png()
        .toFile(path.join(cls, `${i}.png`));
    }
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-data-'));
  for (const [name, args] of Object.entries({
    cnn: ['--arch', 'cnn', '--epochs', '1'],
    mlp: ['--arch', 'mlp', '--epochs', '1'],
    sae: ['--arch', 'sae', '--layers', '64,32', '--pretrain-epochs', '1', '--epochs', '1'],
    dbn: ['--arch', 'dbn', '--layers', '64,32', '--pretrain-epochs', '1', '--epochs', '1'],
  })) {
    models[name] = path.join(dir, name);
    ok('train', ...args, '--data', 'mnist', '--out', models[name]);
  }
  await graphFixture();
});
after(() => rm(dir, { recursive: true, force: true }));

describe('data-centric commands', () => {
  it('CNN: activations, topk (index reused), deconv, occlusion, attribute, lincomb, sensitivity, embed', async () => {
    const out = path.join(dir, 'cnn-out');
    const m = models.cnn;
    ok('activations', '--model', m, '--input', 'mnist:0', '--out', out);
    const act = json(path.join(out, 'activations.json'));
    assert.equal(act.predictions.length, 5);
    assert.deepEqual(
      act.layers.map((l: { layer: string }) => l.layer),
      ['conv1', 'pool1', 'conv2', 'pool2', 'conv3', 'pool3', 'dense1', 'logits', 'softmax'],
    );
    await isPng(path.join(out, 'activations.png'));

    const scan = ok('topk', '--model', m, '--data', 'mnist', '--out', out);
    assert.match(scan, /scanned 2000 images/);
    const index = json(path.join(out, 'topk-index.json'));
    const conv2 = index.layers.find((l: { layer: string }) => l.layer === 'conv2');
    assert.equal(conv2.indices[0].length, 9);
    assert.deepEqual(conv2.receptiveField.size, [8, 8]);
    await isPng(path.join(out, 'topk-conv2.png'));
    const again = ok(
      'topk',
      '--model',
      m,
      '--index',
      path.join(out, 'topk-index.json'),
      '--layers',
      'dense1',
      '--units',
      '0-3',
      '--out',
      path.join(out, 're'),
    );
    assert.doesNotMatch(again, /scanned/);
    await isPng(path.join(out, 're', 'topk-dense1.png'));

    ok(
      'deconv',
      '--model',
      m,
      '--layer',
      'conv2',
      '--units',
      '0-3',
      '--index',
      path.join(out, 'topk-index.json'),
      '--out',
      out,
    );
    assert.equal(json(path.join(out, 'conv2-deconv.json')).units.length, 4);
    ok(
      'deconv',
      '--model',
      m,
      '--layer',
      'pool2',
      '--units',
      '0-1',
      '--k',
      '3',
      '--unpool',
      'nearest',
      '--out',
      out,
    );
    await isPng(path.join(out, 'pool2-deconv-noswitch.png'));

    ok(
      'occlusion',
      '--model',
      m,
      '--input',
      'mnist:1',
      '--size',
      '7',
      '--stride',
      '3',
      '--out',
      out,
    );
    const occ = json(path.join(out, 'occlusion-mnist_1.json'));
    // Squares at 0, 3, …, 21 (the last one flush with the border).
    assert.equal(occ.drops.length, 8);
    ok(
      'attribute',
      '--model',
      m,
      '--input',
      'mnist:0-2',
      '--samples',
      '4',
      '--ig-steps',
      '8',
      '--out',
      out,
    );
    const attr = json(path.join(out, 'attribute-all.json'));
    // Every method runs but those a CNN cannot serve (attention maps), each skipped with its reason in the JSON.
    assert.deepEqual(
      [
        ...attr.maps.map((x: { method: string }) => x.method),
        ...attr.skipped.map((x: { method: string }) => x.method),
      ].sort(),
      ATTRIBUTIONS.map((x) => x.name).sort(),
      '--method all runs every method',
    );
    assert.deepEqual(
      attr.skipped.map((x: { method: string }) => x.method),
      ['attention', 'rollout', 'chefer'],
    );
    assert.equal(
      attr.maps.find((x: { method: string }) => x.method === 'gradcam').camLayer,
      'conv3',
    );
    await isPng(path.join(out, 'attribute-all.png'));

    ok('lincomb', '--model', m, '--layer', 'conv2', '--units', '0-7', '--out', out);
    ok(
      'sensitivity',
      '--model',
      m,
      '--layer',
      'logits',
      '--units',
      '0-3',
      '--steps',
      '20',
      '--out',
      out,
    );
    const sens = json(path.join(out, 'logits-sensitivity.json'));
    assert.equal(sens.normalized.length, 4);
    ok('embed', '--model', m, '--count', '200', '--iterations', '150', '--out', out);
    const emb = json(path.join(out, 'dense1-tsne.json'));
    assert.equal(emb.points.length, 200);
    assert.ok(emb.knnAccuracy > 0.6, `t-SNE of dense1 separates digits: ${emb.knnAccuracy}`);
  });

  it('MLP, stacked autoencoder and DBN: topk, attribute, lincomb, occlusion, embed, activations, deconv; specificity side by side; sensitivity', async () => {
    const out = path.join(dir, 'stacks-out');
    for (const [name, layer] of [
      ['mlp', 'dense1'],
      ['sae', 'h2'],
      ['dbn', 'h2'],
    ]) {
      const o = path.join(out, name);
      ok('topk', '--model', models[name], '--layers', layer, '--units', '0-3', '--out', o);
      await isPng(path.join(o, `topk-${layer}.png`));
      ok(
        'attribute',
        '--model',
        models[name],
        '--input',
        'mnist:3',
        '--method',
        'saliency,guided,integrated-gradients',
        '--ig-steps',
        '8',
        '--out',
        o,
      );
      ok(
        'lincomb',
        '--model',
        models[name],
        '--layer',
        layer,
        '--units',
        '0-3',
        '--k',
        '20',
        '--out',
        o,
      );
      ok(
        'occlusion',
        '--model',
        models[name],
        '--input',
        'mnist:3',
        '--layer',
        layer,
        '--units',
        '1',
        '--out',
        o,
      );
      ok(
        'embed',
        '--model',
        models[name],
        '--layer',
        layer,
        '--method',
        'pca',
        '--count',
        '100',
        '--out',
        o,
      );
      ok('activations', '--model', models[name], '--input', 'mnist:4', '--out', o);
      ok(
        'deconv',
        '--model',
        models[name],
        '--layer',
        layer,
        '--units',
        '0-1',
        '--k',
        '3',
        '--out',
        o,
      );
    }
    ok(
      'sensitivity',
      '--model',
      models.dbn,
      '--layer',
      'h2',
      '--units',
      '0-5',
      '--steps',
      '20',
      '--out',
      out,
    );
    assert.equal(json(path.join(out, 'h2-sensitivity.json')).raw.length, 6);
    ok(
      'specificity',
      '--model',
      [models.mlp, models.sae, models.dbn].join(','),
      '--data',
      'mnist',
      '--out',
      out,
    );
    const spec = json(path.join(out, 'specificity.json'));
    assert.deepEqual(
      spec.models.map((m: { layers: Array<{ layer: string }> }) => m.layers.map((l) => l.layer)),
      [
        ['dense1', 'dense2'],
        ['h1', 'h2'],
        ['h1', 'h2'],
      ],
    );
    await isPng(path.join(out, 'specificity-fractions.png'));
    await isPng(path.join(out, 'specificity-profiles.png'));
  });

  it('graph model (separable conv, batch norm, fused ops) on a folder of images', async () => {
    const out = path.join(dir, 'graph-out');
    const g = models.graph;
    const images = path.join(dir, 'images');
    const img = path.join(images, 'class1', '0.png');
    ok('activations', '--model', g, '--input', img, '--out', out);
    ok('topk', '--model', g, '--data', images, '--split', 'all', '--k', '4', '--out', out);
    const index = json(path.join(out, 'topk-index.json'));
    assert.equal(index.dataset.count, 24);
    assert.ok(index.layers.some((l: { layer: string }) => l.layer === 'dw'));
    ok(
      'deconv',
      '--model',
      g,
      '--layer',
      'pw/conv',
      '--units',
      '0-2',
      '--index',
      path.join(out, 'topk-index.json'),
      '--out',
      out,
    );
    ok(
      'attribute',
      '--model',
      g,
      '--input',
      img,
      '--samples',
      '3',
      '--ig-steps',
      '4',
      '--out',
      out,
    );
    ok('occlusion', '--model', g, '--input', img, '--size', '4', '--out', out);
    ok('lincomb', '--model', g, '--layer', 'pw/conv', '--units', '0-3', '--out', out);
    ok('specificity', '--model', g, '--data', images, '--layers', 'pw/conv,bn/relu', '--out', out);
    ok(
      'embed',
      '--model',
      g,
      '--layer',
      'fc/matmul',
      '--data',
      images,
      '--split',
      'all',
      '--method',
      'umap',
      '--count',
      '24',
      '--iterations',
      '50',
      '--out',
      out,
    );
    ok(
      'sensitivity',
      '--model',
      g,
      '--layer',
      'fc/matmul',
      '--units',
      '0-2',
      '--steps',
      '10',
      '--out',
      out,
    );
    // Graph layers are named by their Keras layer ('pw'); node paths ('pw/conv') are aliases.
    for (const f of [
      'activations.png',
      'topk-pw.png',
      'pw-deconv.png',
      'attribute-all.png',
      'pw-lincomb.png',
      'specificity-fractions.png',
      'fc-umap.png',
    ])
      await isPng(path.join(out, f));
  });

  const bad: Array<[string, string[], RegExp]> = [
    [
      'unknown attribution method',
      ['attribute', '--model', '@cnn', '--input', 'mnist:0', '--method', 'lrp'],
      /unknown method 'lrp'; known: saliency, guided/,
    ],
    [
      'a top-k index of another model',
      ['deconv', '--model', '@mlp', '--layer', 'dense1', '--index', '@index'],
      /was made for another model: layer 'conv1'/,
    ],
    [
      'a missing top-k index',
      ['topk', '--model', '@cnn', '--index', '/nonexistent/topk-index.json'],
      /cannot read top-k index \/nonexistent\/topk-index.json/,
    ],
    [
      'occlusion square larger than the input',
      ['occlusion', '--model', '@cnn', '--input', 'mnist:0', '--size', '40'],
      /occlusion square of 40 px does not fit a 28×28 input/,
    ],
    [
      'Grad-CAM on a flat layer',
      [
        'attribute',
        '--model',
        '@cnn',
        '--input',
        'mnist:0',
        '--method',
        'gradcam',
        '--cam-layer',
        'dense1',
      ],
      /Grad-CAM needs a convolutional layer; 'dense1' is flat/,
    ],
    [
      'deconv unit out of range',
      ['deconv', '--model', '@cnn', '--layer', 'conv1', '--units', '16', '--k', '2'],
      /unit 16 out of range for layer 'conv1', which has 16 units/,
    ],
    [
      'specificity without labels',
      ['specificity', '--model', '@cnn', '--data', '@flat'],
      /specificity needs labels/,
    ],
    [
      'embedding too few images',
      ['embed', '--model', '@cnn', '--count', '3'],
      /--count must be at least 5/,
    ],
    [
      'lincomb on a layer without weights',
      ['lincomb', '--model', '@cnn', '--layer', 'pool1'],
      /layer 'pool1' has no weights of its own/,
    ],
    [
      'image list out of range',
      ['attribute', '--model', '@cnn', '--input', 'mnist:1990-2005'],
      /mnist has 2000 evaluation images; (mnist:)?1990-2005 is out of range/,
    ],
  ];
  for (const [what, args, message] of bad) {
    it(`bad input — ${what}: one line, exit 1, no output`, async () => {
      const out = path.join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      const flat = path.join(dir, 'flat');
      if (!existsSync(flat)) {
        mkdirSync(flat, { recursive: true });
        for (let i = 0; i < 6; i++)
          await sharp(Buffer.alloc(28 * 28, i * 40), {
            raw: { width: 28, height: 28, channels: 1 },
          })
            .png()
            .toFile(path.join(flat, `${i}.png`));
      }
      const sub: Record<string, string> = {
        '@cnn': models.cnn,
        '@mlp': models.mlp,
        '@index': path.join(dir, 'cnn-out', 'topk-index.json'),
        '@flat': flat,
      };
      const r = deepvis(...args.map((a) => sub[a] ?? a), '--out', out);
      assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
      assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'output left behind');
    });
  }
});
