/**
 * A newcomer's first hour (issue 30), each defect as it was met: a bare PyTorch export (ONNX, no
 * sidecar), its class names given by --labels or the data set, named as --units, and its
 * nn.Linear head in the atlas.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import sharp from 'sharp';

const root = path.resolve(import.meta.dirname, '..');
const RESNET = path.join(root, 'test/fixtures/onnx/trained/mnist-resnet/model.onnx');
const FASHION = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
let dir: string;
let bare: string;
let labels: string;

function deepvis(...args: string[]) {
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args],
    { cwd: root, encoding: 'utf8', timeout: 300_000 },
  );
}

const oneLine = (r: { status: number | null; stderr: string }, pattern: RegExp) => {
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
};

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-newcomer-'));
  // As a user's export comes: the .onnx alone, no deepvis.json naming its classes.
  bare = path.join(dir, 'model', 'model.onnx');
  spawnSync('mkdir', ['-p', path.dirname(bare)]);
  copyFileSync(RESNET, bare);
  labels = path.join(dir, 'classes.txt');
  writeFileSync(labels, FASHION.join('\n') + '\n');
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('class names for a bare export', () => {
  it('--labels FILE names the classes, and --units takes the names', () => {
    const out = path.join(dir, 'max');
    const r = deepvis(
      'maximize',
      '--model',
      bare,
      '--labels',
      labels,
      '--layer',
      'fc',
      '--units',
      'Coat,bag',
      '--steps',
      '4',
      '--restarts',
      '1',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(readFileSync(path.join(out, 'fc-erhan.json'), 'utf8')) as {
      units: { unit: number; class: string | null }[];
    };
    assert.deepEqual(
      json.units.map((u) => [u.unit, u.class]),
      [
        [4, 'Coat'],
        [8, 'Bag'],
      ],
    );
  });

  it('refuses a class name in one line when the model names none, and a name it does not know', () => {
    oneLine(
      deepvis(
        'maximize',
        '--model',
        bare,
        '--layer',
        'fc',
        '--units',
        'Coat',
        '--out',
        path.join(dir, 'x1'),
      ),
      /--units Coat: the model names no classes \(give --labels FILE/,
    );
    oneLine(
      deepvis(
        'maximize',
        '--model',
        bare,
        '--labels',
        labels,
        '--layer',
        'fc',
        '--units',
        'Hat',
        '--out',
        path.join(dir, 'x2'),
      ),
      /'Hat' is not a class name; the classes are T-shirt\/top/,
    );
    writeFileSync(path.join(dir, 'nine.txt'), FASHION.slice(0, 9).join('\n'));
    oneLine(
      deepvis('inspect', bare, '--labels', path.join(dir, 'nine.txt')),
      /nine\.txt names 9 classes; the model scores 10/,
    );
    assert.ok(
      !existsSync(path.join(dir, 'x1')) && !existsSync(path.join(dir, 'x2')),
      'a refused command left an output folder',
    );
  });

  it("the atlas gives the nn.Linear (Gemm) head a page, and the model page the data set's class names", () => {
    const site = path.join(dir, 'site');
    const r = deepvis(
      'report',
      '--model',
      bare,
      '--data',
      'mnist',
      '--layers',
      'fc',
      '--erhan-steps',
      '4',
      '--erhan-restarts',
      '1',
      '--lucid-steps',
      '4',
      '--yosinski-steps',
      '4',
      '--diverse-steps',
      '4',
      '--diverse-count',
      '1',
      '--embed-count',
      '60',
      '--quiet',
      '--out',
      site,
    );
    assert.equal(r.status, 0, r.stderr);
    const index = readFileSync(path.join(site, 'index.html'), 'utf8');
    assert.match(
      index,
      /class names<\/dt><dd>0, 1, 2, 3, 4, 5, 6, 7, 8, 9 \(the data set \(mnist:eval\)\)/,
    );
    assert.ok(
      readdirSync(path.join(site, 'layers')).some((f) => f.startsWith('fc')),
      'no page for the Gemm layer',
    );
  });
});

describe('inputs checked, and said', () => {
  it('an unknown layer gets "did you mean", a PyTorch checkpoint the export line', () => {
    oneLine(
      deepvis(
        'maximize',
        '--model',
        bare,
        '--layer',
        'layer3.0.conv',
        '--out',
        path.join(dir, 'y1'),
      ),
      /unknown layer 'layer3\.0\.conv'; did you mean layer3\.0\.conv1 or layer3\.0\.conv2/,
    );
    const pt = path.join(dir, 'pt');
    mkdirSync(pt);
    writeFileSync(path.join(pt, 'model.pt'), Buffer.from('PK\x03\x04 not really'));
    oneLine(
      deepvis('inspect', path.join(pt, 'model.pt')),
      /model\.pt: a PyTorch checkpoint.*export it with torch\.onnx\.export/,
    );
    oneLine(deepvis('inspect', pt), /model\.pt: a PyTorch checkpoint/);
    // torch.save's zip under another name (archive/data.pkl inside).
    writeFileSync(
      path.join(dir, 'weights.keras'),
      zipSync({ 'archive/data.pkl': new Uint8Array([0x80, 2]), 'archive/version': strToU8('3') }),
    );
    oneLine(
      deepvis('inspect', path.join(dir, 'weights.keras')),
      /weights\.keras: a PyTorch checkpoint/,
    );
  });

  it('says and records how a big colour photo was fitted to a 28×28 grey model', async () => {
    const photo = path.join(dir, 'holiday photo.jpg');
    const w = 2048,
      h = 1536;
    const px = Buffer.alloc(w * h * 3, 120);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .jpeg()
      .toFile(photo);
    const out = path.join(dir, 'fit');
    const r = deepvis(
      'attribute',
      '--model',
      bare,
      '--input',
      photo,
      '--method',
      'saliency',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /holiday photo\.jpg: resized from 2048×1536 to 28×28, centre-cropped to the model's aspect \(25% cut; --fit pad keeps it whole\), converted from colour to grey/,
    );
    const json = JSON.parse(
      readFileSync(
        path.join(
          out,
          readdirSync(out).find((f) => f.endsWith('.json'))!,
        ),
        'utf8',
      ),
    ) as {
      inputFit: { from: number[]; to: number[]; fit: string; lost: number; colour: string }[];
    };
    assert.deepEqual(
      json.inputFit.map((f) => [f.from, f.to, f.fit, f.lost, f.colour]),
      [[[2048, 1536, 3], [28, 28, 1], 'cover', 0.25, 'colour to grey']],
    );
    const padded = deepvis(
      'attribute',
      '--model',
      bare,
      '--input',
      photo,
      '--fit',
      'pad',
      '--method',
      'saliency',
      '--out',
      path.join(dir, 'fit-pad'),
      '--quiet',
    );
    assert.equal(padded.status, 0, padded.stderr);
    assert.match(padded.stdout, /padded with black to the model's aspect \(25% of the input\)/);
    // Output names from the input's file stem, not its whole path.
    const occ = deepvis(
      'occlusion',
      '--model',
      bare,
      '--input',
      photo,
      '--out',
      path.join(dir, 'occ'),
      '--quiet',
    );
    assert.equal(occ.status, 0, occ.stderr);
    assert.deepEqual(readdirSync(path.join(dir, 'occ')).sort(), [
      'occlusion-holiday_photo.json',
      'occlusion-holiday_photo.png',
      'occlusion-holiday_photo.svg',
    ]);
  });

  it('every command that reads an input image records its fit in the JSON', async () => {
    // 96×64 colour → the 28×28 grey model: a third of the width cut, converted to grey.
    const photo = path.join(dir, 'wide.png');
    await sharp(Buffer.alloc(96 * 64 * 3, 90), { raw: { width: 96, height: 64, channels: 3 } })
      .png()
      .toFile(photo);
    const runs: Array<[string, string[], string]> = [
      ['activations', [], 'activations.json'],
      ['invert', ['--layer', 'fc', '--steps', '2', '--restarts', '1'], 'fc-invert.json'],
      ['evaluate', ['--methods', 'saliency', '--metrics', 'sparseness'], 'evaluate.json'],
      [
        'maximize',
        ['--method', 'accentuate', '--layer', 'fc', '--units', '3', '--steps', '2'],
        'fc-accentuate.json',
      ],
      // DeepDream works at the photo's own size: no resize, the grey conversion alone.
      ['dream', ['--layer', 'fc', '--steps', '1', '--octaves', '1'], 'fc-dream.json'],
    ];
    for (const [command, flags, file] of runs) {
      const out = path.join(dir, `fit-${command}`);
      const r = deepvis(
        command,
        '--model',
        bare,
        '--input',
        photo,
        ...flags,
        '--out',
        out,
        '--quiet',
      );
      assert.equal(r.status, 0, `${command}: ${r.stderr}`);
      const json = JSON.parse(readFileSync(path.join(out, file), 'utf8')) as {
        inputFit: {
          file: string;
          from: number[];
          to: number[];
          fit: string;
          lost: number;
          colour: string;
        }[];
      };
      const f = json.inputFit;
      assert.equal(f.length, 1, `${command}: ${JSON.stringify(f)}`);
      assert.equal(f[0].file, photo);
      assert.deepEqual(f[0].from, [96, 64, 3], command);
      if (command === 'dream')
        assert.deepEqual([f[0].to, f[0].colour], [[96, 64, 1], 'colour to grey']);
      else {
        assert.deepEqual(f[0].to, [28, 28, 1], command);
        assert.deepEqual(
          [f[0].fit, +f[0].lost.toFixed(4), f[0].colour],
          ['cover', +(1 / 3).toFixed(4), 'colour to grey'],
          command,
        );
      }
    }
  });

  it('warns in one line when the value range collapses the accuracy on the data set at hand', () => {
    const wrong = deepvis(
      'topk',
      '--model',
      bare,
      '--input-range',
      '0,255',
      '--data',
      'mnist',
      '--layers',
      'fc',
      '--units',
      '0',
      '--out',
      path.join(dir, 'tk1'),
      '--quiet',
    );
    assert.equal(wrong.status, 0, wrong.stderr);
    const lines = wrong.stderr.trim().split('\n');
    assert.equal(lines.length, 1, wrong.stderr);
    assert.match(
      lines[0],
      /^warning: fed at 0…255, the model gets [\d.]+% of mnist's first 256 images right \(chance 10\.0%\); at 0…1 it gets 9\d\.\d%: it likely expects 0,1 \(--input-range 0,1/,
    );
    const right = deepvis(
      'topk',
      '--model',
      bare,
      '--data',
      'mnist',
      '--layers',
      'fc',
      '--units',
      '0',
      '--out',
      path.join(dir, 'tk2'),
      '--quiet',
    );
    assert.equal(right.status, 0, right.stderr);
    assert.equal(right.stderr, '');
  });
});

describe('defaults that do not mislead', () => {
  it('Grad-CAM names its default layer on stdout and in the JSON', () => {
    const out = path.join(dir, 'cam');
    const r = deepvis(
      'attribute',
      '--model',
      bare,
      '--input',
      'mnist:3',
      '--method',
      'gradcam',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^CAM layer: layer3\.0\.relu_1 \(the last spatial feature map before the target with more channels than it has classes; --cam-layer chooses another\)$/m,
    );
    const json = JSON.parse(readFileSync(path.join(out, 'attribute-gradcam.json'), 'utf8')) as {
      maps: { camLayer: string; camLayerFrom: string }[];
    };
    assert.equal(json.maps[0].camLayer, 'layer3.0.relu_1');
    assert.match(json.maps[0].camLayerFrom, /^default: the last spatial feature map/);
  });

  it('a data set too small for quality scores is refused before the work, naming the folder given', async () => {
    const five = path.join(dir, 'five');
    mkdirSync(five);
    for (let i = 0; i < 5; i++)
      await sharp(Buffer.alloc(28 * 28, 40 * i), { raw: { width: 28, height: 28, channels: 1 } })
        .png()
        .toFile(path.join(five, `d${i}.png`));
    const started = Date.now();
    const r = deepvis(
      'maximize',
      '--model',
      bare,
      '--data',
      five,
      '--layer',
      'fc',
      '--units',
      '0',
      '--method',
      'maco',
      '--steps',
      '400',
      '--out',
      path.join(dir, 'mc'),
    );
    oneLine(
      r,
      new RegExp(
        `quality scores need at least 2 data-set images; the held-out 20% of ${five.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has 1 \\(put at least 10 images in the folder\\)`,
      ),
    );
    assert.ok(!existsSync(path.join(dir, 'mc')), 'an output folder was left');
    assert.ok(Date.now() - started < 60_000, 'the refusal came after the work');
  });

  it("the atlas's data-size limits are checked before the work, naming the folder given", () => {
    const five = path.join(dir, 'five');
    const esc = five.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    // The Gemm head's t-SNE needs 5 images; the held-out 20% of 5 is 1.
    const started = Date.now();
    const r = deepvis('report', '--model', bare, '--data', five, '--out', path.join(dir, 'rep5'));
    oneLine(
      r,
      new RegExp(
        `the t-SNE of dense layer fc needs at least 5 data-set images; the held-out 20% of ${esc} has 1 \\(put at least 25 images in the folder\\)`,
      ),
    );
    assert.ok(!existsSync(path.join(dir, 'rep5')), 'an output folder was left');
    // MaCo beside Lucid: its quality scores need 2.
    const maco = deepvis(
      'report',
      '--model',
      bare,
      '--data',
      five,
      '--layers',
      'layer3.0.relu_1',
      '--maco',
      'on',
      '--out',
      path.join(dir, 'rep5m'),
    );
    oneLine(
      maco,
      new RegExp(
        `quality scores need at least 2 data-set images; the held-out 20% of ${esc} has 1 \\(put at least 10 images in the folder\\)`,
      ),
    );
    assert.ok(Date.now() - started < 90_000, 'the refusals came after the work');
  });
});
