/**
 * maximize --method maco / accentuate / --compare-methods end to end on a small trained MLP: the
 * extra files (alpha, transparency, triptych, the methods × scores table), quality scores in the
 * JSON for every method, and the one-line refusal of accentuation without an image.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compared } from '../src/cli/commands/maximize_compare.js';

const root = path.resolve(import.meta.dirname, '..');
let dir: string;
let model: string;

function deepvis(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args],
    { cwd: root, encoding: 'utf8', timeout: 300_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-maco-'));
  model = path.join(dir, 'mlp');
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
});
after(() => rm(dir, { recursive: true, force: true }));

describe('maximize: maco, accentuate, compare-methods', () => {
  it('maco writes the grid, the alpha and transparency images, and quality scores per unit', () => {
    const out = path.join(dir, 'maco');
    const r = deepvis(
      'maximize',
      '--model',
      model,
      '--layer',
      'dense1',
      '--units',
      '0-2',
      '--method',
      'maco',
      '--steps',
      '6',
      '--crops',
      '4',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.code, 0, r.stderr);
    for (const f of [
      'dense1~3Apre-maco.png',
      'dense1~3Apre-maco-alpha.png',
      'dense1~3Apre-maco-transparency.png',
    ])
      assert.ok(existsSync(path.join(out, f)), f);
    const json = JSON.parse(readFileSync(path.join(out, 'dense1~3Apre-maco.json'), 'utf8'));
    assert.equal(json.params.method, 'maco');
    assert.equal(json.params.crops, 4);
    assert.match(json.params.magnitude, /mnist/);
    assert.equal(json.quality.path.length, 0, 'dense1 is the first layer: no path below it');
    for (const u of json.units) assert.equal(typeof u.quality.relativeActivation, 'number');
  });

  it('accentuate writes start | accentuated | difference, and without --input refuses in one line', () => {
    const out = path.join(dir, 'acc');
    const r = deepvis(
      'maximize',
      '--model',
      model,
      '--layer',
      'logits',
      '--units',
      '3,5',
      '--method',
      'accentuate',
      '--input',
      'mnist:0',
      '--steps',
      '6',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(path.join(out, 'logits-accentuate-triptych.png')));
    const json = JSON.parse(readFileSync(path.join(out, 'logits-accentuate.json'), 'utf8'));
    assert.equal(json.params.startActivations.length, 2);
    assert.ok(
      json.units.every(
        (u: { quality: { pathScore: number | null } }) =>
          u.quality.pathScore === null || typeof u.quality.pathScore === 'number',
      ),
    );
    const bad = deepvis(
      'maximize',
      '--model',
      model,
      '--layer',
      'logits',
      '--method',
      'accentuate',
      '--out',
      path.join(dir, 'bad'),
      '--quiet',
    );
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /--input/);
  });

  it('--compare-methods writes one table of methods × scores', () => {
    const out = path.join(dir, 'cmp');
    const r = deepvis(
      'maximize',
      '--model',
      model,
      '--layer',
      'logits',
      '--units',
      '0,1',
      '--compare-methods',
      '--steps',
      '4',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(path.join(out, 'logits-compare.md'), 'utf8');
    for (const m of ['erhan', 'yosinski 1', 'yosinski 4', 'lucid', 'maco'])
      assert.match(md, new RegExp(`\\| ${m} \\|`));
    const json = JSON.parse(readFileSync(path.join(out, 'logits-compare.json'), 'utf8'));
    assert.deepEqual(
      json.methods.map((m: { method: string }) => m.method),
      compared().map(([label]) => label),
      'every method of the registry, each variant once',
    );
    assert.deepEqual(
      json.quality.path,
      ['dense1', 'dense2'],
      "the MLP's dense layers below the logits",
    );
    assert.ok(existsSync(path.join(out, 'logits-compare.png')));
  });
});
