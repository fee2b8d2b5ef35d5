/**
 * The CLI end to end, as a user runs it: train a small model, inspect it, maximize units, and the
 * bad inputs — each must exit non-zero with one line naming the problem and leave no output file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

const root = path.resolve(import.meta.dirname, '..');
let dir: string;
let model: string;

function deepvis(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-cli-'));
  model = path.join(dir, 'mlp');
});
after(() => rm(dir, { recursive: true, force: true }));

describe('deepvis CLI', () => {
  it('trains an MLP on MNIST and saves model.json, weights and metrics.json', () => {
    const r = deepvis(
      'train',
      '--arch',
      'mlp',
      '--data',
      'mnist',
      '--epochs',
      '1',
      '--out',
      model,
      '--quiet',
    );
    assert.equal(r.code, 0, r.stderr);
    const metrics = JSON.parse(readFileSync(path.join(model, 'metrics.json'), 'utf8'));
    assert.ok(metrics.testAccuracy > 0.85, `test accuracy ${metrics.testAccuracy}`);
    assert.equal(metrics.epochs.length, 1);
    assert.equal(metrics.backend, 'wasm');
    assert.ok(existsSync(path.join(model, 'weights.bin')));
  });

  it('inspects it: layers, input needs, gradient support', () => {
    const r = deepvis('inspect', model);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /input: 28×28×1 \(model\)/);
    assert.match(r.stdout, /value range: 0 … 1 \(metadata\)/);
    assert.match(r.stdout, /input gradients: ok/);
    assert.match(r.stdout, /dense1\s+Dense\s+256\s+256/);
  });

  it('maximizes units and writes a grid PNG and per-unit JSON', async () => {
    const out = path.join(dir, 'max');
    const r = deepvis(
      'maximize',
      '--model',
      model,
      '--layer',
      'dense1',
      '--units',
      '0-3',
      '--restarts',
      '2',
      '--steps',
      '30',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(readFileSync(path.join(out, 'dense1~3Apre-erhan.json'), 'utf8'));
    assert.equal(json.units.length, 4);
    for (const u of json.units) {
      assert.equal(typeof u.activation, 'number');
      assert.equal(typeof u.bestDatasetActivation, 'number');
      assert.ok(u.steps >= 1 && u.steps <= 30);
    }
    const meta = await sharp(path.join(out, 'dense1~3Apre-erhan.png')).metadata();
    assert.ok(meta.width! > 100 && meta.height! > 100);
  });

  it('runs yosinski, lucid, data-driven, dream (photo, zoom, units) and invert, each writing PNG + JSON', async () => {
    const out = path.join(dir, 'methods');
    const runs: Array<[string[], string]> = [
      [
        [
          'maximize',
          '--method',
          'yosinski',
          '--preset',
          'all',
          '--layer',
          'logits',
          '--units',
          '0-2',
          '--steps',
          '20',
        ],
        'logits-yosinski',
      ],
      [
        [
          'maximize',
          '--method',
          'lucid',
          '--layer',
          'dense1',
          '--units',
          '0-3',
          '--steps',
          '20',
          '--per-unit',
          '2',
        ],
        'dense1~3Apre-lucid',
      ],
      [
        [
          'maximize',
          '--method',
          'data-driven',
          '--layer',
          'logits',
          '--units',
          '3,7',
          '--steps',
          '15',
          '--compare',
        ],
        'logits-data-driven',
      ],
      [
        [
          'dream',
          '--layer',
          'dense1',
          '--input',
          'mnist:0',
          '--size',
          '40',
          '--octaves',
          '2',
          '--steps',
          '4',
        ],
        'dense1-dream',
      ],
      [['dream', '--layer', 'logits', '--units', '0-2', '--steps', '20'], 'logits-dream'],
      [
        [
          'invert',
          '--layer',
          'dense1,logits',
          '--input',
          'mnist:1',
          '--restarts',
          '2',
          '--steps',
          '30',
        ],
        'dense1+logits-invert',
      ],
    ];
    for (const [args, stem] of runs) {
      const r = deepvis(...args, '--model', model, '--out', out, '--quiet');
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      const json = JSON.parse(readFileSync(path.join(out, `${stem}.json`), 'utf8'));
      assert.ok(json.backend === 'wasm', stem);
      const meta = await sharp(path.join(out, `${stem}.png`)).metadata();
      assert.ok(meta.width! > 50, stem);
    }
    const yos = JSON.parse(readFileSync(path.join(out, 'logits-yosinski.json'), 'utf8'));
    assert.equal(yos.units.length, 12, '4 presets × 3 units');
    assert.equal(yos.params.sets.length, 4);
    const dd = JSON.parse(readFileSync(path.join(out, 'logits-data-driven.json'), 'utf8'));
    assert.equal(dd.starts.length, 2);
    assert.equal(dd.comparison.length, 2);
    const inv = JSON.parse(readFileSync(path.join(out, 'dense1+logits-invert.json'), 'utf8'));
    assert.deepEqual(
      inv.layers.map((l: { errors: number[] }) => l.errors.length),
      [2, 2],
    );
    const zoom = deepvis(
      'dream',
      '--model',
      model,
      '--layer',
      'dense1',
      '--input',
      'mnist:2',
      '--zoom',
      '3',
      '--steps',
      '2',
      '--octaves',
      '1',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(zoom.code, 0, zoom.stderr);
    const gif = await sharp(path.join(out, 'dense1-dream-zoom.gif'), { animated: true }).metadata();
    assert.equal(gif.pages, 3);
  });

  it('draws first-layer filters of the MLP and refuses to sample a model that is not a DBN', async () => {
    const out = path.join(dir, 'filters');
    const r = deepvis('filters', '--model', model, '--units', '0-15', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(path.join(out, 'dense1-filters.png')).metadata();
    assert.ok(meta.width! > 100);
    const s = deepvis(
      'sample',
      '--model',
      model,
      '--layer',
      'dense1',
      '--out',
      path.join(dir, 'nosample'),
    );
    assert.equal(s.code, 1);
    assert.match(s.stderr, /sampling needs a deep belief net/);
    assert.ok(!existsSync(path.join(dir, 'nosample')));
  });

  it('trains a small DBN and samples its units with one clamped', async () => {
    const dbn = path.join(dir, 'dbn');
    const t = deepvis(
      'train',
      '--arch',
      'dbn',
      '--layers',
      '64,32',
      '--pretrain-epochs',
      '1',
      '--epochs',
      '0',
      '--data',
      'mnist',
      '--out',
      dbn,
      '--quiet',
    );
    assert.equal(t.code, 0, t.stderr);
    const out = path.join(dir, 'samples');
    const r = deepvis(
      'sample',
      '--model',
      dbn,
      '--layer',
      'h2',
      '--units',
      '0-2',
      '--samples',
      '3',
      '--gibbs',
      '10',
      '--out',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(path.join(out, 'h2-samples.png')));
    const bad = deepvis(
      'train',
      '--arch',
      'dae',
      '--noise',
      'blur:0.3',
      '--out',
      path.join(dir, 'x'),
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--noise must be mask:LEVEL or salt-pepper:LEVEL/);
  });

  const bad: Array<[string, string[], RegExp]> = [
    [
      'unknown model path',
      ['maximize', '--model', '/nonexistent/m', '--layer', 'x'],
      /model not found: \/nonexistent\/m/,
    ],
    [
      'unknown layer',
      ['maximize', '--model', '@model', '--layer', 'conv9'],
      /unknown layer 'conv9'; known: flatten, dense1/,
    ],
    [
      'unit out of range',
      ['maximize', '--model', '@model', '--layer', 'logits', '--units', '0-12'],
      /unit 10 out of range for layer 'logits', which has 10 units/,
    ],
    [
      'neuron on a flat layer',
      ['maximize', '--model', '@model', '--layer', 'dense1', '--neuron', '1,1'],
      /--neuron needs a convolutional layer/,
    ],
    [
      'wrong input shape',
      ['maximize', '--model', '@model', '--layer', 'dense1', '--input-shape', '32,32,3'],
      /input shape 32×32×3 does not match the model's input \[28, 28, 1\]/,
    ],
    [
      'unknown option',
      ['maximize', '--model', '@model', '--layr', 'dense1'],
      /unknown option --layr/,
    ],
    [
      'unknown method',
      ['maximize', '--model', '@model', '--layer', 'dense1', '--method', 'magic'],
      /--method must be one of erhan, yosinski, data-driven, lucid/,
    ],
    [
      'yosinski preset out of range',
      [
        'maximize',
        '--model',
        '@model',
        '--layer',
        'dense1',
        '--method',
        'yosinski',
        '--preset',
        '7',
      ],
      /--preset must be 1, 2, 3, 4 or 'all'; got '7'/,
    ],
    [
      'invert without an input',
      ['invert', '--model', '@model', '--layer', 'dense1'],
      /--input is required/,
    ],
    [
      'dream on a missing photo',
      ['dream', '--model', '@model', '--layer', 'dense1', '--input', '/nonexistent/photo.png'],
      /cannot read image \/nonexistent\/photo.png/,
    ],
    [
      'data set index out of range',
      ['invert', '--model', '@model', '--layer', 'dense1', '--input', 'mnist:99999'],
      /mnist has 2000 evaluation images; index 99999 is out of range/,
    ],
    [
      'data set path with no data',
      ['train', '--arch', 'mlp', '--data', '@empty', '--out', '@out'],
      /no images in/,
    ],
  ];
  for (const [what, args, message] of bad) {
    it(`bad input — ${what}: one line, exit 1, no output`, () => {
      const out = path.join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      mkdirSync(path.join(dir, 'empty'), { recursive: true });
      const argv = args.map((a) =>
        a === '@model' ? model : a === '@empty' ? path.join(dir, 'empty') : a === '@out' ? out : a,
      );
      if (!argv.includes('--out')) argv.push('--out', out);
      const r = deepvis(...argv);
      assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
      assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'output left behind');
    });
  }

  it('malformed model.json: one line, exit 1', () => {
    const m = path.join(dir, 'broken');
    mkdirSync(m, { recursive: true });
    writeFileSync(path.join(m, 'model.json'), '{"modelTopology": ');
    const r = deepvis('inspect', m);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /malformed model file .*broken\/model.json/);
  });
});
