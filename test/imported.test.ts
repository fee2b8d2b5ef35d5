/**
 * Every method on imported, trained models (issue 12 item 5): a ResNet-style and a MobileNet-style
 * network trained by PyTorch on deepvis's own MNIST split and exported to ONNX
 * (test/fixtures/onnx/trained/, scripts/fixtures/train_torch_mnist.py). The CLI runs in this process
 * (main(), as bin/deepvis runs it) at small sizes; what is asserted is what a trained model makes
 * true: deepvis's accuracy and logits are torch's, the logit units' top-k are their own digit,
 * optimized images beat a blank and a random start, attributions sit on the strokes, receptive
 * fields are the hand-worked ones.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { main } from '../src/cli/main.js';
import { loadDataSplit } from '../src/data/load.js';
import type { ImageSet } from '../src/data/dataset.js';
import { loadModel } from '../src/io/model_files.js';
import type { VisModel } from '../src/model/types.js';
import { unitScores } from '../src/objectives/units.js';
import { serve } from '../src/serve/server.js';
import { assertClose, setup } from './helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.join(root, 'test/fixtures/onnx/trained');

interface Case {
  name: string;
  /** Layer names as deepvis derives them from the exporter's node names. */
  early: string;
  mid: string;
  deep: string;
  logits: string;
  pooled: string;
  /** Hand-worked receptive fields [size, stride] of `early` and `deep` (3×3 convs, stride-2 stages). */
  rfEarly: [number, number];
  rfDeep: [number, number];
  inspect: RegExp[];
}

const CASES: Case[] = [
  {
    // conv1 3×3 → RF 3; layer1 two 3×3 → 7; layer2 3×3/2 → 9 (jump 2), 3×3 → 13; layer3 3×3/2 → 17 (jump 4), 3×3 → 25.
    name: 'mnist-resnet',
    early: 'layer1.0.relu_1',
    mid: 'layer2.0.relu_1',
    deep: 'layer3.0.relu_1',
    logits: 'fc',
    pooled: 'avgpool',
    rfEarly: [7, 1],
    rfDeep: [25, 4],
    inspect: [
      /layer2\.0\.downsample\.0\s+Conv\s+14×14×32/,
      /layer3\.0\/Add\s+Add\s+7×7×32/,
      /fc\s+Gemm\s+10/,
    ],
  },
  {
    // stem 3×3 → 3; features.1 dw 3×3 → 5; features.2 dw 3×3/2 → 7 (jump 2); features.3 dw → 11;
    // features.4 dw 3×3/2 → 15 (jump 4); features.5 dw → 23; 1×1 convs add nothing.
    name: 'mnist-mobilenet',
    early: 'features.1.conv.0.2',
    mid: 'features.3',
    deep: 'features.6.2',
    logits: 'classifier',
    pooled: 'avgpool',
    rfEarly: [5, 1],
    rfDeep: [23, 4],
    inspect: [
      /features\.1\.conv\.0\.0\s+Conv\s+28×28×16/,
      /features\.3\s+Add\s+14×14×16/,
      /features\.5\s+Add\s+7×7×24/,
      /features\.6\.2\s+Clip\s+7×7×64/,
      /classifier\s+Gemm\s+10/,
    ],
  },
];

let dir: string;
let test: ImageSet;
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/**
 * Runs the CLI in this process; returns what it printed, fails with its one-line error. The CLI
 * prints through console.log and its error line through process.stderr; process.stdout itself is
 * left alone (the test runner's own report goes through it while a command runs).
 */
async function cli(...args: string[]): Promise<string> {
  const out: string[] = [];
  const saved = { log: console.log, err: process.stderr.write };
  console.log = (...a: unknown[]) => void out.push(`${a.join(' ')}\n`);
  process.stderr.write = ((s: string | Uint8Array) => (
    out.push(String(s)),
    true
  )) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(args);
  } finally {
    console.log = saved.log;
    process.stderr.write = saved.err;
  }
  assert.equal(code, 0, `deepvis ${args.join(' ')}: ${out.join('')}`);
  return out.join('');
}

/** The one file of a command's output folder ending in `suffix` (names follow the layer and --pre). */
function only(dir: string, suffix: string): string {
  const hits = readdirSync(dir).filter((f) => f.endsWith(suffix));
  assert.equal(
    hits.length,
    1,
    `${dir}: ${hits.length} files *${suffix} (${readdirSync(dir).join(', ')})`,
  );
  return path.join(dir, hits[0]);
}

async function isPng(file: string): Promise<void> {
  const meta = await sharp(file).metadata();
  assert.equal(meta.format, 'png', file);
  assert.ok(meta.width! >= 28 && meta.height! >= 28, file);
}

/** Unit scores (channel means for conv maps) of `layer` on images [n, 28, 28, 1]. */
function scores(model: VisModel, layer: string, images: tf.Tensor4D, units: number[]): number[][] {
  return tf.tidy(() => {
    const [a] = model.activations(images, [layer]);
    const s = unitScores(a, model.layer(layer.replace(/:pre$/, ''))).arraySync();
    return s.map((row) => units.map((u) => row[u]));
  });
}

/** Whether a 28×28 digit has ink (> 0.05) within `r` pixels (Chebyshev) of pixel p. */
function inkWithin(img: Float32Array, p: number, r: number): boolean {
  const y = Math.floor(p / 28),
    x = p % 28;
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const yy = y + dy,
        xx = x + dx;
      if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28 && img[yy * 28 + xx] > 0.05) return true;
    }
  }
  return false;
}

/**
 * deepvis predicts as torch did on the 2,000 test digits: accuracy within 0.5 points of torch's
 * (and above `floor`), at most 2 predictions differing, the first 16 images' logits within 1e-4.
 */
function predictsAsTorch(
  model: VisModel,
  train: {
    testCount: number;
    testAccuracy: number;
    testPredictions: string;
    logits16: number[][] | string;
  },
  floor: number,
  name: string,
): void {
  assert.equal(test.count, train.testCount);
  const pred: number[] = [];
  for (let i = 0; i < test.count; i += 250) {
    const n = Math.min(250, test.count - i);
    pred.push(
      ...tf.tidy(
        () =>
          model
            .predict(tf.tensor4d(test.images.subarray(i * 784, (i + n) * 784), [n, 28, 28, 1]))
            .argMax(1)
            .arraySync() as number[],
      ),
    );
  }
  const acc = pred.filter((p, i) => p === test.labels![i]).length / test.count;
  assert.ok(
    Math.abs(acc - train.testAccuracy) <= 0.005,
    `deepvis ${acc} vs torch ${train.testAccuracy}`,
  );
  assert.ok(acc > floor, `a trained model: accuracy ${acc}`);
  const agree = pred.filter((p, i) => String(p) === train.testPredictions[i]).length;
  assert.ok(
    agree >= test.count - 2,
    `${test.count - agree} of ${test.count} predictions differ from torch's`,
  );
  const logits = tf.tidy(
    () =>
      model
        .predict(tf.tensor4d(test.images.subarray(0, 16 * 784), [16, 28, 28, 1]))
        .dataSync() as Float32Array,
  );
  const expected =
    typeof train.logits16 === 'string'
      ? (JSON.parse(train.logits16) as number[][])
      : train.logits16;
  assertClose(logits, expected.flat(), 1e-4, `${name} logits`);
}

before(async () => {
  await setup('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-imported-'));
  test = (await loadDataSplit('mnist')).test;
});
after(() => rm(dir, { recursive: true, force: true }));

for (const c of CASES) {
  const m = path.join(FIXTURES, c.name);
  const out = (what: string) => path.join(dir, c.name, what);

  describe(`imported ${c.name} (ONNX from PyTorch, trained)`, () => {
    let model: VisModel;
    let train: {
      testAccuracy: number;
      testCount: number;
      testPredictions: string;
      logits16: number[][];
    };
    before(async () => {
      train = json(path.join(m, 'train.json'));
      model = await loadModel(m);
    });
    after(() => model?.dispose());

    it('predicts as torch did: accuracy on the 2,000 test digits, logits of the first 16', async () => {
      predictsAsTorch(model, train, 0.95, c.name);
    });

    it('inspect (the CLI as a process): input facts from deepvis.json, layer table, gradients', () => {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), 'inspect', m],
        { cwd: root, encoding: 'utf8', timeout: 120_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const text = r.stdout;
      assert.match(text, /format: onnx/);
      assert.match(text, /input: 28×28×1 \(model\)/);
      assert.match(text, /value range: 0 … 1 \(metadata\)\s+channel order: gray \(metadata\)/);
      assert.match(text, /classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9/);
      assert.match(text, /input gradients: ok/);
      for (const re of c.inspect) assert.match(text, re);
    });

    it('maximize, every method: each unit ends above where the method starts', async () => {
      // Where each method starts: erhan from uniform noise, yosinski from the neutral (dark) image,
      // lucid from sigmoid(≈0) = mid-range grey; data-driven records its start (the best digit).
      const starts: Record<string, tf.Tensor4D> = {
        erhan: tf.randomUniform([1, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D,
        yosinski: tf.zeros([1, 28, 28, 1]) as tf.Tensor4D,
        lucid: tf.fill([1, 28, 28, 1], 0.5) as tf.Tensor4D,
      };
      const runs: [string, string, string[]][] = [
        ['erhan', c.deep, ['--steps', '20', '--restarts', '1']],
        ['yosinski', c.logits, ['--steps', '20']],
        ['lucid', c.logits, ['--steps', '48']],
        ['data-driven', c.mid, ['--steps', '10', '--data', 'mnist']],
      ];
      for (const [method, layer, extra] of runs) {
        const o = out(`max-${method}`);
        await cli(
          'maximize',
          '--model',
          m,
          '--layer',
          layer,
          '--units',
          '0-3',
          '--method',
          method,
          ...extra,
          '--out',
          o,
          '--quiet',
        );
        const r = json(only(o, `-${method}.json`));
        await isPng(only(o, `-${method}.png`));
        assert.deepEqual(
          r.units.map((u: { unit: number }) => u.unit),
          [0, 1, 2, 3],
        );
        // Data-driven's final image is the ascent's after the step filter (binarized at 0.9), which
        // costs activation — on these models often below the start digit's — so its ascent is what climbs.
        const reached: number[] =
          method === 'data-driven'
            ? r.ascentActivations
            : r.units.map((u: { activation: number }) => u.activation);
        const start: number[] = starts[method]
          ? scores(model, r.layer, starts[method], [0, 1, 2, 3])[0]
          : r.startActivations;
        assert.equal(start.length, 4);
        reached.forEach((a, i) =>
          assert.ok(a > start[i], `${method} ${r.layer} unit ${i}: ${a} ≤ start ${start[i]}`),
        );
        if (method === 'data-driven')
          r.units.forEach((u: { bestDatasetActivation: unknown }) =>
            assert.equal(typeof u.bestDatasetActivation, 'number'),
          );
      }
      Object.values(starts).forEach((t) => t.dispose());
    });

    it('dream on a digit raises the layer energy every octave; dream of units from noise', async () => {
      const o = out('dream');
      await cli(
        'dream',
        '--model',
        m,
        '--layer',
        c.mid,
        '--input',
        'mnist:0',
        '--octaves',
        '2',
        '--steps',
        '6',
        '--out',
        o,
        '--quiet',
      );
      const stem = c.mid.replace(/\//g, '_');
      const r = json(path.join(o, `${stem}-dream.json`));
      await isPng(path.join(o, `${stem}-dream.png`));
      for (const oct of r.octaves) assert.ok(oct.last > oct.first, `octave ${JSON.stringify(oct)}`);
      const u = out('dream-units');
      await cli(
        'dream',
        '--model',
        m,
        '--layer',
        c.logits,
        '--units',
        '0-2',
        '--steps',
        '30',
        '--out',
        u,
        '--quiet',
      );
      const ru = json(path.join(u, `${c.logits}-dream.json`));
      assert.deepEqual(
        ru.units.map((x: { unit: number }) => x.unit),
        [0, 1, 2],
      );
      await isPng(path.join(u, `${c.logits}-dream.png`));
    });

    it('invert a digit from two layers', async () => {
      const o = out('invert');
      await cli(
        'invert',
        '--model',
        m,
        '--layer',
        `${c.mid},${c.logits}`,
        '--input',
        'mnist:1',
        '--restarts',
        '1',
        '--steps',
        '30',
        '--out',
        o,
        '--quiet',
      );
      const stem = `${c.mid.replace(/\//g, '_')}+${c.logits}-invert`;
      const r = json(path.join(o, `${stem}.json`));
      await isPng(path.join(o, `${stem}.png`));
      assert.deepEqual(
        r.layers.map((l: { layer: string }) => l.layer),
        [c.mid, c.logits],
      );
      for (const l of r.layers)
        assert.ok(
          l.errors.every((e: number) => Number.isFinite(e)),
          JSON.stringify(l.errors),
        );
    });

    it('activations: the right digit on top, channel maxima as the model computes them', async () => {
      const o = out('act');
      await cli('activations', '--model', m, '--input', 'mnist:2', '--out', o, '--quiet');
      const r = json(path.join(o, 'activations.json'));
      await isPng(path.join(o, 'activations.png'));
      assert.equal(r.predictions[0].label, String(test.labels![2]));
      const early = r.layers.find((l: { layer: string }) => l.layer === c.early);
      assert.ok(early, `no ${c.early} in activations.json`);
      const own = tf.tidy(
        () =>
          model
            .activations(tf.tensor4d(test.images.subarray(2 * 784, 3 * 784), [1, 28, 28, 1]), [
              c.early,
            ])[0]
            .max([0, 1, 2])
            .arraySync() as number[],
      );
      assertClose(early.channelMax, own, 1e-5, `${c.early} channel maxima`);
      assert.ok(existsSync(path.join(o, `activations-${c.deep.replace(/\//g, '_')}.png`)));
    });

    it('topk with receptive-field crops, then deconv from its index', async () => {
      const o = out('topk');
      await cli(
        'topk',
        '--model',
        m,
        '--data',
        'mnist',
        '--layers',
        `${c.early},${c.deep},${c.logits}`,
        '--k',
        '4',
        '--units',
        '6',
        '--out',
        o,
        '--quiet',
      );
      const index = json(path.join(o, 'topk-index.json'));
      for (const l of [c.early, c.deep, c.logits]) await isPng(path.join(o, `topk-${l}.png`));
      const byName = (n: string) => index.layers.find((l: { layer: string }) => l.layer === n);
      assert.deepEqual(
        [byName(c.early).receptiveField.size[0], byName(c.early).receptiveField.stride[0]],
        c.rfEarly,
      );
      assert.deepEqual(
        [byName(c.deep).receptiveField.size[0], byName(c.deep).receptiveField.stride[0]],
        c.rfDeep,
      );
      // A class logit's strongest test digits are that digit (a trained model, 97% accurate).
      const logits = byName(c.logits);
      const hits = (logits.indices as number[][])
        .flatMap((ix, unit) => ix.map((i) => test.labels![i] === unit))
        .filter(Boolean).length;
      assert.ok(hits >= 38, `${hits} of 40 top-4 digits of the logits are their unit's class`);

      const d = out('deconv');
      await cli(
        'deconv',
        '--model',
        m,
        '--layer',
        c.deep,
        '--index',
        path.join(o, 'topk-index.json'),
        '--units',
        '0-1',
        '--out',
        d,
        '--quiet',
      );
      const stem = `${c.deep.replace(/\//g, '_')}-deconv`;
      const r = json(path.join(d, `${stem}.json`));
      await isPng(path.join(d, `${stem}.png`));
      assert.deepEqual(r.receptiveField, [c.rfDeep[0], c.rfDeep[0]]);
      r.units.forEach((u: { unit: number; indices: number[] }) =>
        assert.deepEqual(u.indices, byName(c.deep).indices[u.unit]),
      );
    });

    it('attribute --method all: the predicted digit, maps on the strokes', async () => {
      const o = out('attr');
      await cli(
        'attribute',
        '--model',
        m,
        '--input',
        'mnist:0-1',
        '--method',
        'all',
        '--samples',
        '4',
        '--ig-steps',
        '8',
        '--out',
        o,
        '--quiet',
      );
      const r = json(path.join(o, 'attribute-all.json'));
      await isPng(path.join(o, 'attribute-all.png'));
      const methods = r.maps.map((x: { method: string }) => x.method);
      for (const want of [
        'saliency',
        'guided',
        'deconvnet',
        'smoothgrad',
        'integrated-gradients',
        'gradcam',
        'guided-gradcam',
      ])
        assert.ok(methods.includes(want), `no ${want} in ${methods}`);
      // Guided backprop is the gradient with the backward rule swapped at every ReLU/ReLU6: a map equal
      // to saliency's means the rule never reached the activations (ONNX Clip(0, 6) once ran as ClipByValue).
      const heat = (name: string) =>
        r.maps.find((x: { method: string }) => x.method === name).heat as number[];
      const [g, sal] = [heat('guided'), heat('saliency')];
      assert.ok(
        g.some((v, i) => Math.abs(v - sal[i]) > 1e-3 * Math.max(...sal)),
        'guided backprop gave the plain gradient',
      );
      for (const map of r.maps) {
        assert.deepEqual(map.units, [test.labels![0], test.labels![1]], `${map.method} targets`);
        if (!['saliency', 'smoothgrad', 'guided', 'gradcam'].includes(map.method)) continue;
        for (let i = 0; i < 2; i++) {
          // Mean |heat| on and around the digit (ink within 2 px) against far background (no ink within 4 px):
          // saliency peaks just beside the strokes (where ink would change the class), so "around" counts.
          const img = test.images.subarray(i * 784, (i + 1) * 784);
          let on = 0,
            nOn = 0,
            off = 0,
            nOff = 0;
          for (let p = 0; p < 784; p++) {
            const h = Math.abs(map.heat[i * 784 + p]);
            if (inkWithin(img, p, 2)) {
              on += h;
              nOn++;
            } else if (!inkWithin(img, p, 4)) {
              off += h;
              nOff++;
            }
          }
          assert.ok(
            on / nOn > off / nOff,
            `${map.method} image ${i}: on the digit ${on / nOn} vs far background ${off / nOff}`,
          );
        }
      }
    });

    it("occlusion: the base score is the model's logit, covering the digit lowers it", async () => {
      const o = out('occ');
      await cli(
        'occlusion',
        '--model',
        m,
        '--input',
        'mnist:3',
        '--size',
        '7',
        '--stride',
        '7',
        '--out',
        o,
        '--quiet',
      );
      const r = json(path.join(o, 'occlusion-mnist_3.json'));
      await isPng(path.join(o, 'occlusion-mnist_3.png'));
      const logits = tf.tidy(
        () =>
          model
            .predict(tf.tensor4d(test.images.subarray(3 * 784, 4 * 784), [1, 28, 28, 1]))
            .dataSync() as Float32Array,
      );
      assert.equal(r.unit, logits.indexOf(Math.max(...logits)));
      assert.ok(
        Math.abs(r.base - logits[r.unit]) < 1e-4 * Math.abs(logits[r.unit]) + 1e-5,
        `base ${r.base} vs ${logits[r.unit]}`,
      );
      assert.ok(
        Math.max(...(r.drops as number[][]).flat()) > 0.2 * r.base,
        `drops ${JSON.stringify(r.drops)}`,
      );
    });

    it('embed the pooled features: classes cluster', async () => {
      const o = out('embed');
      await cli(
        'embed',
        '--model',
        m,
        '--layer',
        c.pooled,
        '--data',
        'mnist',
        '--method',
        'pca',
        '--count',
        '300',
        '--out',
        o,
        '--quiet',
      );
      const r = json(path.join(o, `${c.pooled}-pca.json`));
      await isPng(path.join(o, `${c.pooled}-pca.png`));
      assert.equal(r.layer, c.pooled);
      assert.equal(r.points.length, 300);
      assert.ok(r.knnAccuracy > 0.5, `5-NN agreement ${r.knnAccuracy}`);
    });

    it('serve: starts on the .onnx model, serves its file, its sidecar and the page, nothing else', async () => {
      const app = out('app');
      mkdirSync(app, { recursive: true });
      writeFileSync(path.join(app, 'index.html'), '<!doctype html><title>deepvis</title>');
      const s = await serve({
        models: [m],
        appDir: app,
        port: 0,
        cacheDir: out('cache'),
        log: () => {},
      });
      try {
        const get = (p: string) =>
          new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
            const u = new URL(p, s.url);
            request(
              { host: u.hostname, port: u.port, path: u.pathname, headers: { host: u.host } },
              (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (b: Buffer) => chunks.push(b));
                res.on('end', () =>
                  resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }),
                );
              },
            )
              .on('error', reject)
              .end();
          });
        const config = JSON.parse((await get('/api/config')).body.toString());
        assert.equal(config.models.length, 1);
        assert.equal(config.models[0].url, '/models/0/model.onnx');
        assert.deepEqual(config.models[0].input, [28, 28, 1]);
        assert.deepEqual(config.models[0].labels, json(path.join(m, 'deepvis.json')).labels);
        const onnx = await get('/models/0/model.onnx');
        assert.equal(onnx.status, 200);
        assert.ok(onnx.body.equals(readFileSync(path.join(m, 'model.onnx'))));
        assert.equal((await get('/models/0/deepvis.json')).status, 200);
        assert.equal(
          (await get('/models/0/train.json')).status,
          404,
          'train.json is not part of the model',
        );
        const page = await get('/');
        assert.equal(page.status, 200);
        assert.match(page.body.toString(), /<title>deepvis<\/title>/);
      } finally {
        await s.close();
      }
    });
  });
}

/**
 * The trained transformer-era fixtures (issue 24 item 5): torchvision's ViT (patch 4, 4 blocks, a
 * class token on a 7×7 grid) and ConvNeXt, trained by PyTorch on the same split. deepvis predicts
 * as torch did; the transformer's own methods run from the CLI and sit on the strokes.
 */
describe('imported transformer-era models (ViT, ConvNeXt; ONNX from PyTorch, trained)', () => {
  for (const name of ['mnist-vit', 'mnist-convnext']) {
    it(`${name}: accuracy and logits as torch's`, async () => {
      const m = path.join(FIXTURES, name);
      const train = json(path.join(m, 'train.json'));
      const model = await loadModel(m);
      try {
        predictsAsTorch(model, train, 0.9, name);
      } finally {
        model.dispose();
      }
    });
  }

  it('mnist-vit: attribute --method attention,rollout,chefer,token-similarity from the CLI: the maps written, token similarity on the ViT CAM layer', async () => {
    const o = path.join(dir, 'vit-attr');
    await cli(
      'attribute',
      '--model',
      path.join(FIXTURES, 'mnist-vit'),
      '--input',
      'mnist:0-3',
      '--method',
      'attention,rollout,chefer,token-similarity',
      '--out',
      o,
      '--quiet',
    );
    const r = json(path.join(o, 'attribute-attention+rollout+chefer+token-similarity.json'));
    assert.equal(
      r.maps.find((x: { method: string }) => x.method === 'token-similarity').camLayer,
      'vit.encoder.layers.encoder_layer_3.ln_1',
    );
    await isPng(path.join(o, 'attribute-attention+rollout+chefer+token-similarity.png'));
  });

  it('maximize --target cosine:REF (two references in a .npy): each image beats every data-set digit of another class; a short .json is one line', async () => {
    const m = path.join(FIXTURES, 'mnist-resnet');
    const model = await loadModel(m);
    const o = path.join(dir, 'cosine');
    mkdirSync(o, { recursive: true });
    try {
      // References: the embeddings at the pooled layer of test digit 0 and of a digit of another
      // class, saved as np.save would ([2, 32] float32): two images at once.
      const other = Array.from(test.labels!).findIndex((l) => l !== test.labels![0]);
      const emb = (i: number) =>
        tf.tidy(() =>
          Array.from(
            model
              .activations(
                tf.tensor4d(test.images.subarray(i * 784, (i + 1) * 784), [1, 28, 28, 1]),
                ['Flatten'],
              )[0]
              .dataSync(),
          ),
        );
      const refs = [emb(0), emb(other)];
      let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 32), }";
      header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
      const npy = Buffer.concat([
        Buffer.from([0x93]),
        Buffer.from('NUMPY'),
        Buffer.from([1, 0, header.length, 0]),
        Buffer.from(header, 'latin1'),
        Buffer.from(Float32Array.from(refs.flat()).buffer),
      ]);
      writeFileSync(path.join(o, 'refs.npy'), npy);
      await cli(
        'maximize',
        '--model',
        m,
        '--layer',
        'Flatten',
        '--target',
        `cosine:${path.join(o, 'refs.npy')}`,
        '--method',
        'erhan',
        '--steps',
        '128',
        '--out',
        path.join(o, 'json'),
        '--quiet',
      );
      const r = json(path.join(o, 'json', 'Flatten-erhan.json'));
      assert.equal(r.units.length, 2);
      assert.match(r.objective, /cosine to a reference/);
      // Cosine of every test digit of another class to each reference: the optimized image beats them all.
      const labels = [test.labels![0], test.labels![other]];
      const cos = tf.tidy(() => {
        const a = model.activations(
          tf.tensor4d(test.images.subarray(0, 500 * 784), [500, 28, 28, 1]),
          ['Flatten'],
        )[0];
        const r = tf.tensor2d(refs);
        return a
          .matMul(r.transpose())
          .div(a.norm('euclidean', 1, true).mul(r.norm('euclidean', 1).expandDims(0)))
          .arraySync() as number[][];
      });
      for (const k of [0, 1]) {
        const bestOther = Math.max(
          ...cos.filter((_, i) => test.labels![i] !== labels[k]).map((row) => row[k]),
        );
        assert.ok(
          r.units[k].activation > bestOther,
          `reference ${k}: cosine ${r.units[k].activation} vs best other-class digit ${bestOther}`,
        );
      }
      // A reference of the wrong length: one line with both lengths, before any work.
      writeFileSync(path.join(o, 'short.json'), JSON.stringify([1, 2, 3]));
      const bad = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(root, 'scripts/deepvis-dev.ts'),
          'maximize',
          '--model',
          m,
          '--layer',
          'Flatten',
          '--target',
          `cosine:${path.join(o, 'short.json')}`,
          '--out',
          path.join(o, 'bad'),
        ],
        { cwd: root, encoding: 'utf8', timeout: 120_000 },
      );
      assert.equal(bad.status, 1, bad.stderr);
      assert.match(
        bad.stderr.trim(),
        /^deepvis maximize: the reference embedding of .*short\.json has 3 values; 'Flatten' has 32$/,
      );
      assert.ok(!existsSync(path.join(o, 'bad', 'Flatten-erhan.json')));
    } finally {
      model.dispose();
    }
  });
});
