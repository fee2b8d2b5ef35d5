/**
 * `deepvis evaluate` end to end on a small CNN (trained briefly here) and an MLP: the table, JSON,
 * HTML and plots appear together with every metric's parameters; the bad inputs — --count 0, a
 * label metric on unlabelled images, a CAM method on a model without a conv layer — exit 1 with
 * one line and leave no file behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { split } from '../../data/dataset.js';
import { loadMnist } from '../../data/mnist.js';
import { saveLayersModel } from '../../io/model_files.js';
import { buildClassifier } from '../../train/architectures.js';
import { fitClassifier } from '../../train/fit.js';
import { setup } from '../../../test/helpers.js';

const root = path.resolve(import.meta.dirname, '../../..');
let dir: string;

function deepvis(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args],
    { cwd: root, encoding: 'utf8', timeout: 300_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  await setup('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-evaluate-'));
  const { train, test } = split(loadMnist(), 0.2, 0);
  const meta = {
    inputRange: [0, 1] as [number, number],
    channelOrder: 'gray' as const,
    logitsLayer: 'logits',
    dataset: 'mnist',
  };
  const cnn = buildClassifier('cnn', [28, 28, 1], 10, 0);
  await fitClassifier(cnn, { ...train, count: 1000 }, { ...test, count: 100 }, 10, { epochs: 1 });
  await saveLayersModel(cnn, path.join(dir, 'cnn'), meta);
  await saveLayersModel(buildClassifier('mlp', [28, 28, 1], 10, 0), path.join(dir, 'mlp'), meta);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('deepvis evaluate', () => {
  it('writes the method × metric table, JSON, HTML and both plots', () => {
    const out = path.join(dir, 'ev');
    const r = deepvis(
      'evaluate',
      '--model',
      path.join(dir, 'cnn'),
      '--data',
      'mnist',
      '--count',
      '4',
      '--methods',
      'saliency,gradcam,scorecam',
      '--metrics',
      'deletion,insertion,mufidelity,road-morf,mprt',
      '--max-batch',
      '64',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.code, 0, r.stderr);
    // Each chart as a PNG and, next to it, its vector SVG.
    assert.deepEqual(readdirSync(out).sort(), [
      'evaluate-deletion-insertion.png',
      'evaluate-deletion-insertion.svg',
      'evaluate-mprt.png',
      'evaluate-mprt.svg',
      'evaluate.html',
      'evaluate.json',
    ]);
    const json = JSON.parse(readFileSync(path.join(out, 'evaluate.json'), 'utf8'));
    assert.deepEqual(json.methods, ['saliency', 'gradcam', 'scorecam']);
    assert.equal(json.units.length, 4);
    for (const m of json.methods)
      for (const k of json.metrics) assert.equal(json.scores[m][k].length, 4, `${m} ${k}`);
    // Exactly one best per metric, and the defaults are written out.
    for (const k of json.metrics)
      assert.equal(json.methods.filter((m: string) => json.table[m][k].best).length, 1, k);
    assert.equal(json.params.deletion.steps, 10);
    assert.equal(json.params.mufidelity.samples, 200);
    assert.equal(json.params.mufidelity.gridSize, 9);
    assert.equal(json.params['road-morf'].percentages.length, 50);
    assert.deepEqual(json.mprtLayers, ['logits', 'dense1', 'conv3', 'conv2', 'conv1']);
    assert.match(r.stdout, /deletion ↓/);
    assert.match(readFileSync(path.join(out, 'evaluate.html'), 'utf8'), /class="best"/);
  });

  for (const [what, args, message] of [
    [
      '--count 0',
      ['--model', 'cnn', '--data', 'mnist', '--count', '0'],
      /--count must be at least 1/,
    ],
    [
      'a label metric on unlabelled images',
      ['--model', 'cnn', '--input', 'DIGIT', '--metrics', 'road-morf'],
      /road-morf score accuracy against labels; --input images have none/,
    ],
    [
      'Grad-CAM on a model without a conv layer',
      ['--model', 'mlp', '--data', 'mnist', '--count', '2', '--methods', 'gradcam'],
      /gradcam need a convolutional layer; this model has none/,
    ],
  ] as const) {
    it(`refuses ${what} in one line, leaving nothing`, async () => {
      const digit = path.join(dir, 'digit.png');
      if (!existsSync(digit))
        await sharp(Buffer.alloc(28 * 28, 128), { raw: { width: 28, height: 28, channels: 1 } })
          .png()
          .toFile(digit);
      const out = path.join(dir, `bad-${what.length}`);
      const full = args.map((a) =>
        a === 'cnn' || a === 'mlp' ? path.join(dir, a) : a === 'DIGIT' ? digit : a,
      );
      const r = deepvis('evaluate', ...full, '--out', out, '--quiet');
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(
        !existsSync(out) || readdirSync(out).length === 0,
        `left ${existsSync(out) ? readdirSync(out) : ''}`,
      );
    });
  }
});
